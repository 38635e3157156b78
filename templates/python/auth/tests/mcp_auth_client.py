"""The official MCP Python client, in either protocol era, with optional extra headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ERAS = ["2026-07-28", "legacy"]
"""`Client(mode=...)`: the 2026-07-28 revision, or the 2025-era initialize handshake."""


@asynccontextmanager
async def connect(
    url: str, era: str, headers: dict[str, str] | None = None, statuses: list[int] | None = None
) -> AsyncIterator[Client]:
    """`statuses` collects the HTTP status of every answer the client receives."""

    async def record(response: httpx2.Response) -> None:
        if statuses is not None:
            statuses.append(response.status_code)

    async with (
        httpx2.AsyncClient(headers=headers or {}, timeout=10, event_hooks={"response": [record]}) as http,
        Client(streamable_http_client(url, http_client=http), mode=era) as client,
    ):
        yield client
