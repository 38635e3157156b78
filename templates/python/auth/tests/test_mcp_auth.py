"""The secured server over real HTTP, started with the project's own command: the official client in both eras,
challenges, tokens, scopes, Origin. Written by create-mcp-auth add; yours to edit."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from __auth__.policy import TOOL_SCOPES

from .mcp_auth_client import ERAS, connect
from .mcp_auth_issuer import Issuer, Key
from .mcp_auth_provider import (
    authorization_server,
    good_claims,
    other_accepted_claims,
    provider_env,
)
from .mcp_auth_running import free_port, running, serving

START = __start__
"""The command that starts this server (the project's own)."""
MCP_PATH = __mcp_path__
SCOPED_TOOL = next((name for name, scopes in TOOL_SCOPES.items() if scopes), None)
ALL_SCOPES = " ".join(sorted({s for scopes in TOOL_SCOPES.values() for s in scopes}))
ALLOWED_ORIGIN = "https://app.example.com"
"""A browser origin the server is told to allow (MCP_ALLOWED_ORIGINS)."""


@dataclass
class Stack:
    issuer: Issuer
    base: str
    """http://127.0.0.1:PORT"""
    url: str
    """The MCP endpoint."""
    output: list[str] = field(default_factory=list)
    """What the server wrote to its standard output so far."""

    def token(self, **claims: object) -> str:
        return self.issuer.mint(**{**good_claims(self.issuer.url, self.url), **claims})


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    issuer = Issuer()
    with running(issuer.app) as issuer_url:
        issuer.url = issuer_url
        port = free_port()
        url = f"http://127.0.0.1:{port}{MCP_PATH}"
        env = {
            "MCP_SERVER_URL": url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "MCP_ALLOWED_ORIGINS": ALLOWED_ORIGIN,
            **provider_env(issuer.url),
        }
        output: list[str] = []
        with serving(START, env, port, output) as base:
            yield Stack(issuer, base, url, output)


def scoped_tool() -> str:
    if SCOPED_TOOL is None:
        pytest.skip("no tool needs a scope (policy.py)")
    return SCOPED_TOOL


def post(stack: Stack, body: Any, token: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return httpx.post(stack.url, content=json.dumps(body), headers=sent)


def call(tool: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": {}}}


def challenge(response: httpx.Response) -> str:
    return str(response.headers.get("www-authenticate", ""))


@pytest.mark.parametrize("era", ERAS)
def test_lists_and_calls_tools_with_a_token(stack: Stack, era: str) -> None:
    statuses: list[int] = []

    async def session() -> None:
        headers = {"Authorization": f"Bearer {stack.token(scope=ALL_SCOPES)}"}
        async with connect(stack.url, era, headers, statuses) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert set(TOOL_SCOPES) <= names
            if "whoami" in names:  # the tool create's example server has: it shows the verified caller
                whoami = await client.call_tool("whoami", {})
                assert not whoami.is_error
                assert "user-1" in json.dumps(whoami.model_dump(mode="json"))
            if SCOPED_TOOL is not None:
                await client.call_tool(SCOPED_TOOL, {"message": "hi"})

    asyncio.run(session())
    assert statuses and set(statuses) <= {200, 202}


@pytest.mark.parametrize("era", ERAS)
def test_a_missing_tool_scope_is_403_before_the_tool_runs(stack: Stack, era: str) -> None:
    tool = scoped_tool()
    statuses: list[int] = []

    async def session() -> None:
        headers = {"Authorization": f"Bearer {stack.token(scope='')}"}
        async with connect(stack.url, era, headers, statuses) as client:
            await client.list_tools()
            with pytest.raises(Exception):  # noqa: B017 - the client reports any refusal as one error type
                await client.call_tool(tool, {})
            assert statuses[-1] == 403

    asyncio.run(session())
    response = post(stack, call(tool), stack.token(scope=""))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in challenge(response)
    assert f'scope="{TOOL_SCOPES[tool][0]}"' in challenge(response)
    assert f'resource_metadata="{stack.base}/.well-known/oauth-protected-resource{MCP_PATH}"' in challenge(response)


@pytest.mark.parametrize("era", ERAS)
def test_no_token_is_401_in_both_eras(stack: Stack, era: str) -> None:
    statuses: list[int] = []

    async def session() -> None:
        async with connect(stack.url, era, None, statuses) as client:
            await client.list_tools()

    with pytest.raises(BaseException):  # noqa: B017 - the client reports any refusal as one error type
        asyncio.run(session())
    assert statuses and set(statuses) == {401}


def test_the_401_names_absolute_metadata_and_scopes_and_no_error_without_credentials(stack: Stack) -> None:
    response = post(stack, call("whoami"))
    assert response.status_code == 401
    header = challenge(response)
    assert header.startswith("Bearer ")
    assert f'resource_metadata="{stack.base}/.well-known/oauth-protected-resource{MCP_PATH}"' in header
    if ALL_SCOPES:
        assert f'scope="{" ".join(s for scopes in TOOL_SCOPES.values() for s in scopes)}"' in header
    assert "error=" not in header
    assert "offline_access" not in header


@pytest.mark.parametrize(
    ("name", "claims"),
    [
        ("expired", {"exp": 1_000_000}),
        ("no exp", {"exp": None}),
        ("wrong issuer", {"iss": "https://evil.example.com"}),
        ("wrong audience", {"aud": "https://other.example.com/mcp"}),
        ("no audience", {"aud": None}),
        ("not yet valid", {"nbf": 4_000_000_000}),
        ("an ID token", {"at_hash": "abc"}),
    ],
)
def test_bad_tokens_are_401_invalid_token(stack: Stack, name: str, claims: dict[str, Any]) -> None:
    response = post(stack, call("whoami"), stack.token(**claims))
    assert response.status_code == 401, name
    assert 'error="invalid_token"' in challenge(response)


def test_a_token_signed_with_another_key_is_401(stack: Stack) -> None:
    stranger = Key()
    stranger.kid = stack.issuer.key.kid  # a real kid, the wrong signature
    response = post(stack, call("whoami"), stack.issuer.mint(key=stranger, **_claims(stack)))
    assert response.status_code == 401
    forged = stack.token().rsplit(".", 1)[0] + ".AAAA"
    assert post(stack, call("whoami"), forged).status_code == 401
    unsigned = stack.token().split(".")[1]
    assert post(stack, call("whoami"), f"eyJhbGciOiJub25lIn0.{unsigned}.").status_code == 401


def test_other_accepted_issuer_and_audience_forms(stack: Stack) -> None:
    for claims in other_accepted_claims(stack.issuer.url, stack.url):
        response = post(stack, call("whoami"), stack.token(**claims))
        assert response.status_code == 200, claims


def test_scopes_are_decided_on_the_body_the_server_runs(stack: Stack) -> None:
    tool = scoped_tool()
    token = stack.token(scope="")
    # Mcp-Name says whoami; the body calls the scoped tool.
    headers = {"Mcp-Name": "whoami", "Mcp-Method": "tools/call"}
    assert post(stack, call(tool), token, headers).status_code == 403
    # A duplicate key: the last one counts, for this layer as for the server behind it.
    body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","name":"TOOL"}}'
    body = body.replace("TOOL", tool)
    sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    response = httpx.post(stack.url, content=body, headers={**sent, "Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    # A batch with one scoped call in it.
    assert post(stack, [call("whoami"), call(tool)], token).status_code == 403


@pytest.mark.parametrize("era", ERAS)
def test_the_client_from_a_foreign_origin_is_refused_in_both_eras(stack: Stack, era: str) -> None:
    statuses: list[int] = []

    async def session() -> None:
        headers = {"Authorization": f"Bearer {stack.token(scope=ALL_SCOPES)}", "Origin": "https://evil.example.com"}
        async with connect(stack.url, era, headers, statuses) as client:
            await client.list_tools()

    with pytest.raises(BaseException):  # noqa: B017 - the client reports any refusal as one error type
        asyncio.run(session())
    assert statuses and set(statuses) == {403}


def test_a_foreign_origin_is_403(stack: Stack) -> None:
    response = post(stack, call("whoami"), stack.token(), {"Origin": "https://evil.example.com"})
    assert response.status_code == 403
    allowed = post(stack, call("whoami"), stack.token(), {"Origin": "http://localhost:6274"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:6274"
    assert "WWW-Authenticate" in allowed.headers["access-control-expose-headers"]
    # An origin MCP_ALLOWED_ORIGINS names passes this layer and the framework's own Origin check behind it.
    configured = post(stack, call("whoami"), stack.token(), {"Origin": ALLOWED_ORIGIN})
    assert configured.status_code == 200
    assert configured.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_a_foreign_host_is_403(stack: Stack) -> None:
    response = post(stack, call("whoami"), stack.token(), {"Host": "evil.example.com"})
    # 403 from the auth layer, or 421 Misdirected Request from the framework's own Host check when it runs first.
    assert response.status_code in (403, 421)


@pytest.mark.parametrize("suffix", [True, False])
def test_protected_resource_metadata_at_both_urls(stack: Stack, suffix: bool) -> None:
    path = "/.well-known/oauth-protected-resource" + (MCP_PATH if suffix and MCP_PATH != "/" else "")
    response = httpx.get(stack.base + path)
    assert response.status_code == 200
    document = response.json()
    assert document["resource"] == stack.url
    assert document["authorization_servers"] == [authorization_server(stack.issuer.url)]
    assert document["bearer_methods_supported"] == ["header"]
    assert "offline_access" not in document["scopes_supported"]
    assert response.headers["access-control-allow-origin"] == "*"
    # A browser's preflight, from any origin, and no token needed for either.
    preflight = httpx.options(
        stack.base + path, headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("value", ['"\\ud800"', "1e999"])
def test_a_body_this_layer_cannot_pass_on_as_json_is_400_not_500(stack: Stack, value: str) -> None:
    # A lone surrogate has no UTF-8 form; 1e999 is past a float's range (it would be passed on as Infinity).
    body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{"x":VALUE}}}'
    sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    headers = {**sent, "Authorization": f"Bearer {stack.token()}"}
    response = httpx.post(stack.url, content=body.replace("VALUE", value), headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32700


def test_a_body_over_1_mb_is_413(stack: Stack) -> None:
    response = post(stack, {"jsonrpc": "2.0", "id": 1, "method": "ping", "pad": "x" * 1_100_000}, stack.token())
    assert response.status_code == 413


def test_one_json_log_line_names_the_caller_method_and_tool(stack: Stack) -> None:
    assert post(stack, call("whoami"), stack.token()).status_code == 200
    # The line is written once the answer has been sent: wait for it.
    lines: list[dict[str, Any]] = []
    for _ in range(100):
        lines = [json.loads(line) for line in list(stack.output) if line.startswith("{")]
        if any(line.get("tool") == "whoami" for line in lines):
            break
        time.sleep(0.02)
    if not lines:
        pytest.skip("the server writes no JSON log lines")
    logged = next(line for line in lines if line.get("tool") == "whoami")
    expected = {"method": "POST", "path": MCP_PATH, "status": 200, "subject": "user-1", "rpc": "tools/call"}
    assert logged == {**logged, **expected}


def test_healthz_needs_no_token(stack: Stack) -> None:
    response = httpx.get(f"{stack.base}/healthz")
    if response.status_code == 404:
        pytest.skip("the server has no /healthz")
    assert response.json() == {"status": "ok"}


def _claims(stack: Stack) -> dict[str, Any]:
    return good_claims(stack.issuer.url, stack.url)
