"""The official SDK's auth seam: `MCPServer(token_verifier=JwtTokenVerifier(...), auth=auth_settings(...))`.

The SDK puts the verified token in `get_access_token()` for tools. What it lacks (the metadata at the
endpoint's path, a 401 without `error=` and with `scope=`, 403 per tool, the audience check, Origin
beyond localhost) is done by metadata_routes and McpAuthMiddleware.
"""

from __future__ import annotations

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl

from .config import AuthConfig
from .errors import InvalidToken
from .verifier import JwtVerifier


class JwtTokenVerifier:
    """The SDK's `TokenVerifier` protocol, backed by the auth core's verifier (audience always checked)."""

    def __init__(self, config: AuthConfig, verifier: JwtVerifier) -> None:
        self.config = config
        self.verifier = verifier

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            verified = await self.verifier.verify(token)
        except InvalidToken:
            return None
        return AccessToken(
            token=token,
            client_id=verified.client_id,
            scopes=verified.scopes,
            expires_at=verified.expires_at,
            # The verifier checked `aud` (required, one of the provider's audiences): the token is this resource's.
            resource=self.config.resource_url,
            subject=verified.subject,
            claims=verified.claims,
        )


def auth_settings(config: AuthConfig) -> AuthSettings:
    return AuthSettings(
        issuer_url=AnyHttpUrl(config.provider.authorization_server),
        resource_server_url=AnyHttpUrl(config.resource_url),
        # The audience is checked, always, by the verifier behind verify_token (a token for another service never
        # becomes an AccessToken). The SDK's own check (validate_token_resource=True) would compare the `resource`
        # verify_token sets, config.resource_url, with resource_server_url, the same config.resource_url: it cannot
        # fail, and it parsed both as pydantic URLs on every request (bench/python/calls.py: 14 of the 164 calls per
        # request auth added to the SDK's server, 2026-07-28 era).
        validate_token_resource=False,
    )
