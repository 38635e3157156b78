"""A test issuer and the secured server, each on a free 127.0.0.1 port, shared by a test module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from __pkg__.auth.config import load_auth_config
from __pkg__.server import create_app
from __pkg__.settings import load_settings

from .issuer import Issuer
from .provider_env import good_claims, provider_env
from .running import free_port, running


@dataclass
class Stack:
    issuer: Issuer
    base: str
    """http://127.0.0.1:PORT"""
    url: str
    """The MCP endpoint."""

    def token(self, **claims: object) -> str:
        return self.issuer.mint(**{**good_claims(self.issuer.url, self.url), **claims})


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    issuer = Issuer()
    with running(issuer.app) as url:
        issuer.url = url
        yield issuer


@pytest.fixture(scope="module")
def stack(issuer: Issuer) -> Iterator[Stack]:
    port = free_port()
    env = {"MCP_SERVER_URL": f"http://127.0.0.1:{port}/mcp", "PORT": str(port), **provider_env(issuer.url)}
    settings = load_settings(env)
    with running(create_app(settings, load_auth_config(env, settings)), port) as base:
        yield Stack(issuer, base, settings.server_url)
