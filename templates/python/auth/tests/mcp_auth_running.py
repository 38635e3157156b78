"""For the auth tests: an ASGI app (the test issuer) under uvicorn in a thread, and the server itself, started with
the project's own command, each on a 127.0.0.1 port."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(app: ASGIApp, port: int | None = None) -> Iterator[str]:
    """Yields the server's base URL (http://127.0.0.1:PORT); stops it on exit."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start on port {port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, lines: list[str]) -> Iterator[str]:
    """Starts the server with the project's own start command and `env` over this environment; yields its base URL
    once its port accepts connections. Its standard output is collected in `lines`; it is stopped on exit."""
    process = subprocess.Popen(  # noqa: S603 - the project's own start command
        command,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout
    assert output is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(output.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                reader.join(timeout=5)
                raise RuntimeError(f"the server exited ({process.returncode}) before listening:\n{''.join(lines)}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not listen on port {port}:\n{''.join(lines)}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
