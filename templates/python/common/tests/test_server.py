"""The plain server: both protocol eras with the official client, /healthz, configuration errors."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from __pkg__.server import create_app
from __pkg__.settings import ConfigError, load_settings

from .mcp_client import ERAS, connect
from .running import free_port, running


def plain_settings(port: int) -> dict[str, str]:
    return {"MCP_SERVER_URL": f"http://127.0.0.1:{port}/mcp", "PORT": str(port)}


def test_healthz() -> None:
    port = free_port()
    with running(create_app(load_settings(plain_settings(port))), port) as base:
        response = httpx.get(f"{base}/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


def test_bad_settings_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="MCP_SERVER_URL"):
        load_settings({"MCP_SERVER_URL": "http://example.com/mcp"})
    with pytest.raises(ConfigError, match="PORT"):
        load_settings({"MCP_SERVER_URL": "http://127.0.0.1/mcp", "PORT": "70000"})


@pytest.mark.parametrize("era", ERAS)
def test_lists_and_calls_tools_in_both_eras(era: str) -> None:
    port = free_port()
    with running(create_app(load_settings(plain_settings(port))), port) as base:

        async def session() -> None:
            async with connect(f"{base}/mcp", era) as client:
                tools = {tool.name for tool in (await client.list_tools()).tools}
                assert "whoami" in tools
                result = await client.call_tool("whoami", {})
                assert result.is_error is False

        asyncio.run(session())
