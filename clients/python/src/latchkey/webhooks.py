"""Webhook deliveries, signed by the Standard Webhooks scheme, checked with the
``standardwebhooks`` package."""

from __future__ import annotations

from typing import Any, Mapping, Sequence, Union

from standardwebhooks.webhooks import Webhook


class InvalidWebhook(Exception):
    """The delivery is not signed by Latchkey's secret, or is stale or malformed: answer 400."""


class WebhookVerifier:
    """Verifies deliveries against ``secret`` (the ``whsec_...`` of ``LATCHKEY_WEBHOOK_SECRET``),
    or any of several secrets (pass a list while rotating your own copy)."""

    def __init__(self, secret: Union[str, Sequence[str]]) -> None:
        secrets = [secret] if isinstance(secret, str) else list(secret)
        if not secrets:
            raise ValueError("WebhookVerifier needs a secret")
        self._webhooks = [Webhook(s) for s in secrets]

    def verify(self, body: Union[bytes, str], headers: Mapping[str, str]) -> dict[str, Any]:
        """The event (``{"type", "timestamp", "data"}``) from the raw body bytes, as received,
        or ``InvalidWebhook``. Retries carry the same ``webhook-id`` header: deduplicate by it."""
        plain = {str(k): str(v) for k, v in headers.items()}
        error: Exception = InvalidWebhook("no secret")
        for webhook in self._webhooks:
            try:
                event = webhook.verify(body, plain)
            # The library raises its own error for bad signatures, but ValueError and friends
            # for malformed headers or bodies: all of them are a bad delivery.
            except Exception as e:  # noqa: BLE001
                error = e
                continue
            if not isinstance(event, dict):
                raise InvalidWebhook("the body is not an event")
            return event
        raise InvalidWebhook(str(error) or type(error).__name__) from error
