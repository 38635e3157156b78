"""The official MCP SDK's auth for the SDK's apps merged into a Starlette app of the project's own, written by
create-mcp-auth add: `MCPServer(..., **sdk_auth())`, then `secure_merged_app(app)` once the app is made.

The SDK's apps (`sse_app()`, `streamable_http_app()`) authenticate their routes with app middleware that routes
copied out of them leave behind: their endpoints (RequireAuthMiddleware) would find no authenticated user. This
puts that middleware on the project's app (the SDK's BearerAuthBackend over the token verifier beside it, and the
context tools read through get_access_token()), then what secure_app adds: both protected resource metadata URLs
at the root and the auth core in front of the MCP endpoint (the 401 challenge, the audience, 403
insufficient_scope per tool before the tool runs, Origin/Host). Which tool needs which scope: policy.py.
"""

from __future__ import annotations

from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend
from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware

from .sdk_auth import sdk_auth, secure_app


def secure_merged_app(app: Starlette) -> None:
    """Call it before the app serves (the middleware added after it, such as CORS, stays outermost)."""
    app.add_middleware(AuthContextMiddleware)
    app.add_middleware(AuthenticationMiddleware, backend=BearerAuthBackend(sdk_auth()["token_verifier"]))
    secure_app(app)


__all__ = ["sdk_auth", "secure_merged_app"]
