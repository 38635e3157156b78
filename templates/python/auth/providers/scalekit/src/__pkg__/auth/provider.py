"""Scalekit as the authorization server: its URL layout, both issuer forms, a res_ id or URL audience."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..settings import ConfigError, Env, https_url, required
from .keyset import RemoteKeySet

_RES_ID = re.compile(r"^res_[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    environment_url: str
    """SCALEKIT_ENVIRONMENT_URL, no trailing slash."""
    resource_id: str
    """SCALEKIT_RESOURCE_ID: res_... or the resource's URL."""
    authorization_server: str
    """Named in the protected resource metadata."""
    issuers: tuple[str, ...]
    audiences: tuple[str, ...]
    jwks_uri: str


def load_provider_config(env: Env, resource_url: str) -> ProviderConfig:
    environment_url = https_url(
        "SCALEKIT_ENVIRONMENT_URL",
        required(env, "SCALEKIT_ENVIRONMENT_URL", "https://acme.scalekit.dev"),
        "https://acme.scalekit.dev",
    )
    resource_id = required(env, "SCALEKIT_RESOURCE_ID", "res_1234567890")
    id_is_url = resource_id.startswith(("http://", "https://"))
    if id_is_url:
        https_url("SCALEKIT_RESOURCE_ID", resource_id, "res_1234567890")
    elif not _RES_ID.match(resource_id):
        raise ConfigError(
            "SCALEKIT_RESOURCE_ID", "must look like res_ followed by letters and digits, or be a URL", "res_1234567890"
        )
    # A res_ id has its own authorization server path; a resource named by URL is served by the environment itself.
    authorization_server = environment_url if id_is_url else f"{environment_url}/resources/{resource_id}"
    return ProviderConfig(
        name="scalekit",
        environment_url=environment_url,
        resource_id=resource_id,
        authorization_server=authorization_server,
        # Scalekit signs MCP tokens with the environment URL as issuer today and is moving to the
        # per-resource issuer; accepting both keeps tokens valid across the switch.
        issuers=tuple(dict.fromkeys([environment_url, authorization_server])),
        # Scalekit puts both the registered server URL and the resource id in `aud`.
        audiences=tuple(dict.fromkeys([resource_url, f"{resource_url}/", resource_id.rstrip("/"), resource_id])),
        jwks_uri=f"{environment_url}/keys",
    )


def create_key_set(config: ProviderConfig, **options: Any) -> RemoteKeySet:
    """Scalekit's signing keys, at {environment}/keys."""
    return RemoteKeySet(config.jwks_uri, **options)
