"""The MCP server: FastMCP 4, stateless Streamable HTTP (2026-07-28 and 2025-era clients)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastmcp import FastMCP
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp

from .log import RequestLog
from .settings import Settings
from .tools import SERVER_NAME, register_tools


def create_mcp() -> FastMCP:
    mcp = FastMCP(SERVER_NAME)
    register_tools(mcp)

    @mcp.custom_route("/healthz", methods=["GET"])
    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return mcp


def create_app(settings: Settings) -> ASGIApp:
    mcp = create_mcp()
    # Stateless: every request stands alone, so any replica can answer it.
    app = mcp.http_app(
        path=settings.mcp_path,
        stateless_http=True,
        host_origin_protection="auto",
        allowed_hosts=[settings.host, urlsplit(settings.server_url).netloc],
        allowed_origins=list(settings.allowed_origins),
    )
    return RequestLog(app)
