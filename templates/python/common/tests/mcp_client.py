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
async def connect(url: str, era: str, headers: dict[str, str] | None = None) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers=headers or {}, timeout=10) as http,
        Client(streamable_http_client(url, http_client=http), mode=era) as client,
    ):
        yield client
