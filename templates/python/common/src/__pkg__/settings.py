"""The server's settings, read from the environment (values in the environment win over .env)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

Env = Mapping[str, str]


class ConfigError(Exception):
    """A missing or malformed variable: the message names it and shows an example value."""

    def __init__(self, variable: str, problem: str, example: str) -> None:
        super().__init__(f"{variable} {problem}. Example: {variable}={example}")
        self.variable = variable


def optional(env: Env, name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def required(env: Env, name: str, example: str) -> str:
    value = optional(env, name)
    if value is None:
        raise ConfigError(name, "is not set", example)
    return value


def is_loopback(hostname: str) -> bool:
    host = hostname.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def https_url(name: str, raw: str, example: str) -> str:
    """An http(s) URL without credentials, query or fragment, plain http only on loopback; no trailing slash."""
    try:
        url = urlsplit(raw)
        hostname = url.hostname or ""
        url.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ConfigError(name, f'is not a valid URL (got "{raw}")', example) from None
    if not hostname or url.scheme not in ("http", "https"):
        raise ConfigError(name, f'is not a valid http(s) URL (got "{raw}")', example)
    if url.scheme != "https" and not is_loopback(hostname):
        raise ConfigError(name, "must be an https:// URL (http:// is allowed only for localhost)", example)
    if url.username or url.password or "?" in raw or "#" in raw:
        raise ConfigError(name, "must not contain credentials, a query string or a fragment", example)
    return f"{url.scheme}://{url.netloc.lower()}{url.path.rstrip('/')}"


@dataclass(frozen=True)
class Settings:
    """Where the server listens and the public URL of its MCP endpoint."""

    server_url: str
    """MCP_SERVER_URL without trailing slash: the URL clients use."""
    mcp_path: str
    """The endpoint's path, e.g. /mcp."""
    port: int
    host: str
    local: bool
    """The public URL is on loopback: a server for this machine only."""
    allowed_origins: tuple[str, ...] = ()
    """Origins whose pages may call the endpoint: the public URL's own plus MCP_ALLOWED_ORIGINS."""


def load_settings(env: Env) -> Settings:
    example = "https://mcp.example.com/mcp"
    server_url = https_url("MCP_SERVER_URL", required(env, "MCP_SERVER_URL", example), example)
    url = urlsplit(server_url)
    mcp_path = url.path or "/"
    if mcp_path == "/healthz" or mcp_path.startswith("/.well-known/"):
        raise ConfigError("MCP_SERVER_URL", f"must not use the path {mcp_path}, which the server reserves", example)
    local = is_loopback(url.hostname or "")
    return Settings(
        server_url=server_url,
        mcp_path=mcp_path,
        port=_port(env),
        host=optional(env, "HOST") or (_loopback_address(url.hostname or "") if local else "0.0.0.0"),  # noqa: S104
        local=local,
        allowed_origins=_allowed_origins(env, f"{url.scheme}://{url.netloc}"),
    )


def _allowed_origins(env: Env, own: str) -> tuple[str, ...]:
    example = "https://app.example.com,http://localhost:6274"
    origins = [own]
    for entry in (item.strip() for item in (optional(env, "MCP_ALLOWED_ORIGINS") or "").split(",")):
        if not entry:
            continue
        if entry in ("*", "null"):
            raise ConfigError(
                "MCP_ALLOWED_ORIGINS",
                f'cannot contain "{entry}": list the origins allowed to call this server',
                example,
            )
        url = https_url("MCP_ALLOWED_ORIGINS", entry, example)
        parts = urlsplit(url)
        if url != f"{parts.scheme}://{parts.netloc}" or entry.rstrip("/") != url:
            raise ConfigError(
                "MCP_ALLOWED_ORIGINS", f'must hold origins only (scheme://host[:port]), got "{entry}"', example
            )
        origins.append(url)
    return tuple(dict.fromkeys(origins))


def _port(env: Env) -> int:
    raw = optional(env, "PORT")
    if raw is None:
        return 3000
    if not raw.isdecimal() or not 1 <= int(raw) <= 65535:
        raise ConfigError("PORT", f'must be a number from 1 to 65535 (got "{raw}")', "3000")
    return int(raw)


def _loopback_address(hostname: str) -> str:
    """Where a local server listens: the loopback address of its URL (::1 for [::1], else 127.0.0.1)."""
    try:
        address = ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        return "127.0.0.1"
    return str(address) if address.is_loopback else "127.0.0.1"
