"""The request pipeline in front of the MCP endpoint, as one ASGI middleware.

Origin/Host (403) -> preflight (204) -> authenticate from the header, before the body is read (401) ->
a bounded JSON body (413, 400) -> the scopes of every tool called in that body (403) -> the MCP SDK.
The SDK is handed the very JSON this layer decided on, re-serialized, so the two cannot read the body
differently (no parse differential); `Mcp-Name` and other headers play no part in the decision.

It runs on every request, so it is kept lean: bench/python/calls.py counts its Python calls per request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.routing import Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .challenge import build_challenge
from .config import AuthConfig
from .errors import InsufficientScope, InvalidToken, MissingToken
from .metadata import metadata_routes, prm_paths
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
    """Authorizes every request to `config.mcp_path`; other paths pass through untouched.

    With `serve_metadata`, it also answers both protected resource metadata URLs itself (metadata.py), ahead of
    the app: for an app whose own routes cannot be put first, and cheaper than routes at the head of the app's
    router, which every request to the endpoint would be matched against first.
    """

    def __init__(
        self, app: ASGIApp, *, config: AuthConfig, verifier: JwtVerifier, serve_metadata: bool = False
    ) -> None:
        self.app = app
        self.config = config
        self.verifier = verifier
        self.scopes = all_scopes(TOOL_SCOPES, SCOPE_HIERARCHY)
        self.path = config.mcp_path.rstrip("/")
        self.metadata_paths = frozenset(prm_paths(config)) if serve_metadata else frozenset()
        self.metadata = Router(routes=metadata_routes(config))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            if scope["type"] == "http" and scope["path"] in self.metadata_paths:
                await self.metadata(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        origin, host, authorization = _request_headers(scope)
        cors = {**CORS_HEADERS, "Access-Control-Allow-Origin": origin} if origin else {}
        refusal = check_origin(self.config, origin, host)
        if refusal is not None:
            error = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": refusal}}
            await _discard_body(receive, MAX_BODY_BYTES)
            await _answer(send, 403, {"Content-Type": "application/json"}, json.dumps(error).encode())
            return
        if scope["method"] == "OPTIONS":
            await _answer(send, 204, {**cors, **PREFLIGHT_HEADERS}, b"")
            return
        try:
            caller = await self._authenticate(authorization)
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
            message = _DECODER.decode(body.decode("utf-8"))
            # What the SDK will read. A lone surrogate (\ud800) has no UTF-8 form and a number past a float's range
            # (1e999) would come out as Infinity: neither is JSON to pass on.
            exact = _exact(message)
        except ValueError:
            await _answer(send, 400, {**cors, "Content-Type": "application/json"}, _rpc_error(-32700, "Parse error"))
            return
        scope["state"]["mcp_caller"].update(_described(message))
        required = required_scopes_for(message, TOOL_SCOPES)
        missing = missing_scopes(required, caller.scopes, SCOPE_HIERARCHY) if required else []
        if missing:
            await self._refuse(send, InsufficientScope(missing, caller.scopes), cors)
            return
        await self.app(_with_body_length(scope, len(exact)), _replay(exact, receive), _with_headers(send, cors))

    async def _authenticate(self, authorization: str | None) -> VerifiedToken:
        if not authorization:
            raise MissingToken()
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("malformed", "Send the token as 'Authorization: Bearer <token>'")
        return await self.verifier.verify(token)

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


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
"""json.loads(text, parse_constant=_refuse_constant), made once: NaN and Infinity are not JSON."""
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
"""json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False), made once."""


def _exact(message: Any) -> bytes:
    """The decided-on message as the SDK will read it: one canonical serialization, no duplicate keys."""
    return _ENCODER.encode(message).encode("utf-8")


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


def _request_headers(scope: Scope) -> tuple[str | None, str | None, str | None]:
    """Origin, Host and Authorization, the first of each as Starlette's Headers.get gives it, in one pass over the
    raw list (ASGI header names are lower case), without the lowering and encoding per lookup of Headers.get."""
    origin = host = authorization = None
    for key, value in scope["headers"]:
        if key == b"host":
            if host is None:
                host = value.decode("latin-1")
        elif key == b"authorization":
            if authorization is None:
                authorization = value.decode("latin-1")
        elif key == b"origin" and origin is None:
            origin = value.decode("latin-1")
    return origin, host, authorization


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
