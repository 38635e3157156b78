"""Scope rules: claims read, hierarchy, offline_access never advertised or asked for."""

from __future__ import annotations

from __auth__.scopes import (
    all_scopes,
    challenge_scopes,
    missing_scopes,
    required_scopes_for,
    scopes_from_claims,
)


def test_the_scope_claim_is_split_on_spaces_only() -> None:
    assert scopes_from_claims({"scope": "a b\tc", "scp": ["d"], "scopes": ["a", "e"]}) == ["a", "b\tc", "d", "e"]


def test_a_broader_scope_implies_narrower_ones() -> None:
    implies = {"todo:admin": ["todo:read", "todo:write"]}
    assert missing_scopes(["todo:read"], ["todo:admin"], implies) == []
    assert missing_scopes(["todo:read"], ["todo:write"], implies) == ["todo:read"]


def test_offline_access_is_never_advertised_or_challenged() -> None:
    assert all_scopes({"t": ["offline_access", "a"]}, {"offline_access": ["a"]}) == ["a"]
    assert challenge_scopes(["offline_access", "a", 'b"']) == ["a"]


def test_required_scopes_come_from_every_tool_call_in_the_body() -> None:
    tools = {"read": ["r"], "write": ["w"]}
    batch = [
        {"method": "tools/call", "params": {"name": "read"}},
        {"method": "tools/call", "params": {"name": "write"}},
        {"method": "tools/list"},
    ]
    assert required_scopes_for(batch, tools) == ["r", "w"]
    assert required_scopes_for({"method": "tools/call", "params": {"name": "unknown"}}, tools) == []
