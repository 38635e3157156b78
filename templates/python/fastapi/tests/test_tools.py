"""The tools, in process: the official client in both protocol eras against a server made from tools.py (no HTTP:
it has tests of its own)."""

from __future__ import annotations

import asyncio

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from __pkg__.tools import SERVER_NAME, register_tools

ERAS = ["2026-07-28", "legacy"]
"""`Client(mode=...)`: the 2026-07-28 revision, or the 2025-era initialize handshake."""


def server() -> MCPServer:
    mcp: MCPServer = MCPServer(SERVER_NAME)
    register_tools(mcp)
    return mcp


@pytest.mark.parametrize("era", ERAS)
def test_lists_and_calls_every_tool(era: str) -> None:
    async def session() -> None:
        async with Client(server(), mode=era) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            assert names[0] == "whoami"
            whoami = await client.call_tool("whoami", {})
            assert whoami.structured_content == {"subject": None, "client_id": None, "scopes": []}
            for name in names[1:]:
                result = await client.call_tool(name, {"message": "hi"})
                assert f"{name} ran for anonymous: hi" in str(result.content)

    asyncio.run(session())
