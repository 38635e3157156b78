"""Any OAuth 2.1 or OpenID Connect authorization server with discovery metadata (RFC 8414, OIDC Discovery)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..settings import ConfigError, Env, https_url, optional, required
from .keyset import RemoteKeySet


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    issuer: str
    """OIDC_ISSUER_URL exactly as configured (compared as a string with `iss`)."""
    authorization_server: str
    issuers: tuple[str, ...]
    audiences: tuple[str, ...]


def load_provider_config(env: Env, resource_url: str) -> ProviderConfig:
    example = "https://auth.example.com/realms/mcp"
    issuer = required(env, "OIDC_ISSUER_URL", example)
    https_url("OIDC_ISSUER_URL", issuer, example)
    audiences = [entry.strip() for entry in (optional(env, "OIDC_AUDIENCE") or "").split(",") if entry.strip()]
    for audience in audiences:
        if any(c.isspace() for c in audience):
            raise ConfigError("OIDC_AUDIENCE", f'entries cannot contain spaces (got "{audience}")', resource_url)
    other_form = issuer[:-1] if issuer.endswith("/") else f"{issuer}/"
    return ProviderConfig(
        name="oidc",
        issuer=issuer,
        authorization_server=issuer,
        # Compared as strings; some servers (Auth0) put a trailing slash in `iss`.
        issuers=(issuer, other_form),
        # RFC 8707: by default a token must name this server's URL as its audience.
        audiences=tuple(audiences) if audiences else (resource_url, f"{resource_url}/"),
    )


def metadata_urls(issuer: str) -> list[str]:
    """RFC 8414 first, then OpenID Connect Discovery, path-inserted and path-appended (MCP 2026-07-28)."""
    url = urlsplit(issuer)
    origin, path = f"{url.scheme}://{url.netloc}", url.path.rstrip("/")
    urls = [
        f"{origin}/.well-known/oauth-authorization-server{path}",
        f"{origin}{path}/.well-known/openid-configuration",
    ]
    if path:
        urls += [
            f"{origin}/.well-known/openid-configuration{path}",
            f"{origin}{path}/.well-known/oauth-authorization-server",
        ]
    return urls


class Discovery:
    """Finds the key set URL in the authorization server's metadata; asked again until it answers.

    The key set calls it inside its own fetch, so its cooldown also paces discovery retries.
    """

    def __init__(self, issuer: str, timeout: float = 5.0) -> None:
        self.issuer = issuer
        self.timeout = timeout
        self.jwks_uri: str | None = None

    async def __call__(self) -> str:
        if self.jwks_uri is not None:
            return self.jwks_uri
        problems = []
        async with httpx.AsyncClient() as client:
            for url in metadata_urls(self.issuer):
                try:
                    async with asyncio.timeout(self.timeout):
                        self.jwks_uri = await self._read(client, url)
                    return self.jwks_uri
                except Exception as error:  # try the next form
                    problems.append(f"{url}: {error or type(error).__name__}")
        raise RuntimeError(f"cannot read the metadata of {self.issuer} (OIDC_ISSUER_URL); tried {'; '.join(problems)}")

    async def _read(self, client: httpx.AsyncClient, url: str) -> str:
        response = await client.get(url, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
        document = response.json()
        # RFC 8414 section 3.3: the document's issuer must be the one asked for.
        if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != self.issuer.rstrip("/"):
            raise RuntimeError(f"its issuer is not {self.issuer}")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise RuntimeError("it has no jwks_uri")
        return https_url("jwks_uri", jwks_uri, "https://auth.example.com/keys")


def create_key_set(config: ProviderConfig, **options: Any) -> RemoteKeySet:
    """The key set named by the authorization server's metadata."""
    return RemoteKeySet(Discovery(config.issuer), **options)
