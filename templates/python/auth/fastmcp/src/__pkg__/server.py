"""The MCP server: FastMCP 4, stateless Streamable HTTP (2026-07-28 and 2025-era clients), with OAuth."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from fastmcp import FastMCP
from fastmcp.server.auth import AuthProvider
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp

from .auth.config import AuthConfig, create_verifier, load_auth_config
from .auth.middleware import McpAuthMiddleware
from .auth.seam import JwtTokenVerifier
from .auth.verifier import JwtVerifier
from .log import RequestLog
from .settings import Settings
from .tools import SERVER_NAME, register_tools


def create_mcp(auth: AuthProvider | None = None) -> FastMCP:
    mcp = FastMCP(SERVER_NAME, auth=auth)
    register_tools(mcp)

    @mcp.custom_route("/healthz", methods=["GET"])
    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return mcp


def create_app(settings: Settings, auth: AuthConfig | None = None, verifier: JwtVerifier | None = None) -> ASGIApp:
    auth = auth or load_auth_config(os.environ, settings)
    verifier = verifier or create_verifier(auth)
    mcp = create_mcp(JwtTokenVerifier(auth, verifier))
    # Stateless: every request stands alone, so any replica can answer it.
    app = mcp.http_app(
        path=settings.mcp_path,
        stateless_http=True,
        host_origin_protection="auto",
        allowed_hosts=[settings.host, urlsplit(settings.server_url).netloc],
        allowed_origins=list(auth.allowed_origins),
    )
    # Before FastMCP: Origin, the 401 challenge and 403 per tool, decided on the body FastMCP then runs.
    return RequestLog(McpAuthMiddleware(app, config=auth, verifier=verifier))
