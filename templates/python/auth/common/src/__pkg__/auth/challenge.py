"""The one place where a refusal becomes an HTTP answer (RFC 6750 section 3, MCP authorization: Error Handling)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .config import AuthConfig
from .errors import InsufficientScope, InvalidToken, MissingToken
from .metadata import prm_urls
from .scopes import challenge_scopes


@dataclass(frozen=True)
class Challenge:
    status: int
    headers: dict[str, str]
    body: bytes


def build_challenge(error: Exception, config: AuthConfig, all_scopes: Sequence[str]) -> Challenge:
    """401 for a missing or invalid token, 403 for a valid one without the scopes the call needs."""
    resource_metadata = prm_urls(config)[0]
    if isinstance(error, InsufficientScope):
        # Everything the call needs plus what the token has, so a client replacing its scopes loses none.
        scope = _scope_param([*error.required, *error.granted])
        params = [("error", "insufficient_scope"), ("scope", scope), ("resource_metadata", resource_metadata)]
        return _respond(403, params, "insufficient_scope", str(error))
    if isinstance(error, MissingToken):
        # No credentials: no error parameter (RFC 6750 section 3.1).
        params = [("resource_metadata", resource_metadata), ("scope", _scope_param(all_scopes))]
        description = "Authorization required: send an OAuth access token as 'Authorization: Bearer <token>'"
        return _respond(401, params, "unauthorized", description)
    # Any other failure, an unexpected one included, is an invalid token: never a 500.
    description = error.description if isinstance(error, InvalidToken) else "The access token is invalid"
    params = [
        ("error", "invalid_token"),
        ("error_description", description),
        ("resource_metadata", resource_metadata),
        ("scope", _scope_param(all_scopes)),
    ]
    return _respond(401, params, "invalid_token", description)


def _respond(status: int, params: list[tuple[str, str]], error: str, description: str) -> Challenge:
    value = ", ".join(f'{k}="{_quote(v)}"' for k, v in params if v)
    headers = {"WWW-Authenticate": f"Bearer {value}", "Content-Type": "application/json", "Cache-Control": "no-store"}
    return Challenge(status, headers, json.dumps({"error": error, "error_description": description}).encode())


def _scope_param(scopes: Sequence[str]) -> str:
    return " ".join(challenge_scopes(scopes))


def _quote(value: str) -> str:
    """A quoted-string value: control characters dropped, backslash and quote escaped."""
    return re.sub(r'(["\\])', r"\\\1", re.sub(r"[\x00-\x1f\x7f]", "", value))
