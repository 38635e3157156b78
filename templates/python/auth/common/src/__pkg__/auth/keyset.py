"""The authorization server's signing keys (a JWKS), fetched and kept up to date in one place."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWKError

logger = logging.getLogger(__name__)

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


class KeysUnavailable(Exception):
    """No key set has loaded yet (the authorization server is down or answered garbage)."""


class UnknownKey(Exception):
    """The set holds no key for the token's `kid` and algorithm, even after a refetch."""


class RemoteKeySet:
    """The key set at `uri`, with these guarantees:

    - the last good set is kept until a new one has loaded; a failed or empty fetch never replaces it;
    - a key id the set lacks triggers at most one fetch per cooldown, and a failed fetch is not retried
      within a cooldown either, so a flood of forged key ids cannot hammer the authorization server;
    - one deadline covers a whole fetch (connect, headers and body) and the body has a size limit, so a
      slow or huge answer cannot stall authentication;
    - concurrent callers share one fetch;
    - once the set is `refresh_interval` old, the next use refreshes it in the background.
    Everything is asynchronous (httpx.AsyncClient): nothing blocks the event loop.
    """

    def __init__(
        self,
        uri: str | Callable[[], Awaitable[str]],
        *,
        cooldown: float = 10.0,
        timeout: float = 5.0,
        max_bytes: int = 256 * 1024,
        refresh_interval: float = 600.0,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uri = uri
        self._cooldown = cooldown
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._refresh_interval = refresh_interval
        self._client = client
        self._clock = clock
        self._keys: list[tuple[str | None, PyJWK]] | None = None
        """Each key with the `alg` its JWK names (None: any algorithm of its type)."""
        self._loaded_at = float("-inf")
        self._last_unknown_key_fetch = float("-inf")
        self._last_failure = float("-inf")
        self._pending: asyncio.Future[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.last_error: str | None = None
        self.version = 0
        """Incremented whenever a new set replaces the old one (caches of verified tokens compare it)."""
        self.fetches = 0
        """Fetches started, successful or not."""

    async def get_key(self, kid: str | None, alg: str) -> PyJWK:
        """The key for a token's `kid` and `alg`; fetches the set first if none has loaded."""
        if self._keys is None:
            await self._refresh(for_unknown_key=False)
            if self._keys is None:
                raise KeysUnavailable(f"signing keys unavailable: {self.last_error or 'not loaded yet'}")
        elif self._clock() - self._loaded_at >= self._refresh_interval:
            task = asyncio.create_task(self._refresh(for_unknown_key=False))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        key = self._find(kid, alg)
        if key is None:
            await self._refresh(for_unknown_key=True)
            key = self._find(kid, alg)
        if key is None:
            raise UnknownKey(f"no signing key {kid!r} for {alg}")
        return key

    def state(self) -> dict[str, Any]:
        keys = self._keys or []
        return {"key_ids": [k.key_id for _, k in keys], "fetches": self.fetches, "last_error": self.last_error}

    def _find(self, kid: str | None, alg: str) -> PyJWK | None:
        key_type = _KEY_TYPES.get(alg[:2])
        candidates = [
            key
            for named_alg, key in self._keys or []
            if key.key_type == key_type and (kid is None or key.key_id == kid) and named_alg in (None, alg)
        ]
        # Without a kid, only an unambiguous key is used.
        return candidates[0] if len(candidates) == 1 or (kid is not None and candidates) else None

    async def _refresh(self, *, for_unknown_key: bool) -> None:
        """Fetches the set again unless a fetch is running (then waits for it) or a cooldown holds. Never raises."""
        if self._pending is not None:
            await asyncio.shield(self._pending)
            return
        now = self._clock()
        if now - self._last_failure < self._cooldown:
            return
        if for_unknown_key:
            if now - self._last_unknown_key_fetch < self._cooldown:
                return
            self._last_unknown_key_fetch = now
        self.fetches += 1
        pending: asyncio.Future[None] = asyncio.ensure_future(self._load())
        self._pending = pending
        try:
            await asyncio.shield(pending)
        finally:
            if self._pending is pending and pending.done():
                self._pending = None

    async def _load(self) -> None:
        try:
            keys = await self._fetch()
        except Exception as error:  # any failure keeps the old set
            self._last_failure = self._clock()
            self.last_error = str(error) or type(error).__name__
            kept = " (keeping the previous key set)" if self._keys is not None else ""
            logger.warning("[auth] cannot load signing keys: %s%s", self.last_error, kept)
        else:
            self._keys = keys
            self._loaded_at = self._clock()
            self.last_error = None
            self.version += 1
        finally:
            self._pending = None

    async def _fetch(self) -> list[tuple[str | None, PyJWK]]:
        uri = self._uri if isinstance(self._uri, str) else await self._uri()
        try:
            async with asyncio.timeout(self._timeout):
                text = await self._get(uri)
        except TimeoutError:
            raise RuntimeError(f"{uri} did not answer within {self._timeout} s") from None
        try:
            document = json.loads(text)
        except ValueError:
            raise RuntimeError(f"{uri} did not answer with JSON") from None
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise RuntimeError(f'{uri} is not a JSON Web Key Set (no "keys" array)')
        keys: list[tuple[str | None, PyJWK]] = []
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                named = entry.get("alg")
                keys.append((named if isinstance(named, str) else None, PyJWK(entry)))
            except PyJWKError:
                continue  # a key this server cannot use (unknown type or algorithm)
        if not keys:
            raise RuntimeError(f"{uri} holds no usable signing keys")
        return keys

    async def _get(self, uri: str) -> str:
        client = self._client or httpx.AsyncClient()
        try:
            headers = {"Accept": "application/jwk-set+json, application/json"}
            async with client.stream("GET", uri, headers=headers) as response:
                if response.status_code != 200:
                    raise RuntimeError(f"{uri} answered HTTP {response.status_code}")
                too_large = RuntimeError(f"{uri} answered with more than {self._max_bytes} bytes")
                declared = response.headers.get("content-length", "")
                if declared.isdecimal() and int(declared) > self._max_bytes:
                    raise too_large
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise too_large
                return body.decode("utf-8")
        finally:
            if self._client is None:
                await client.aclose()
