"""What the tests tell the server about the test issuer, and what its tokens say, for an OpenID Connect server."""

from __future__ import annotations

from typing import Any


def provider_env(issuer_url: str) -> dict[str, str]:
    return {"OIDC_ISSUER_URL": issuer_url}


def good_claims(issuer_url: str, server_url: str) -> dict[str, Any]:
    return {"iss": issuer_url, "aud": server_url}


def other_accepted_claims(issuer_url: str, server_url: str) -> list[dict[str, Any]]:
    """`iss` with a trailing slash (Auth0 writes one), and `aud` as an array."""
    return [{"iss": f"{issuer_url}/", "aud": [server_url, "another-api"]}]


def authorization_server(issuer_url: str) -> str:
    return issuer_url
