"""A local authorization server for the tests: a key set and metadata over real HTTP, fault switches, token minting."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


class Key:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:12]

    def jwk(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}


class Issuer:
    """`fault` switches what /keys answers: None (the set), "500", "garbage", "empty", "huge", "slow" (trickles)."""

    def __init__(self) -> None:
        self.key = Key()
        self.fault: str | None = None
        self.key_fetches = 0
        self.url = ""  # set once it runs
        self.app = Starlette(
            routes=[
                Route("/keys", self.keys),
                Route("/.well-known/oauth-authorization-server", self.metadata),
                Route("/.well-known/openid-configuration", self.metadata),
            ]
        )

    def rotate(self) -> None:
        self.key = Key()

    async def metadata(self, _request: Request) -> Response:
        return JSONResponse({"issuer": self.url, "jwks_uri": f"{self.url}/keys"})

    async def keys(self, _request: Request) -> Response:
        self.key_fetches += 1
        if self.fault == "500":
            return Response("down", status_code=500)
        if self.fault == "garbage":
            return Response("<html>not json", media_type="text/html")
        if self.fault == "empty":
            return JSONResponse({"keys": []})
        if self.fault == "huge":
            return JSONResponse({"keys": [self.key.jwk()], "padding": "x" * 300_000})
        if self.fault == "slow":

            async def trickle() -> Any:
                for _ in range(100):
                    yield b" "
                    await asyncio.sleep(0.1)
                yield json.dumps({"keys": [self.key.jwk()]}).encode()

            return StreamingResponse(trickle(), media_type="application/json")
        return JSONResponse({"keys": [self.key.jwk()]})

    def mint(self, key: Key | None = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        """A token signed with the issuer's current key (or `key`); claims given as None are left out."""
        now = int(time.time())
        payload = {"iat": now, "exp": now + 300, "sub": "user-1", "client_id": "client-1", **claims}
        payload = {k: v for k, v in payload.items() if v is not None}
        signer = key or self.key
        return jwt.encode(payload, signer.private, algorithm="RS256", headers={"kid": signer.kid, **(headers or {})})
