"""The request pipeline in front of the MCP endpoint, as one ASGI middleware.

Origin/Host (403) -> preflight (204) -> authenticate from the header, before the body is read (401) ->
a bounded JSON body (413, 400) -> the scopes of every tool called in that body (403) -> the MCP SDK.
The SDK is handed the very JSON this layer decided on, re-serialized, so the two cannot read the body
differently (no parse differential); `Mcp-Name` and other headers play no part in the decision.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .challenge import build_challenge
from .config import AuthConfig
from .errors import InsufficientScope, InvalidToken, MissingToken
from .origin import check_origin
from .policy import SCOPE_HIERARCHY, TOOL_SCOPES
from .scopes import all_scopes, missing_scopes, required_scopes_for
from .verifier import JwtVerifier, VerifiedToken

MAX_BODY_BYTES = 1024 * 1024

CORS_HEADERS = {
    "Access-Control-Expose-Headers": "WWW-Authenticate, Mcp-Session-Id",
    "Vary": "Origin",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID"
    ),
    "Access-Control-Max-Age": "600",
}


class McpAuthMiddleware:
    """Authorizes every request to `config.mcp_path`; other paths pass through untouched."""

    def __init__(self, app: ASGIApp, *, config: AuthConfig, verifier: JwtVerifier) -> None:
        self.app = app
        self.config = config
        self.verifier = verifier
        self.scopes = all_scopes(TOOL_SCOPES, SCOPE_HIERARCHY)
        self.path = config.mcp_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        headers = _request_headers(scope)
        origin = headers.get(b"origin")
        cors = {**CORS_HEADERS, "Access-Control-Allow-Origin": origin} if origin else {}
        refusal = check_origin(self.config, origin, headers.get(b"host"))
        if refusal is not None:
            error = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": refusal}}
            await _discard_body(receive, MAX_BODY_BYTES)
            await _answer(send, 403, {"Content-Type": "application/json"}, json.dumps(error).encode())
            return
        if scope["method"] == "OPTIONS":
            await _answer(send, 204, {**cors, **PREFLIGHT_HEADERS}, b"")
            return
        try:
            caller = await self._authenticate(headers.get(b"authorization"))
        except (MissingToken, InvalidToken) as error:
            await _discard_body(receive, MAX_BODY_BYTES)
            await self._refuse(send, error, cors)
            return
        scope.setdefault("state", {})["mcp_caller"] = {"subject": caller.subject, "client_id": caller.client_id}
        if scope["method"] != "POST":
            await self.app(scope, receive, _with_headers(send, cors))
            return

        body = await _read_body(receive, MAX_BODY_BYTES)
        if body is None:
            await _answer(send, 413, {**cors, "Content-Type": "application/json"}, _rpc_error(-32600, "Body too large"))
            return
        try:
            message = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
        except ValueError:
            await _answer(send, 400, {**cors, "Content-Type": "application/json"}, _rpc_error(-32700, "Parse error"))
            return
        scope["state"]["mcp_caller"].update(_described(message))
        missing = missing_scopes(required_scopes_for(message, TOOL_SCOPES), caller.scopes, SCOPE_HIERARCHY)
        if missing:
            await self._refuse(send, InsufficientScope(missing, caller.scopes), cors)
            return
        await self.app(
            _with_body_length(scope, len(exact := _exact(message))), _replay(exact, receive), _with_headers(send, cors)
        )

    async def _authenticate(self, authorization: str | None) -> VerifiedToken:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            if authorization:
                raise InvalidToken("malformed", "Send the token as 'Authorization: Bearer <token>'")
            raise MissingToken()
        return await self.verifier.verify(token.strip())

    async def _refuse(self, send: Send, error: Exception, cors: dict[str, str]) -> None:
        challenge = build_challenge(error, self.config, self.scopes)
        await _answer(send, challenge.status, {**cors, **challenge.headers}, challenge.body)


def _described(message: Any) -> dict[str, str]:
    """The JSON-RPC method and tool of a single message, for the request's log line."""
    if not isinstance(message, dict) or not isinstance(message.get("method"), str):
        return {}
    described = {"rpc": message["method"]}
    params = message.get("params")
    if message["method"] == "tools/call" and isinstance(params, dict) and isinstance(params.get("name"), str):
        described["tool"] = params["name"]
    return described


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _exact(message: Any) -> bytes:
    """The decided-on message as the SDK will read it: one canonical serialization, no duplicate keys."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _rpc_error(code: int, message: str) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}).encode()


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None once it passes `limit` bytes (counted as it streams, not only by Content-Length)."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return bytes(body)
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return bytes(body)


async def _discard_body(receive: Receive, limit: int) -> None:
    """Reads and drops a refused request's body (up to `limit`): a server that answers and closes while the
    client is still sending makes the client (or a proxy in front) see a reset instead of the answer."""
    await _read_body(receive, limit)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then the client's disconnect, as the SDK expects

    return replay


_READ = frozenset((b"origin", b"host", b"authorization"))


def _request_headers(scope: Scope) -> dict[bytes, str]:
    """The headers this layer reads, the first of each as Starlette's Headers.get gives it, in one pass over the
    raw list (ASGI header names are lower case): a third of the calls per request of three Headers.get lookups
    (bench/python, Python calls per request)."""
    found: dict[bytes, str] = {}
    for key, value in scope["headers"]:
        if key in _READ and key not in found:
            found[key] = value.decode("latin-1")
    return found


def _with_body_length(scope: Scope, length: int) -> Scope:
    # ASGI header names are lower case.
    headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-length", b"transfer-encoding")]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    if not extra:
        return send
    encoded = [(k.lower().encode(), v.encode()) for k, v in extra.items()]

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {k for k, _ in encoded}
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message = {**message, "headers": [*kept, *encoded]}
        await send(message)

    return send_with_headers


async def _answer(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw: Sequence[tuple[bytes, bytes]] = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*raw, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
