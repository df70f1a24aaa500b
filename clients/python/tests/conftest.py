"""A real ``latchkey serve`` for the tests: free port, temporary SQLite database, dev mailbox,
cheap hashing (as tests/support does for the Rust suite). The binary: $LATCHKEY_BIN, else the
repository's target/release or target/debug build."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

import pytest

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery"
SECRET = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
OTHER_SECRET = "HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
WEBHOOK_SECRET = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
OTHER_WEBHOOK_SECRET = "whsec_" + "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4"


def binary() -> str:
    for candidate in (
        os.environ.get("LATCHKEY_BIN"),
        REPO / "target/release/latchkey",
        REPO / "target/debug/latchkey",
    ):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise RuntimeError("no latchkey binary: build it (cargo build) or set LATCHKEY_BIN")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One Latchkey process; ``restart(env)`` starts it again on the same port and database."""

    def __init__(self, env: Optional[dict] = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix="latchkey-py-")
        self.process: Optional[subprocess.Popen] = None
        self.start(env or {})

    def start(self, env: dict) -> None:
        full = {
            "PATH": os.environ.get("PATH", ""),
            "LATCHKEY_LISTEN": f"127.0.0.1:{self.port}",
            "LATCHKEY_PUBLIC_URL": self.url,
            "LATCHKEY_DATABASE_URL": f"sqlite://{self.dir}/latchkey.db",
            "LATCHKEY_SECRET": SECRET,
            "LATCHKEY_PASSWORD_HASH": "argon2id:m=4096,t=1,p=1",
            "LATCHKEY_MAIL_COOLDOWN": "0s",
            "LATCHKEY_RATE_LIMIT": "off",
            "LATCHKEY_MAIL_POLL_INTERVAL": "100ms",
            "LATCHKEY_MAIL_RETRY_BASE": "200ms",
            "LATCHKEY_LOG": "warn",
        }
        full.update(env)
        self.log = open(os.path.join(self.dir, "log"), "ab")
        self.process = subprocess.Popen([binary(), "serve"], env=full, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(400):
            if self.process.poll() is not None:
                raise RuntimeError(f"latchkey serve exited: {Path(self.dir, 'log').read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("latchkey serve did not become ready")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.log.close()

    def restart(self, env: dict) -> None:
        self.stop()
        self.start(env)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- the API, as a front end would call it --------------------------------------------

    def call(self, method: str, path: str, body: Any = None, token: Optional[str] = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                text = r.read()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, json.loads(text) if text else None

    def mail(self, to: str, after: int = 0) -> dict:
        for _ in range(200):
            _, mails = self.call("GET", "/dev/mailbox.json")
            for m in mails:
                if to in m["to"] and m["id"] > after:
                    code = re.search(r"\b(\d{6})\b", m["text"])
                    return {**m, "code": code and code.group(1)}
            time.sleep(0.05)
        raise AssertionError(f"no email to {to}")

    def user(self, email: str) -> str:
        """Signs `email` up and verifies it; returns an access token."""
        status, _ = self.call("POST", "/api/v1/register", {"email": email, "password": PASSWORD})
        assert status == 202
        code = self.mail(email)["code"]
        status, body = self.call("POST", "/api/v1/email/verify", {"email": email, "code": code})
        assert status == 200, body
        return self.login(email)

    def login(self, email: str) -> str:
        status, body = self.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD})
        assert status == 200, body
        return body["access_token"]


class Receiver:
    """An HTTP endpoint that records every request (raw body and headers) and answers 204."""

    def __init__(self) -> None:
        self.received: list = []
        self.arrived = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with outer.arrived:
                    outer.received.append((body, dict(self.headers.items())))
                    outer.arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout: float = 15) -> tuple[bytes, dict]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for body, headers in self.received:
                    if predicate(json.loads(body)):
                        return body, headers
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching delivery among {len(self.received)}")
                self.arrived.wait(left)

    def close(self) -> None:
        self.server.shutdown()


_n = [0]


@pytest.fixture
def address():
    def make(what: str = "user") -> str:
        _n[0] += 1
        return f"{what}-{os.getpid()}-{_n[0]}@example.com"

    return make


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
