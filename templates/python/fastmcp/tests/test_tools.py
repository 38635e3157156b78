"""The tools, in process: FastMCP's client against a server made from tools.py (no HTTP: it has tests of its own)."""

from __future__ import annotations

import asyncio

from fastmcp import Client, FastMCP

from __pkg__.tools import SERVER_NAME, register_tools


def server() -> FastMCP:
    mcp = FastMCP(SERVER_NAME)
    register_tools(mcp)
    return mcp


def test_lists_and_calls_every_tool() -> None:
    async def session() -> None:
        async with Client(server()) as client:
            names = [tool.name for tool in await client.list_tools()]
            assert names[0] == "whoami"
            whoami = await client.call_tool("whoami", {})
            assert whoami.structured_content == {"subject": None, "client_id": None, "scopes": []}
            for name in names[1:]:
                result = await client.call_tool(name, {"message": "hi"})
                assert f"{name} ran for anonymous: hi" in str(result.content)

    asyncio.run(session())
