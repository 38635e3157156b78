"""FastMCP's auth seam for this server, written by create-mcp-auth add: `FastMCP(..., auth=fastmcp_auth())`.

A FastMCP `TokenVerifier` backed by the auth core beside it, plus what FastMCP lacks, installed by FastMCP
itself through the provider's middleware, in front of the endpoint: Origin/Host (403), the 401 challenge with
resource_metadata and scope, 403 insufficient_scope per tool before the tool runs, the audience always checked.
Configured from the environment (.env read when present; the environment wins): MCP_SERVER_URL and the
provider's variables, see .env.example. Which tool needs which scope: policy.py.
"""

from __future__ import annotations

import os

from dotenv import load_dotenv
from starlette.applications import Starlette
from starlette.middleware import Middleware

from ..settings import load_settings
from .config import create_verifier, load_auth_config
from .metadata import metadata_routes
from .middleware import McpAuthMiddleware
from .seam import JwtTokenVerifier


class SecuredTokenVerifier(JwtTokenVerifier):
    def get_middleware(self) -> list[Middleware]:
        # Outermost: decides on each request to the endpoint before FastMCP's own auth and transport see it.
        return [Middleware(McpAuthMiddleware, config=self.config, verifier=self.verifier), *super().get_middleware()]


_provider: SecuredTokenVerifier | None = None


def fastmcp_auth() -> SecuredTokenVerifier:
    """The auth provider for `FastMCP(auth=...)`; a missing or malformed variable stops the server, naming it."""
    global _provider
    if _provider is None:
        load_dotenv(".env", override=False)
        config = load_auth_config(os.environ, load_settings(os.environ))
        _provider = SecuredTokenVerifier(config, create_verifier(config))
    return _provider


def secure_app(app: Starlette) -> None:
    """For a FastMCP app mounted in a FastAPI / Starlette app: both metadata URLs at the app's root (the middleware
    comes with FastMCP's app, through the provider)."""
    app.router.routes[0:0] = metadata_routes(fastmcp_auth().config)
