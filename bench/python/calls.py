"""Python function calls per request of one bench/python/servers.py variant, in process: a cost measure that
other load on a shared machine cannot move (CPU time and req/s on a loaded machine swing by 30% and more).

usage (in a generated project): TOKEN=<bearer> .venv/bin/python <repo>/bench/python/calls.py <variant> <framework>
    <module> <2025|2026> [requests]
Environment: as servers.py (MCP_SERVER_URL, PORT, SCALEKIT_ENVIRONMENT_URL, SCALEKIT_RESOURCE_ID) plus TOKEN;
CALLS_PROFILE=<file> also writes the raw profile there (pstats), to see which functions make the calls.
The app servers.py would hand to uvicorn is driven directly over ASGI (its lifespan started first): an
authenticated tools/list of the given era, each answer checked; after a warm-up (keys fetched, caches filled),
cProfile counts every Python-level and builtin call of `requests` requests. Prints JSON.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import pstats
import runpy
import sys
from pathlib import Path
from typing import Any

import uvicorn

variant, framework, module, era = sys.argv[1:5]
requests = int(sys.argv[5]) if len(sys.argv) > 5 else 300
captured: dict[str, Any] = {}
uvicorn.run = lambda app, **_: captured.setdefault("app", app)  # type: ignore[assignment]
sys.argv = ["servers.py", variant, framework, module]
runpy.run_path(str(Path(__file__).with_name("servers.py")), run_name="__main__")
app = captured["app"]

META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
}
params: dict[str, Any] = {"_meta": META} if era == "2026" else {}
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params}).encode()
url = os.environ["MCP_SERVER_URL"]
headers = [
    (b"host", url.split("/")[2].encode()),
    (b"content-type", b"application/json"),
    (b"accept", b"application/json, text/event-stream"),
    (b"mcp-protocol-version", b"2026-07-28" if era == "2026" else b"2025-06-18"),
    (b"authorization", f"Bearer {os.environ['TOKEN']}".encode()),
    (b"content-length", str(len(body)).encode()),
]
if era == "2026":
    headers.append((b"mcp-method", b"tools/list"))


async def request() -> bytes:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    status = 0
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/mcp",
        "raw_path": b"/mcp",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", int(os.environ["PORT"])),
        "state": {},
    }
    await app(scope, receive, send)
    answer = b"".join(chunks)
    if status != 200 or b'"tools"' not in answer:
        raise SystemExit(f"{variant} {era}: {status} {answer[:300]!r}")
    return answer


# The servers' request log lines go to stdout: not this script's output, which goes to the real stdout.
result = sys.stdout
sys.stdout = open(os.devnull, "w")


async def main() -> None:
    startup = asyncio.Event()
    shutdown = asyncio.Event()
    ready = asyncio.Event()

    async def lifespan_receive() -> dict[str, str]:
        if not startup.is_set():
            startup.set()
            return {"type": "lifespan.startup"}
        await shutdown.wait()
        return {"type": "lifespan.shutdown"}

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            ready.set()

    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, lifespan_receive, lifespan_send)
    )
    await ready.wait()
    for _ in range(50):
        await request()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        await request()
    profile.disable()
    stats = pstats.Stats(profile)
    if os.environ.get("CALLS_PROFILE"):  # the raw profile, for pstats (which function makes the calls)
        stats.dump_stats(os.environ["CALLS_PROFILE"])
    # Where the calls go: the auth package add writes (mcp_auth/), the project's own code, each installed
    # package (site-packages/<name>/), the standard library, builtins.
    by: dict[str, float] = {}
    for (file, _, _), v in stats.stats.items():  # type: ignore[attr-defined]
        if f"/{module}/mcp_auth/" in file:
            where = "mcp_auth"
        elif f"/{module}/" in file:
            where = module
        elif "site-packages/" in file:
            where = file.split("site-packages/")[1].split("/")[0].removesuffix(".py")
        elif file == "~":
            where = "builtins"
        else:
            where = "stdlib"
        by[where] = by.get(where, 0) + v[1] / requests
    total = stats.total_calls  # type: ignore[attr-defined]
    result.write(
        json.dumps(
            {
                "variant": variant,
                "era": era,
                "calls": total / requests,
                "auth_core_calls": by.get("mcp_auth", 0),
                "by_package": dict(sorted(by.items(), key=lambda kv: -kv[1])),
            }
        )
        + "\n"
    )
    shutdown.set()
    lifespan.cancel()


asyncio.run(main())
