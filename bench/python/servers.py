"""One server of the Python overhead benchmark, run in a generated project's virtual environment.

usage: python servers.py <on|off|peer> <fastmcp|fastapi> <module>
Environment: the project's (MCP_SERVER_URL, PORT, SCALEKIT_ENVIRONMENT_URL, SCALEKIT_RESOURCE_ID).

on:   the generated server as generated (create_app): the plain template's server plus what add writes.
off:  the plain template's server: the same tools and HTTP stack, with the plain server's own Host/Origin
      protection (FastMCP's host_origin_protection; the SDK's transport security, from the project's own
      transport_security()), without auth.
peer: the framework's own auth: fastmcp's JWTVerifier; for the SDK, a TokenVerifier with PyJWT's PyJWKClient
      (the SDK documents a TokenVerifier and ships none), both behind the SDK's own 401/403 middleware.
Every variant logs one JSON line per request (RequestLog), as the generated server does.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

variant, framework, module = sys.argv[1:4]
server = importlib.import_module(f"{module}.server")
settings_module = importlib.import_module(f"{module}.settings")
tools = importlib.import_module(f"{module}.tools")
RequestLog = importlib.import_module(f"{module}.log").RequestLog
settings = settings_module.load_settings(os.environ)
env_url = os.environ["SCALEKIT_ENVIRONMENT_URL"]
resource_id = os.environ["SCALEKIT_RESOURCE_ID"]
issuers = [env_url, f"{env_url}/resources/{resource_id}"]
audiences = [settings.server_url, resource_id]


def fastmcp_app(auth: Any, protected: bool = False) -> Any:
    from urllib.parse import urlsplit

    from fastmcp import FastMCP

    mcp = FastMCP(tools.SERVER_NAME, auth=auth)
    tools.register_tools(mcp)
    if not protected:
        return RequestLog(mcp.http_app(path=settings.mcp_path, stateless_http=True))
    # As templates/python/fastmcp/src/__pkg__/server.py serves it.
    return RequestLog(
        mcp.http_app(
            path=settings.mcp_path,
            stateless_http=True,
            host_origin_protection="auto",
            allowed_hosts=[settings.host, urlsplit(settings.server_url).netloc],
        )
    )


def sdk_app(token_verifier: Any, protected: bool = False) -> Any:
    from fastapi import FastAPI
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings
    from pydantic import AnyHttpUrl

    auth = None
    if token_verifier is not None:
        auth = AuthSettings(
            issuer_url=AnyHttpUrl(issuers[1]),
            resource_server_url=AnyHttpUrl(settings.server_url),
            validate_token_resource=False,
        )
    mcp: Any = MCPServer(tools.SERVER_NAME, token_verifier=token_verifier, auth=auth)
    tools.register_tools(mcp)
    # off: the plain template's own transport security (server.transport_security is not touched by add).
    security = (
        server.transport_security(settings)
        if protected
        else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    )
    inner = mcp.streamable_http_app(
        streamable_http_path=settings.mcp_path, stateless_http=True, transport_security=security
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        async with mcp.session_manager.run():
            yield

    app = FastAPI(lifespan=lifespan)
    app.mount("/", inner)
    return RequestLog(app)


class PyJwtVerifier:
    """A TokenVerifier as a user of the SDK would write it: PyJWT's PyJWKClient, issuer and audience checked."""

    def __init__(self) -> None:
        import jwt

        self.jwt = jwt
        self.keys = jwt.PyJWKClient(f"{env_url}/keys", cache_keys=True)

    async def verify_token(self, token: str) -> Any:
        from mcp.server.auth.provider import AccessToken

        try:
            key = self.keys.get_signing_key_from_jwt(token)
            claims = self.jwt.decode(token, key.key, algorithms=["RS256"], audience=audiences, issuer=issuers)
        except self.jwt.PyJWTError:
            return None
        scope = claims.get("scope", "")
        return AccessToken(token=token, client_id=str(claims.get("client_id", "")), scopes=scope.split(" "), expires_at=claims["exp"])


if variant == "on":
    app = server.create_app(settings)
elif framework == "fastmcp":
    if variant == "off":
        app = fastmcp_app(None, protected=True)
    else:
        from fastmcp.server.auth.providers.jwt import JWTVerifier

        app = fastmcp_app(JWTVerifier(jwks_uri=f"{env_url}/keys", issuer=issuers, audience=audiences))
else:
    app = sdk_app(None, protected=True) if variant == "off" else sdk_app(PyJwtVerifier())

uvicorn.run(app, host="127.0.0.1", port=settings.port, log_level="warning", access_log=False)
