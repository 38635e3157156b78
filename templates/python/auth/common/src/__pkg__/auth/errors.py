"""Why a request is refused: each error knows its HTTP answer (see challenge.py)."""

from __future__ import annotations


class MissingToken(Exception):
    """No `Authorization: Bearer` credentials: 401 without an error code (RFC 6750 section 3.1)."""


class InvalidToken(Exception):
    """The token is not acceptable: 401 `invalid_token`. `code` is for logs, `description` for the client."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class InsufficientScope(Exception):
    """A valid token without the scopes the call needs: 403 `insufficient_scope`."""

    def __init__(self, required: list[str], granted: list[str]) -> None:
        super().__init__(f"This call needs the scope(s): {' '.join(required)}")
        self.required = required
        self.granted = granted
