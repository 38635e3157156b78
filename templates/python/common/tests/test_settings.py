"""Configuration: a missing or malformed variable stops the server at boot, naming the variable."""

from __future__ import annotations

import pytest

from __pkg__.settings import ConfigError, load_settings


def test_bad_settings_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="MCP_SERVER_URL"):
        load_settings({"MCP_SERVER_URL": "http://example.com/mcp"})
    with pytest.raises(ConfigError, match="PORT"):
        load_settings({"MCP_SERVER_URL": "http://127.0.0.1/mcp", "PORT": "70000"})


def test_the_endpoint_path_comes_from_the_public_url() -> None:
    settings = load_settings({"MCP_SERVER_URL": "http://127.0.0.1:3000/tools/mcp/"})
    assert settings.server_url == "http://127.0.0.1:3000/tools/mcp"
    assert settings.mcp_path == "/tools/mcp"
    assert settings.host == "127.0.0.1"


def test_allowed_origins_are_the_servers_own_and_the_listed_ones() -> None:
    env = {"MCP_SERVER_URL": "https://mcp.example.com/mcp", "MCP_ALLOWED_ORIGINS": "https://app.example.com, "}
    assert load_settings(env).allowed_origins == ("https://mcp.example.com", "https://app.example.com")
    with pytest.raises(ConfigError, match="MCP_ALLOWED_ORIGINS"):
        load_settings({**env, "MCP_ALLOWED_ORIGINS": "*"})
