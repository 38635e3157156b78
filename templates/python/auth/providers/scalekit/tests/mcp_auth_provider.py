"""What the tests tell the server about the test issuer, and what its tokens say, for Scalekit."""

from __future__ import annotations

from typing import Any

RESOURCE_ID = "res_test"


def provider_env(issuer_url: str) -> dict[str, str]:
    return {"SCALEKIT_ENVIRONMENT_URL": issuer_url, "SCALEKIT_RESOURCE_ID": RESOURCE_ID}


def good_claims(issuer_url: str, server_url: str) -> dict[str, Any]:
    """Claims of a token Scalekit would issue for this server: `aud` holds the URL and the resource id."""
    return {"iss": issuer_url, "aud": [server_url, RESOURCE_ID]}


def other_accepted_claims(issuer_url: str, server_url: str) -> list[dict[str, Any]]:
    """The per-resource issuer form, and the resource id alone as audience: both accepted."""
    return [
        {"iss": f"{issuer_url}/resources/{RESOURCE_ID}", "aud": [server_url]},
        {"iss": issuer_url, "aud": RESOURCE_ID},
    ]


def authorization_server(issuer_url: str) -> str:
    return f"{issuer_url}/resources/{RESOURCE_ID}"
