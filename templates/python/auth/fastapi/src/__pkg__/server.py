"""The MCP server: the official SDK's MCPServer in a FastAPI app (2026-07-28 and 2025-era clients), with OAuth."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from .auth.config import AuthConfig, create_verifier, load_auth_config
from .auth.metadata import metadata_routes
from .auth.middleware import McpAuthMiddleware
from .auth.seam import JwtTokenVerifier, auth_settings
from .auth.verifier import JwtVerifier
from .log import RequestLog
from .settings import Settings
from .tools import SERVER_NAME, register_tools


def create_mcp(auth: AuthConfig, verifier: JwtVerifier) -> MCPServer:
    mcp: MCPServer = MCPServer(SERVER_NAME, token_verifier=JwtTokenVerifier(auth, verifier), auth=auth_settings(auth))
    register_tools(mcp)
    return mcp


def transport_security(settings: Settings, auth: AuthConfig) -> TransportSecuritySettings:
    """DNS-rebinding protection: the SDK checks Host and Origin; behind a real host name it must be told the name."""
    host = urlsplit(settings.server_url).netloc
    loopback = ["127.0.0.1:*", "localhost:*", "[::1]:*"] if settings.local else []
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[host, *loopback],
        allowed_origins=[*auth.allowed_origins, *(f"{scheme}://{h}" for h in loopback for scheme in ("http", "https"))],
    )


def create_app(settings: Settings, auth: AuthConfig | None = None, verifier: JwtVerifier | None = None) -> FastAPI:
    auth = auth or load_auth_config(os.environ, settings)
    verifier = verifier or create_verifier(auth)
    mcp = create_mcp(auth, verifier)
    # Stateless: every request stands alone, so any replica can answer it.
    mcp_app = mcp.streamable_http_app(
        streamable_http_path=settings.mcp_path,
        stateless_http=True,
        transport_security=transport_security(settings, auth),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The MCP session manager runs for the app's lifetime (the SDK needs it started by the host app).
        async with mcp.session_manager.run():
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Both metadata URLs at the application's root, ahead of the SDK's own (which omits the endpoint's path).
    app.router.routes.extend(metadata_routes(auth))
    # Mounted at the root, with the endpoint at its own path: no /mcp -> /mcp/ redirect.
    app.mount("/", mcp_app)
    # Before the SDK: Origin, the 401 challenge and 403 per tool, decided on the body the SDK then runs.
    app.add_middleware(McpAuthMiddleware, config=auth, verifier=verifier)
    app.add_middleware(RequestLog)
    return app
