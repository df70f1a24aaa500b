"""Django REST Framework: ``LatchkeyAuthentication`` verifies ``Authorization: Bearer`` tokens.

Settings::

    LATCHKEY = {"ISSUER": "https://auth.example.com", "AUDIENCE": "my-app"}
    # optional: "JWKS_URL", "REQUIRE_VERIFIED_EMAIL" (default True), "LEEWAY" (seconds)
    REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["latchkey.django.LatchkeyAuthentication"]}

``request.user`` is a ``LatchkeyUser`` (``id``, ``email``, ``claims``), ``request.auth`` the
claims. Use it with ``IsAuthenticated``: a request without a token is anonymous, as DRF does,
and the permission answers it 401 with ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from django.conf import settings
from django.core.signals import setting_changed
from rest_framework import authentication, exceptions

from .tokens import InvalidToken, KeysUnavailable, TokenVerifier

_lock = threading.Lock()
_verifier: Optional[TokenVerifier] = None


def get_verifier() -> TokenVerifier:
    """The verifier built from ``settings.LATCHKEY`` (once; again after the setting changes)."""
    global _verifier
    with _lock:
        if _verifier is None:
            conf = getattr(settings, "LATCHKEY", None) or {}
            if "ISSUER" not in conf:
                raise exceptions.APIException("settings.LATCHKEY has no ISSUER")
            _verifier = TokenVerifier(
                conf["ISSUER"],
                conf.get("AUDIENCE", "latchkey"),
                jwks_url=conf.get("JWKS_URL"),
                leeway=conf.get("LEEWAY", 0),
            )
        return _verifier


def _forget(setting: str, **_: Any) -> None:
    global _verifier
    if setting == "LATCHKEY":
        with _lock:
            _verifier = None


setting_changed.connect(_forget)


class LatchkeyUser:
    """The user a verified token names; not a row of Django's user table."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self.id = self.pk = claims["sub"]
        self.email = claims.get("email")

    def __str__(self) -> str:
        return str(self.email or self.id)


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Latchkey's keys cannot be fetched"
    default_code = "service_unavailable"


class LatchkeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):  # type: ignore[no-untyped-def]
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization: Bearer takes exactly one token")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError as e:
            raise exceptions.AuthenticationFailed("malformed token") from e
        conf = getattr(settings, "LATCHKEY", None) or {}
        try:
            claims = get_verifier().verify(
                token, require_verified_email=conf.get("REQUIRE_VERIFIED_EMAIL", True)
            )
        except KeysUnavailable as e:
            raise ServiceUnavailable(str(e)) from e
        except InvalidToken as e:
            raise exceptions.AuthenticationFailed(str(e)) from e
        return (LatchkeyUser(claims), claims)

    def authenticate_header(self, request):  # type: ignore[no-untyped-def]
        return "Bearer"
