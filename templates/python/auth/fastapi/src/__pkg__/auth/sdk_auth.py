"""The official MCP SDK's auth seam for this server, written by create-mcp-auth add.

`MCPServer(..., **sdk_auth())` (FastMCP in mcp 1.x): the SDK's token verifier and AuthSettings, backed by the auth
core beside it, so tools see the caller through the SDK's get_access_token(). `run_secured(mcp, ...)` in place of
`mcp.run(...)`: over Streamable HTTP it serves the SDK's app behind what the SDK lacks: both protected resource
metadata URLs with the endpoint's path in `resource`, a 401 without `error=` and with `scope=`, the audience always
checked, 403 insufficient_scope per tool before the tool runs, Origin/Host (403). Any other transport runs as before.
Configured from the environment (.env read when present; the environment wins): MCP_SERVER_URL and the provider's
variables, see .env.example. Which tool needs which scope: policy.py.
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from dotenv import load_dotenv
from starlette.applications import Starlette

from ..settings import load_settings
from .config import AuthConfig, create_verifier, load_auth_config
from .middleware import McpAuthMiddleware
from .seam import JwtTokenVerifier, auth_settings
from .verifier import JwtVerifier

_loaded: tuple[AuthConfig, JwtVerifier] | None = None


def _auth() -> tuple[AuthConfig, JwtVerifier]:
    """The settings and the verifier, read once; a missing or malformed variable stops the server, naming it."""
    global _loaded
    if _loaded is None:
        load_dotenv(".env", override=False)
        config = load_auth_config(os.environ, load_settings(os.environ))
        _loaded = (config, create_verifier(config))
    return _loaded


def sdk_auth() -> dict[str, Any]:
    """The keyword arguments of `MCPServer(...)`: token_verifier and auth (AuthSettings)."""
    config, verifier = _auth()
    return {"token_verifier": JwtTokenVerifier(config, verifier), "auth": auth_settings(config)}


def secure_app(app: Starlette) -> None:
    """For the SDK's app mounted in a FastAPI / Starlette app: the auth in front of every request (it acts on the
    MCP endpoint's path only), answering both metadata URLs at the app's root ahead of the app's routes (the SDK's
    own omit the endpoint's path). Call it before the app serves."""
    config, verifier = _auth()
    app.add_middleware(McpAuthMiddleware, config=config, verifier=verifier, serve_metadata=True)


def run_secured(server: Any, transport: str = "stdio", **options: Any) -> None:
    """`server.run(transport, **options)`, with Streamable HTTP served behind the auth."""
    if transport != "streamable-http":
        server.run(transport, **options)
        return
    config, verifier = _auth()
    settings = getattr(server, "settings", None)
    host = options.pop("host", None) or getattr(settings, "host", "127.0.0.1")
    port = options.pop("port", None) or getattr(settings, "port", 8000)
    try:
        app = server.streamable_http_app(host=host, **options)  # mcp 2.x: the transport's options are run()'s
    except TypeError:
        app = server.streamable_http_app()  # mcp 1.x: they are the server's settings
    secured = McpAuthMiddleware(app, config=config, verifier=verifier, serve_metadata=True)
    uvicorn.run(secured, host=host, port=port, h11_max_incomplete_event_size=128 * 1024)
