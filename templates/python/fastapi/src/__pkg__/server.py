"""The MCP server: the official SDK's MCPServer, mounted in a FastAPI app (2026-07-28 and 2025-era clients)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from .log import RequestLog
from .settings import Settings
from .tools import SERVER_NAME, register_tools


def create_mcp() -> MCPServer:
    mcp: MCPServer = MCPServer(SERVER_NAME)
    register_tools(mcp)
    return mcp


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection: the SDK checks Host and Origin; behind a real host name it must be told the name."""
    host = settings.server_url.split("/")[2]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[host, "127.0.0.1:*", "localhost:*", "[::1]:*"] if settings.local else [host],
        allowed_origins=[*settings.allowed_origins]
        + (["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"] if settings.local else []),
    )


def create_app(settings: Settings) -> FastAPI:
    mcp = create_mcp()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The MCP session manager runs for the app's lifetime (the SDK needs it started by the host app).
        async with mcp.session_manager.run():
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Mounted at the root, with the endpoint at its own path: no /mcp -> /mcp/ redirect.
    # Stateless: every request stands alone, so any replica can answer it.
    app.mount(
        "/",
        mcp.streamable_http_app(
            streamable_http_path=settings.mcp_path,
            stateless_http=True,
            transport_security=transport_security(settings),
        ),
    )
    app.add_middleware(RequestLog)
    return app
