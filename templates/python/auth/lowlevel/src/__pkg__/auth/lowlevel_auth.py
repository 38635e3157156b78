"""The auth for a server built on the MCP SDK's low-level `Server`, written by create-mcp-auth add.

The low-level server has no auth seam of its own: the ASGI app that serves its Streamable HTTP transport (the
project's Starlette app around `StreamableHTTPSessionManager`) is served as `secure_asgi(app)`, the auth core beside
it in front: both protected resource metadata URLs, Origin/Host (403), the 401 challenge with resource_metadata and
scope, the audience always checked, 403 insufficient_scope per tool before the tool runs. It acts on the MCP
endpoint's path (MCP_SERVER_URL's) only; the app's other routes and its lifespan pass through as they were.
Configured from the environment (.env read when present; the environment wins): MCP_SERVER_URL and the provider's
variables, see .env.example. Which tool needs which scope: policy.py.
"""

from __future__ import annotations

import os

from dotenv import load_dotenv
from starlette.types import ASGIApp, Receive, Scope, Send

from ..settings import load_settings
from .config import create_verifier, load_auth_config
from .middleware import McpAuthMiddleware


class _MountedEndpoint:
    """The app mounts the endpoint (`Mount("/mcp", app=...)`), which Starlette routes at /mcp/ only, redirecting
    /mcp there: a request to the endpoint's own path is handed to the app as the mount's, so clients of
    MCP_SERVER_URL get no redirect."""

    def __init__(self, app: ASGIApp, endpoint: str) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.endpoint:
            raw = scope.get("raw_path")
            scope = {**scope, "path": self.endpoint + "/", **({"raw_path": raw + b"/"} if raw else {})}
        await self.app(scope, receive, send)


def secure_asgi(app: ASGIApp, *, mounted: bool = False) -> ASGIApp:
    """The app behind the auth, which also answers both metadata URLs; a missing or malformed variable stops the
    server, naming it."""
    load_dotenv(".env", override=False)
    config = load_auth_config(os.environ, load_settings(os.environ))
    endpoint = config.mcp_path.rstrip("/")
    inner = _MountedEndpoint(app, endpoint) if mounted and endpoint else app
    return McpAuthMiddleware(inner, config=config, verifier=create_verifier(config), serve_metadata=True)
