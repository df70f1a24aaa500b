"""Latchkey beside a Python back end: verify its access tokens (``TokenVerifier``) and its
webhook deliveries (``WebhookVerifier``). ``latchkey.fastapi`` and ``latchkey.django`` wire them
into FastAPI and Django REST Framework."""

from .tokens import InvalidToken, KeysUnavailable, TokenVerifier
from .webhooks import InvalidWebhook, WebhookVerifier

__all__ = [
    "InvalidToken",
    "InvalidWebhook",
    "KeysUnavailable",
    "TokenVerifier",
    "WebhookVerifier",
]
