"""`uv run serve`: reads .env (the environment wins), checks the settings, serves with uvicorn."""

from __future__ import annotations

import os
import signal
import sys

import uvicorn
from dotenv import load_dotenv

from .server import create_app
from .settings import ConfigError, load_settings


def serve() -> None:
    load_dotenv(".env", override=False)
    try:
        settings = load_settings(os.environ)
        app = create_app(settings)
    except ConfigError as error:
        sys.stderr.write(f"Configuration error: {error}\n")
        raise SystemExit(1) from None
    sys.stderr.write(f"MCP server on {settings.server_url} (listening on {settings.host}:{settings.port})\n")
    # SIGINT/SIGTERM: uvicorn stops accepting, lets requests in flight finish (at most 10 s), then raises the
    # signal again once it has drained; these handlers turn that into a clean return, and the process exits 0.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: None)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
        # Room for a request line and headers up to 128 kB: an oversized token then reaches the auth layer
        # and gets its 401 (h11's default 16 kB limit answers a bare 400 before it).
        h11_max_incomplete_event_size=128 * 1024,
    )


if __name__ == "__main__":
    serve()
