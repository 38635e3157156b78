"""CPU cost of the auth layer alone, in process (no network, so other load on a shared machine moves it little).

usage (in a generated project): .venv/bin/python <repo>/bench/python/micro.py <module> [requests]
Prints JSON: microseconds of CPU per request through McpAuthMiddleware (Origin/Host, token from the cache,
bounded JSON body, scopes, re-serialization) in front of an ASGI app that only reads the body and answers,
minus that app alone; and the same for a tools/call of a scoped tool.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import time
from typing import Any

module = sys.argv[1]
requests = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
config_module = importlib.import_module(f"{module}.mcp_auth.config")
middleware_module = importlib.import_module(f"{module}.mcp_auth.middleware")
settings_module = importlib.import_module(f"{module}.settings")
sys.path.insert(0, ".")
issuer_module = importlib.import_module("tests.mcp_auth_issuer")
running = importlib.import_module("tests.mcp_auth_running").running
provider_env = importlib.import_module("tests.mcp_auth_provider")


async def inner(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def measure(app: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> float:
    async def send(_message: Any) -> None:
        return None

    started = time.process_time()
    for _ in range(requests):
        scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": headers, "query_string": b""}
        sent = False

        async def receive() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        await app(scope, receive, send)
    return (time.process_time() - started) / requests * 1e6


def main() -> None:
    issuer = issuer_module.Issuer()
    with running(issuer.app) as url:
        issuer.url = url
        env = {"MCP_SERVER_URL": "http://127.0.0.1:3000/mcp", **provider_env.provider_env(url)}
        settings = settings_module.load_settings(env)
        config = config_module.load_auth_config(env, settings)
        verifier = config_module.create_verifier(config)
        token = issuer.mint(**provider_env.good_claims(url, settings.server_url), scope="todo:read todo:write")
        app = middleware_module.McpAuthMiddleware(inner, config=config, verifier=verifier)
        headers = [
            (b"host", b"127.0.0.1:3000"),
            (b"content-type", b"application/json"),
            (b"accept", b"application/json, text/event-stream"),
            (b"authorization", f"Bearer {token}".encode()),
        ]
        listing = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}).encode()
        call = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "todo_read", "arguments": {}}}
        ).encode()

        async def run() -> dict[str, float]:
            await measure(app, headers, listing)  # loads the keys, fills the verified-token cache
            base = await measure(inner, headers, listing)
            return {
                "tools/list": round(await measure(app, headers, listing) - base, 1),
                "tools/call (scoped)": round(await measure(app, headers, call) - base, 1),
                "requests": requests,
            }

        print(json.dumps(asyncio.run(run())))


main()
