"""FastMCP's auth seam: `FastMCP(auth=JwtTokenVerifier(...))`, a `TokenVerifier` backed by the auth core.

FastMCP puts the verified token in `get_access_token()` for tools; the metadata routes come from
`get_routes()`. What FastMCP lacks (403 per tool, the 401 challenge, Origin) is McpAuthMiddleware's job.
"""

from __future__ import annotations

from fastmcp.server.auth import AccessToken, TokenVerifier
from starlette.routing import Route

from .config import AuthConfig, origin_of
from .errors import InvalidToken
from .metadata import metadata_routes
from .policy import SCOPE_HIERARCHY, TOOL_SCOPES
from .scopes import all_scopes
from .verifier import JwtVerifier


class JwtTokenVerifier(TokenVerifier):
    def __init__(self, config: AuthConfig, verifier: JwtVerifier) -> None:
        super().__init__(base_url=origin_of(config.resource_url))
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
            resource=self.config.resource_url,
            subject=verified.subject,
            claims=verified.claims,
        )

    @property
    def scopes_supported(self) -> list[str]:
        return all_scopes(TOOL_SCOPES, SCOPE_HIERARCHY)

    def get_routes(self, mcp_path: str | None = None) -> list[Route]:
        """Both protected resource metadata URLs, with `resource` the endpoint's full URL."""
        return metadata_routes(self.config)
