"""The authorization settings: the protected resource (this endpoint), allowed origins, the authorization server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..settings import Env, Settings
from .provider import ProviderConfig, create_key_set, load_provider_config
from .verifier import JwtVerifier


@dataclass(frozen=True)
class AuthConfig:
    resource_url: str
    """The MCP endpoint's public URL, no trailing slash: the OAuth "resource"."""
    mcp_path: str
    local: bool
    """The public URL is on loopback: any loopback Origin is allowed and the Host header is checked."""
    host: str
    """The listen address."""
    allowed_origins: tuple[str, ...]
    """Origins whose pages may call the endpoint: the public URL's own plus MCP_ALLOWED_ORIGINS."""
    provider: ProviderConfig


def load_auth_config(env: Env, settings: Settings) -> AuthConfig:
    return AuthConfig(
        resource_url=settings.server_url,
        mcp_path=settings.mcp_path,
        local=settings.local,
        host=settings.host,
        allowed_origins=settings.allowed_origins,
        provider=load_provider_config(env, settings.server_url),
    )


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def create_verifier(config: AuthConfig, **key_set_options: Any) -> JwtVerifier:
    """The token verifier for this server: PyJWT against the provider's key set, its issuers and audiences."""
    keys = create_key_set(config.provider, **key_set_options)
    return JwtVerifier(keys, issuers=config.provider.issuers, audiences=config.provider.audiences)
