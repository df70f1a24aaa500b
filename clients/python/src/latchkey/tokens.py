"""Access tokens: JWTs signed with the key pair Latchkey publishes at
``/.well-known/jwks.json`` (ES256 or EdDSA), checked offline with PyJWT."""

from __future__ import annotations

import threading
import time
from typing import Any, Optional

import jwt
from jwt import PyJWK, PyJWKClient

_REQUIRED = ["exp", "iat", "sub", "aud", "iss"]


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired, or not for this app: answer 401."""


class KeysUnavailable(InvalidToken):
    """Latchkey's keys could not be fetched, so the token could not be checked: answer 503."""


class TokenVerifier:
    """Verifies Latchkey access tokens.

    ``issuer`` is Latchkey's ``LATCHKEY_PUBLIC_URL`` (the ``iss`` claim), ``audience`` its
    ``LATCHKEY_TOKEN_AUDIENCE``. The keys come from ``{issuer}/.well-known/jwks.json`` (or
    ``jwks_url``, when the back end reaches Latchkey at another address), cached for
    ``cache_seconds``. A token naming a key id the cache lacks makes it fetch the keys again,
    at most once every ``refetch_interval`` seconds, so a secret rotation needs no restart and a
    flood of made-up key ids cannot make it hammer Latchkey.
    """

    def __init__(
        self,
        issuer: str,
        audience: str = "latchkey",
        *,
        jwks_url: Optional[str] = None,
        leeway: float = 0,
        cache_seconds: float = 300,
        refetch_interval: float = 60,
        timeout: float = 10,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.leeway = leeway
        self.refetch_interval = refetch_interval
        self.jwks_client = PyJWKClient(
            jwks_url or f"{self.issuer}/.well-known/jwks.json",
            cache_jwk_set=True,
            lifespan=cache_seconds,
            timeout=timeout,
            # The refetch limit is this class's own (below): PyJWT's counts from every fetch,
            # which would refuse a rotated key for up to a minute after a routine fetch.
            cooldown_duration=0,
        )
        self._lock = threading.Lock()
        self._last_refetch: Optional[float] = None

    def verify(self, token: str, require_verified_email: bool = True) -> dict[str, Any]:
        """The token's claims (``sub``, ``sid``, ``email``, ``email_verified``, ``amr``, ...),
        or ``InvalidToken``."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as e:
            raise InvalidToken(f"malformed token: {e}") from e
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no key (kid)")
        key = self._key(kid)
        # Only the algorithm the key is published for: never `none`, never HS256 with the
        # public key as its secret.
        algorithm = key.algorithm_name
        if header.get("alg") != algorithm:
            raise InvalidToken(f"the token's algorithm is not the key's ({algorithm})")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": _REQUIRED},
            )
        except jwt.InvalidTokenError as e:
            raise InvalidToken(str(e)) from e
        if require_verified_email and claims.get("email_verified") is not True:
            raise InvalidToken("the user's email address is not verified")
        return claims

    def _key(self, kid: str) -> PyJWK:
        try:
            found = self._find(self.jwks_client.get_signing_keys(), kid)
            if found is not None:
                return found
            with self._lock:
                # Another thread may have fetched them meanwhile.
                found = self._find(self.jwks_client.get_signing_keys(), kid)
                if found is not None:
                    return found
                now = time.monotonic()
                if self._last_refetch is not None and now - self._last_refetch < self.refetch_interval:
                    raise InvalidToken("unknown key id (the keys were fetched again less than a minute ago)")
                self._last_refetch = now
                found = self._find(self.jwks_client.get_signing_keys(refresh=True), kid)
        except InvalidToken:
            raise
        except jwt.PyJWKClientConnectionError as e:
            raise KeysUnavailable(f"cannot fetch Latchkey's keys: {e}") from e
        except jwt.PyJWKClientError as e:
            raise KeysUnavailable(f"Latchkey's keys are unusable: {e}") from e
        if found is None:
            raise InvalidToken("unknown key id")
        return found

    @staticmethod
    def _find(keys: list[PyJWK], kid: str) -> Optional[PyJWK]:
        return next((k for k in keys if k.key_id == kid), None)
