"""Protected resource metadata (RFC 9728) at both URLs clients try: path-suffixed first, then the root."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import AuthConfig
from .policy import SCOPE_HIERARCHY, SERVER_NAME, TOOL_SCOPES
from .scopes import all_scopes

WELL_KNOWN = "/.well-known/oauth-protected-resource"

METADATA_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "Mcp-Protocol-Version, Content-Type",
    "Access-Control-Max-Age": "86400",
    "Cache-Control": "public, max-age=300",
}
"""The documents are public and readable from any origin."""


def prm_paths(config: AuthConfig) -> tuple[str, str]:
    """(path-suffixed, root): /.well-known/oauth-protected-resource/mcp and /.well-known/oauth-protected-resource."""
    return WELL_KNOWN + ("" if config.mcp_path == "/" else config.mcp_path), WELL_KNOWN


def prm_urls(config: AuthConfig) -> tuple[str, str]:
    """Absolute metadata URLs, derived from MCP_SERVER_URL so they stay right behind a proxy."""
    url = urlsplit(config.resource_url)
    origin = f"{url.scheme}://{url.netloc}"
    suffixed, root = prm_paths(config)
    return origin + suffixed, origin + root


def protected_resource_metadata(config: AuthConfig) -> dict[str, Any]:
    return {
        "resource": config.resource_url,
        "authorization_servers": [config.provider.authorization_server],
        "scopes_supported": all_scopes(TOOL_SCOPES, SCOPE_HIERARCHY),
        "bearer_methods_supported": ["header"],
        "resource_name": SERVER_NAME,
    }


def metadata_routes(config: AuthConfig) -> list[Route]:
    """GET and OPTIONS routes for both metadata URLs (mounted at the application's root)."""
    document = protected_resource_metadata(config)

    async def endpoint(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=METADATA_HEADERS)
        return JSONResponse(document, headers=METADATA_HEADERS)

    return [Route(path, endpoint, methods=["GET", "OPTIONS"]) for path in dict.fromkeys(prm_paths(config))]
