"""Scopes: what a token grants, what a JSON-RPC body needs, what is advertised."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ScopeMap = Mapping[str, Sequence[str]]

NOT_A_RESOURCE_SCOPE = "offline_access"
"""Asks for a refresh token; never a resource requirement, so never advertised or challenged (MCP 2026-07-28)."""

_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
"""RFC 6749 section 3.3 scope-token characters; anything else never goes into a header."""


def scopes_from_claims(claims: Mapping[str, Any]) -> list[str]:
    """`scope` (split on U+0020 only, RFC 6749 3.3), `scp` (array or string) and `scopes` (array), united."""
    found: dict[str, None] = {}
    for claim in (claims.get("scope"), claims.get("scp"), claims.get("scopes")):
        values: Iterable[Any] = claim.split(" ") if isinstance(claim, str) else claim if isinstance(claim, list) else []
        for value in values:
            if isinstance(value, str) and value:
                found[value] = None
    return list(found)


def effective_scopes(granted: Iterable[str], implies: ScopeMap) -> set[str]:
    """Granted scopes plus every narrower scope a granted one implies, transitively (SEP-2350)."""
    held: set[str] = set()
    pending = list(granted)
    while pending:
        scope = pending.pop()
        if scope not in held:
            held.add(scope)
            pending.extend(implies.get(scope, ()))
    return held


def required_scopes_for(body: Any, tool_scopes: ScopeMap) -> list[str]:
    """The scopes a JSON-RPC body (one message or a batch) needs: those of every `tools/call` in it.

    Decided on the parsed body the MCP SDK then runs, never on a header such as `Mcp-Name`.
    Unknown tools need nothing here; the MCP server answers them "tool not found".
    """
    needed: dict[str, None] = {}
    for message in body if isinstance(body, list) else [body]:
        name = _tool_call_name(message)
        if name is not None:
            for scope in tool_scopes.get(name, ()):
                needed[scope] = None
    return list(needed)


def missing_scopes(required: Sequence[str], granted: Iterable[str], implies: ScopeMap) -> list[str]:
    if not required:
        return []
    held = effective_scopes(granted, implies)
    return [scope for scope in required if scope not in held]


def all_scopes(tool_scopes: ScopeMap, implies: ScopeMap) -> list[str]:
    """Every scope a client may ask for: the tools' and the broader ones; advertised in metadata and 401s."""
    scopes = [s for v in tool_scopes.values() for s in v] + list(implies) + [s for v in implies.values() for s in v]
    return [scope for scope in dict.fromkeys(scopes) if scope != NOT_A_RESOURCE_SCOPE]


def challenge_scopes(scopes: Iterable[str]) -> list[str]:
    return [s for s in dict.fromkeys(scopes) if s != NOT_A_RESOURCE_SCOPE and _SCOPE_TOKEN.match(s)]


def _tool_call_name(message: Any) -> str | None:
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return None
    params = message.get("params")
    name = params.get("name") if isinstance(params, dict) else None
    return name if isinstance(name, str) else None
