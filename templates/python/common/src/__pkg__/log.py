"""One JSON line per request on stdout: time, method, path (never the query), status, duration."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestLog:
    """ASGI middleware: logs every HTTP request when its answer has been sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            line = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
            state = scope.get("state") or {}
            if "mcp_caller" in state:
                line.update(state["mcp_caller"])
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
