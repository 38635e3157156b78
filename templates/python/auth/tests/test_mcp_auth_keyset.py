"""The key set's guarantees, against a real HTTP issuer with fault switches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from __auth__.keyset import KeysUnavailable, RemoteKeySet, UnknownKey

from .mcp_auth_issuer import Issuer
from .mcp_auth_running import running


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    issuer = Issuer()
    with running(issuer.app) as url:
        issuer.url = url
        yield issuer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_first_calls_share_one_fetch(issuer: Issuer) -> None:
    keys = RemoteKeySet(f"{issuer.url}/keys")

    async def many() -> None:
        found = await asyncio.gather(*(keys.get_key(issuer.key.kid, "RS256") for _ in range(20)))
        assert {key.key_id for key in found} == {issuer.key.kid}

    asyncio.run(many())
    assert keys.fetches == 1
    assert issuer.key_fetches == 1


def test_the_last_good_set_is_kept_when_a_refetch_fails(issuer: Issuer) -> None:
    clock = Clock()
    keys = RemoteKeySet(f"{issuer.url}/keys", cooldown=10, clock=clock)
    old_kid = issuer.key.kid

    async def scenario() -> None:
        await keys.get_key(old_kid, "RS256")
        for fault in ("500", "garbage", "empty"):
            issuer.fault = fault
            clock.now += 11
            with pytest.raises(UnknownKey):
                await keys.get_key("unknown-kid", "RS256")
            assert (await keys.get_key(old_kid, "RS256")).key_id == old_kid

    asyncio.run(scenario())
    assert issuer.key_fetches == 4


def test_unknown_key_ids_cause_one_fetch_per_cooldown(issuer: Issuer) -> None:
    clock = Clock()
    keys = RemoteKeySet(f"{issuer.url}/keys", cooldown=10, clock=clock)

    async def flood() -> None:
        await keys.get_key(issuer.key.kid, "RS256")
        for n in range(50):
            with pytest.raises(UnknownKey):
                await keys.get_key(f"forged-{n}", "RS256")
        assert issuer.key_fetches == 2
        # A rotation after the cooldown is picked up by the first token with the new kid.
        issuer.rotate()
        clock.now += 11
        assert (await keys.get_key(issuer.key.kid, "RS256")).key_id == issuer.key.kid

    asyncio.run(flood())
    assert issuer.key_fetches == 3


def test_one_deadline_covers_a_trickling_body(issuer: Issuer) -> None:
    issuer.fault = "slow"
    keys = RemoteKeySet(f"{issuer.url}/keys", timeout=1.0)
    started = time.monotonic()
    with pytest.raises(KeysUnavailable, match="did not answer within"):
        asyncio.run(keys.get_key(issuer.key.kid, "RS256"))
    assert time.monotonic() - started < 3


def test_a_key_set_over_the_size_limit_is_refused(issuer: Issuer) -> None:
    issuer.fault = "huge"
    keys = RemoteKeySet(f"{issuer.url}/keys", max_bytes=256 * 1024)
    with pytest.raises(KeysUnavailable, match="more than"):
        asyncio.run(keys.get_key(issuer.key.kid, "RS256"))


def test_a_failed_first_fetch_is_not_retried_within_the_cooldown(issuer: Issuer) -> None:
    clock = Clock()
    issuer.fault = "500"
    keys = RemoteKeySet(f"{issuer.url}/keys", cooldown=10, clock=clock)

    async def scenario() -> None:
        for _ in range(5):
            with pytest.raises(KeysUnavailable):
                await keys.get_key(issuer.key.kid, "RS256")
        assert issuer.key_fetches == 1
        issuer.fault = None
        clock.now += 11
        assert (await keys.get_key(issuer.key.kid, "RS256")).key_id == issuer.key.kid

    asyncio.run(scenario())


def test_the_set_is_refreshed_in_the_background_once_old(issuer: Issuer) -> None:
    clock = Clock()
    keys = RemoteKeySet(f"{issuer.url}/keys", refresh_interval=600, clock=clock)
    old_kid = issuer.key.kid

    async def scenario() -> None:
        await keys.get_key(old_kid, "RS256")
        issuer.rotate()
        clock.now += 601
        # The old key still answers at once; the refresh runs behind it and retires the removed key.
        assert (await keys.get_key(old_kid, "RS256")).key_id == old_kid
        for _ in range(100):
            if keys.version == 2:
                break
            await asyncio.sleep(0.02)
        assert keys.version == 2
        assert keys.state()["key_ids"] == [issuer.key.kid]

    asyncio.run(scenario())
