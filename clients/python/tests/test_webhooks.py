"""WebhookVerifier on real deliveries from a live server, including a secret rotation."""

from __future__ import annotations

import json
import time

import pytest

from conftest import OTHER_WEBHOOK_SECRET, WEBHOOK_SECRET, Server
from latchkey import InvalidWebhook, WebhookVerifier


def created(email):
    return lambda e: e["type"] == "user.created" and e["data"]["email"] == email


def test_a_delivery_verifies_and_tampering_does_not(receiver, address):
    server = Server({"LATCHKEY_WEBHOOK_URL": receiver.url, "LATCHKEY_WEBHOOK_SECRET": WEBHOOK_SECRET})
    try:
        email = address()
        server.call("POST", "/api/v1/register", {"email": email, "password": "correct horse battery"})
        body, headers = receiver.wait_for(created(email))
        verifier = WebhookVerifier(WEBHOOK_SECRET)
        event = verifier.verify(body, headers)
        assert event["type"] == "user.created"
        assert event["data"]["email"] == email and event["data"]["email_verified"] is False
        assert event["timestamp"]
        # Header names in any case, as frameworks hand them over; str bodies too.
        assert verifier.verify(body.decode(), {k.upper(): v for k, v in headers.items()}) == event

        bad = {
            "changed body": (body.replace(email.encode(), b"x" + email.encode()), headers),
            "other secret": None,
            "no signature": (body, {k: v for k, v in headers.items() if k.lower() != "webhook-signature"}),
            "malformed signature": (body, {**headers, "webhook-signature": "garbage"}),
            "not base64": (body, {**headers, "webhook-signature": "v1,!!!"}),
            "stale": (body, {**headers, "webhook-timestamp": str(int(time.time()) - 3600)}),
            "not a number": (body, {**headers, "webhook-timestamp": "soon"}),
            "not utf-8": (b"\xff" + body, headers),
        }
        for name, case in bad.items():
            with pytest.raises(InvalidWebhook):
                if case is None:
                    WebhookVerifier(OTHER_WEBHOOK_SECRET).verify(body, headers)
                else:
                    verifier.verify(*case)
                pytest.fail(f"accepted: {name}")
    finally:
        server.close()


def test_a_secret_rotation(receiver, address):
    server = Server({"LATCHKEY_WEBHOOK_URL": receiver.url, "LATCHKEY_WEBHOOK_SECRET": WEBHOOK_SECRET})
    try:
        first = address("before")
        server.call("POST", "/api/v1/register", {"email": first, "password": "correct horse battery"})
        body, headers = receiver.wait_for(created(first))
        assert WebhookVerifier(WEBHOOK_SECRET).verify(body, headers)
        # Latchkey's operator rotates: the new secret, the old one as previous. Deliveries carry
        # both signatures, so a receiver still on the old secret and one already on the new
        # secret both accept them.
        server.restart(
            {
                "LATCHKEY_WEBHOOK_URL": receiver.url,
                "LATCHKEY_WEBHOOK_SECRET": OTHER_WEBHOOK_SECRET,
                "LATCHKEY_WEBHOOK_SECRET_PREVIOUS": WEBHOOK_SECRET,
            }
        )
        second = address("during")
        server.call("POST", "/api/v1/register", {"email": second, "password": "correct horse battery"})
        body, headers = receiver.wait_for(created(second))
        assert len(headers["webhook-signature"].split(" ")) == 2
        assert WebhookVerifier(WEBHOOK_SECRET).verify(body, headers)["data"]["email"] == second
        assert WebhookVerifier(OTHER_WEBHOOK_SECRET).verify(body, headers)["data"]["email"] == second
        # Rotation over: only the new secret signs. A receiver holding both accepts it.
        server.restart({"LATCHKEY_WEBHOOK_URL": receiver.url, "LATCHKEY_WEBHOOK_SECRET": OTHER_WEBHOOK_SECRET})
        third = address("after")
        server.call("POST", "/api/v1/register", {"email": third, "password": "correct horse battery"})
        body, headers = receiver.wait_for(created(third))
        with pytest.raises(InvalidWebhook):
            WebhookVerifier(WEBHOOK_SECRET).verify(body, headers)
        assert WebhookVerifier([WEBHOOK_SECRET, OTHER_WEBHOOK_SECRET]).verify(body, headers)
    finally:
        server.close()


def test_a_body_that_is_not_an_event_is_refused():
    from standardwebhooks.webhooks import Webhook
    from datetime import datetime, timezone

    now = datetime.now(tz=timezone.utc)
    body = json.dumps([1, 2, 3])
    signature = Webhook(WEBHOOK_SECRET).sign("msg_1", now, body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    with pytest.raises(InvalidWebhook):
        WebhookVerifier(WEBHOOK_SECRET).verify(body, headers)
    with pytest.raises(ValueError):
        WebhookVerifier([])
