"""FastAPI: ``Depends(LatchkeyUser(verifier))`` hands an endpoint the verified claims;
``Depends(LatchkeyEvent(webhook_verifier))`` hands a webhook endpoint the verified event."""

from __future__ import annotations

from typing import Any, Optional

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .tokens import InvalidToken, KeysUnavailable, TokenVerifier
from .webhooks import InvalidWebhook, WebhookVerifier

# Declares the bearer scheme in the app's OpenAPI document; refusals are LatchkeyUser's.
_bearer = HTTPBearer(auto_error=False, description="A Latchkey access token")


class LatchkeyUser:
    """A dependency that answers 401 (``WWW-Authenticate: Bearer``) for a missing or bad token,
    503 when Latchkey's keys cannot be fetched, and otherwise returns the token's claims."""

    def __init__(self, verifier: TokenVerifier, *, require_verified_email: bool = True) -> None:
        self.verifier = verifier
        self.require_verified_email = require_verified_email

    # Synchronous on purpose: FastAPI runs it in its thread pool, where fetching the keys
    # (rarely) does not block the event loop.
    def __call__(
        self, credentials: Optional[HTTPAuthorizationCredentials] = Depends(_bearer)
    ) -> dict[str, Any]:
        if credentials is None:
            raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        try:
            return self.verifier.verify(credentials.credentials, require_verified_email=self.require_verified_email)
        except KeysUnavailable as e:
            raise HTTPException(503, str(e)) from e
        except InvalidToken as e:
            raise HTTPException(
                401, str(e), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            ) from e


class LatchkeyEvent:
    """A dependency for the webhook endpoint: the verified event, or 400."""

    def __init__(self, verifier: WebhookVerifier) -> None:
        self.verifier = verifier

    async def __call__(self, request: Request) -> dict[str, Any]:
        try:
            return self.verifier.verify(await request.body(), request.headers)
        except InvalidWebhook as e:
            raise HTTPException(400, f"invalid webhook: {e}") from e
