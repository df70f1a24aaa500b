"""The FastAPI dependencies in a real app served by uvicorn: Latchkey's tokens open its
endpoints, and Latchkey's webhook deliveries reach its event endpoint."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest
import uvicorn
from fastapi import Depends, FastAPI

from conftest import WEBHOOK_SECRET, Server, free_port
from latchkey import TokenVerifier, WebhookVerifier
from latchkey.fastapi import LatchkeyEvent, LatchkeyUser


@pytest.fixture
def app_and_latchkey():
    port = free_port()
    server = Server({"LATCHKEY_WEBHOOK_URL": f"http://127.0.0.1:{port}/hooks/latchkey", "LATCHKEY_WEBHOOK_SECRET": WEBHOOK_SECRET})
    events: list = []
    user = LatchkeyUser(TokenVerifier(server.url))
    app = FastAPI()

    @app.get("/api/whoami")
    def whoami(claims: dict = Depends(user)):
        return {"id": claims["sub"], "email": claims["email"]}

    @app.post("/hooks/latchkey", status_code=204)
    def hook(event: dict = Depends(LatchkeyEvent(WebhookVerifier(WEBHOOK_SECRET)))):
        events.append(event)

    down = LatchkeyUser(TokenVerifier(server.url, jwks_url="http://127.0.0.1:9/jwks", timeout=2))

    @app.get("/api/down")
    def needs_keys(claims: dict = Depends(down)):
        return claims

    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    while not web.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", server, events
    web.should_exit = True
    thread.join(5)
    server.close()


def get(url: str, token=None, headers=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_the_dependency_hands_the_endpoint_the_claims(app_and_latchkey, address):
    app, server, _ = app_and_latchkey
    email = address()
    token = server.user(email)
    status, _, body = get(f"{app}/api/whoami", token)
    assert status == 200, body
    assert email.encode() in body


def test_missing_or_bad_tokens_get_401_with_www_authenticate(app_and_latchkey, address):
    app, server, _ = app_and_latchkey
    token = server.user(address())
    for case in [None, "garbage", token[:-4] + "AAAA", ]:
        status, headers, _ = get(f"{app}/api/whoami", case)
        assert status == 401, case
        assert headers["www-authenticate"].startswith("Bearer")
    status, headers, _ = get(f"{app}/api/whoami", headers={"Authorization": f"Basic {token}"})
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    # Keys that cannot be fetched are the server's trouble, not the client's.
    status, _, _ = get(f"{app}/api/down", token)
    assert status == 503


def test_webhook_deliveries_reach_the_event_endpoint(app_and_latchkey, address):
    app, server, events = app_and_latchkey
    email = address()
    server.user(email)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and {"user.created", "user.verified"} - {e["type"] for e in events}:
        time.sleep(0.05)
    assert {e["type"] for e in events} >= {"user.created", "user.verified"}
    assert all(e["data"]["email"] == email for e in events)
    # Anyone else posting there is refused.
    request = urllib.request.Request(f"{app}/hooks/latchkey", data=b'{"type":"user.deleted"}', method="POST")
    request.add_header("webhook-id", "msg_forged")
    request.add_header("webhook-timestamp", str(int(time.time())))
    request.add_header("webhook-signature", "v1,AAAA")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
