"""DNS-rebinding protection (MCP Streamable HTTP transport, Security): Origin always, Host on loopback servers."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from ..settings import is_loopback
from .config import AuthConfig

_HOST_HEADER = re.compile(r"^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
"""`name[:port]` or `[v6]:port`, nothing else (no user info, no path); the group is the host name."""


def check_origin(config: AuthConfig, origin: str | None, host: str | None) -> str | None:
    """Why the request is refused (403), or None. No Origin at all is a non-browser client: allowed."""
    if origin is not None and not origin_allowed(config, origin):
        return "Forbidden: requests from this Origin are not allowed (MCP_ALLOWED_ORIGINS lists the allowed ones)"
    if _fixed_is_loopback(config.host) and not _host_allowed(config, host):
        return "Forbidden: this server answers only to its own host name"
    return None


def origin_allowed(config: AuthConfig, origin: str) -> bool:
    if origin in config.allowed_origins:
        return True
    if not config.local:
        return False
    try:
        url = urlsplit(origin)
        port = f":{url.port}" if url.port is not None else ""
    except ValueError:
        return False
    rebuilt = f"{url.scheme}://{url.hostname if ':' not in (url.hostname or '') else f'[{url.hostname}]'}{port}"
    return url.scheme in ("http", "https") and rebuilt == origin and is_loopback(url.hostname or "")


def _host_allowed(config: AuthConfig, host: str | None) -> bool:
    matched = _HOST_HEADER.match(host) if host else None
    if matched is None:
        return False
    hostname = matched[1].lower()
    # The server's own host name first: the usual Host header then needs no address parsing.
    return hostname == _fixed_hostname(config.resource_url) or is_loopback(hostname)


# These run on every request with the same few configured values; parsing them each time was a measurable part
# of the auth layer's cost (bench/python/calls.py). Configured values only, so the caches stay tiny.
@lru_cache(maxsize=8)
def _fixed_is_loopback(configured_host: str) -> bool:
    return is_loopback(configured_host)


@lru_cache(maxsize=8)
def _fixed_hostname(configured_url: str) -> str:
    return urlsplit(configured_url).hostname or ""
