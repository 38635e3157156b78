"""JWT access-token verification with PyJWT against the authorization server's key set."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

from .errors import InvalidToken
from .keyset import KeysUnavailable, RemoteKeySet, UnknownKey
from .scopes import scopes_from_claims

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
"""Asymmetric algorithms only: never `none`, never an HMAC keyed with a public key."""
_ACCESS_TOKEN_TYPES = {"at+jwt", "application/at+jwt", "jwt", "application/jwt"}
"""JWT access tokens (RFC 9068) say `at+jwt`; many servers still say `JWT` or nothing."""
_ID_TOKEN_CLAIMS = ("at_hash", "c_hash")
"""Claims only an OpenID Connect ID token carries: such a token is not an access token."""
_MAX_TOKEN_LENGTH = 8192
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class VerifiedToken:
    token: str
    subject: str | None
    client_id: str
    scopes: list[str]
    expires_at: int
    claims: dict[str, Any] = field(repr=False)


class JwtVerifier:
    """Checks signature (an asymmetric algorithm, a key from the set), `iss`, `aud` (required: a token for
    another service is refused), `exp` (required) and `nbf`. Both providers use it; they differ only in what
    they pass here. Tokens that passed are remembered for `cache_ttl` seconds, never past their `exp`, and
    forgotten when the key set changes: the signature check is most of the cost of a request.
    """

    def __init__(
        self,
        keys: RemoteKeySet,
        *,
        issuers: Sequence[str],
        audiences: Sequence[str],
        cache_ttl: float = 60.0,
        cache_max_entries: int = 1000,
    ) -> None:
        if not audiences:
            raise ValueError("a verifier needs at least one accepted audience (RFC 8707)")
        self.keys = keys
        self._issuers = list(issuers)
        self._audiences = list(audiences)
        self._cache_ttl = cache_ttl
        self._cache_max_entries = cache_max_entries
        self._verified: OrderedDict[str, tuple[VerifiedToken, float]] = OrderedDict()
        self._cached_version = 0

    async def verify(self, token: str) -> VerifiedToken:
        """Who the token speaks for; raises InvalidToken with the reason otherwise."""
        cached = self._from_cache(token)
        if cached is not None:
            return cached
        kid, alg = _check_shape(token)
        try:
            key = await self.keys.get_key(kid, alg)
        except KeysUnavailable:
            raise InvalidToken("keys_unavailable", "The token cannot be verified right now") from None
        except UnknownKey:
            raise InvalidToken("unknown_key", "The token is signed with an unknown key") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self._audiences,
                issuer=self._issuers,
                options={"require": ["exp", "iss", "aud"], "verify_iat": False},
            )
        except jwt.PyJWTError as error:
            raise _classify(error) from None
        if any(claim in claims for claim in _ID_TOKEN_CLAIMS):
            raise InvalidToken("not_an_access_token", "This is an ID token, not an access token")
        # RFC 9068 says client_id; Keycloak and Entra ID (v2) say azp, Okta cid, Entra ID (v1) appid.
        client_id = next(
            (v for v in (claims.get(k) for k in ("client_id", "azp", "cid", "appid")) if isinstance(v, str)), ""
        )
        subject = claims.get("sub")
        verified = VerifiedToken(
            token=token,
            subject=subject if isinstance(subject, str) else None,
            client_id=client_id,
            scopes=scopes_from_claims(claims),
            expires_at=int(claims["exp"]),
            claims=claims,
        )
        self._remember(verified)
        return verified

    def _from_cache(self, token: str) -> VerifiedToken | None:
        if self._cached_version != self.keys.version:
            self._verified.clear()
            self._cached_version = self.keys.version
            return None
        entry = self._verified.get(token)
        if entry is None:
            return None
        if time.time() >= entry[1]:
            del self._verified[token]
            return None
        self._verified.move_to_end(token)
        return entry[0]

    def _remember(self, verified: VerifiedToken) -> None:
        if self._cache_ttl <= 0 or self._cached_version != self.keys.version:
            return
        self._verified[verified.token] = (verified, min(time.time() + self._cache_ttl, verified.expires_at))
        while len(self._verified) > self._cache_max_entries:
            self._verified.popitem(last=False)


def _check_shape(token: str) -> tuple[str | None, str]:
    """Cheap checks before any key lookup: size, a compact JWS, an allowed algorithm and type."""
    if len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidToken("too_large", "The token is too large")
    if not _COMPACT_JWS.match(token):
        raise InvalidToken("malformed", "The token is not a JWT")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken("malformed", "The token header is not valid JSON") from None
    alg, typ, kid = header.get("alg"), header.get("typ"), header.get("kid")
    if alg not in ALGORITHMS:
        raise InvalidToken(
            "unsupported_algorithm", "The token must be signed with an asymmetric algorithm (RS256, ES256, ...)"
        )
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in _ACCESS_TOKEN_TYPES):
        raise InvalidToken("not_an_access_token", "The token's type is not an access token type")
    if kid is not None and not isinstance(kid, str):
        raise InvalidToken("malformed", "The token's key id is not a string")
    return kid, str(alg)


def _classify(error: jwt.PyJWTError) -> InvalidToken:
    """PyJWT's errors as the reasons a client may be told."""
    if isinstance(error, jwt.ExpiredSignatureError):
        return InvalidToken("expired", "The token has expired")
    if isinstance(error, jwt.ImmatureSignatureError):
        return InvalidToken("not_yet_valid", "The token is not valid yet")
    if isinstance(error, jwt.InvalidIssuerError):
        return InvalidToken("wrong_issuer", "The token was not issued by this server's authorization server")
    if isinstance(error, jwt.InvalidAudienceError):
        return InvalidToken("wrong_audience", "The token is not meant for this server")
    if isinstance(error, jwt.MissingRequiredClaimError):
        return InvalidToken(f"missing_{error.claim}", f"The token has no {error.claim} claim")
    if isinstance(error, jwt.InvalidSignatureError):
        return InvalidToken("invalid_signature", "The token signature is invalid")
    return InvalidToken("invalid", "The token is invalid")
