"""Configuration: a missing or malformed variable stops the server at boot, naming the variable."""

from __future__ import annotations

import pytest

from __auth__.config import load_auth_config
from __auth__.origin import check_origin
from __auth__.settings import ConfigError, load_settings

from .mcp_auth_provider import provider_env

SERVER = {"MCP_SERVER_URL": "http://127.0.0.1:3000/mcp"}


def test_bad_settings_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="MCP_SERVER_URL"):
        load_settings({"MCP_SERVER_URL": "http://example.com/mcp"})
    with pytest.raises(ConfigError, match="PORT"):
        load_settings({**SERVER, "PORT": "70000"})


def test_the_provider_settings_are_required() -> None:
    settings = load_settings(SERVER)
    with pytest.raises(ConfigError) as missing:
        load_auth_config(SERVER, settings)
    assert missing.value.variable in provider_env("http://127.0.0.1:4444")


def test_allowed_origins_are_exact_origins() -> None:
    env = {**SERVER, **provider_env("http://127.0.0.1:4444"), "MCP_ALLOWED_ORIGINS": "https://app.example.com"}
    config = load_auth_config(env, load_settings(env))
    assert config.allowed_origins == ("http://127.0.0.1:3000", "https://app.example.com")
    for bad in ("*", "https://app.example.com/path", "null"):
        with pytest.raises(ConfigError, match="MCP_ALLOWED_ORIGINS"):
            load_settings({**env, "MCP_ALLOWED_ORIGINS": bad})


def test_the_host_header_names_this_server_or_loopback() -> None:
    env = {**SERVER, **provider_env("http://127.0.0.1:4444"), "HOST": "127.0.0.1"}
    config = load_auth_config(env, load_settings(env))
    for host in ("127.0.0.1:3000", "127.0.0.1", "LOCALHOST:8080", "app.localhost", "[::1]:3000", "[::1]"):
        assert check_origin(config, None, host) is None, host
    assert check_origin(config, None, None) is not None
    for host in ("", "evil.example.com", "evil.example.com:3000", "127.0.0.1:123456", "user@127.0.0.1"):
        assert check_origin(config, None, host) is not None, host
    for host in ("127.0.0.1/x", "[::1", "127.0.0.1:", "[evil.example.com]:3000", "127.0.0.1:3000 "):
        assert check_origin(config, None, host) is not None, host
