#!/usr/bin/env python3
"""Screenshots of the pages a newcomer sees first, for the README: docs/screenshots/page-*.png,
dev-mailbox.png and email-verification.png.

    scripts/page-screenshots.py

Builds Latchkey, starts `latchkey serve` on a fresh database in a temporary directory (dev
mailbox, a free port on 127.0.0.1), and walks the tour in headless Chromium over the WebDriver
protocol (chromedriver, no other Python package): sign up, the email in the dev mailbox, verify,
log in, the account page (with a second session, from a phone, signed in over the API).
Needs Debian's chromium and chromium-driver; pngquant, when installed, makes the files smaller.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "screenshots")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(ready, what):
    for _ in range(100):
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"page-screenshots: {what} did not come up")


def post_json(url, body, headers=None):
    req = urllib.request.Request(
        url,
        method="POST",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


class Browser:
    def __init__(self, port, profile):
        self.wd = f"http://127.0.0.1:{port}"
        self.driver = subprocess.Popen(
            ["chromedriver", f"--port={port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: self.call("GET", "/status")["ready"], "chromedriver")
        options = {
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--hide-scrollbars", "--lang=en-US",
                f"--user-data-dir={profile}",
            ]
        }
        chromium = shutil.which("chromium")
        if chromium:
            options["binary"] = chromium
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}}
        self.session = "/session/" + self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        req = urllib.request.Request(
            self.wd + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)["value"]

    def s(self, method, path, body=None):
        return self.call(method, self.session + path, body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def element(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def type(self, css, text):
        self.s("POST", f"/element/{self.element(css)}/value", {"text": text})

    def press(self, css="form button[type=submit]"):
        self.s("POST", f"/element/{self.element(css)}/click", {})

    def script(self, code):
        return self.s("POST", "/execute/sync", {"script": code, "args": []})

    def shot(self, name, width):
        # The viewport (not the window) is `width` wide and as tall as the page.
        self.s("POST", "/window/rect", {"width": width, "height": 300})
        time.sleep(0.2)
        chrome = self.script("return window.outerHeight - window.innerHeight")
        height = self.script("return document.documentElement.scrollHeight")
        self.s("POST", "/window/rect", {"width": width, "height": height + chrome})
        time.sleep(0.3)
        path = os.path.join(OUT, name + ".png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))
        print("wrote", os.path.relpath(path, ROOT))

    def close(self):
        try:
            self.s("DELETE", "")
        finally:
            self.driver.terminate()
            self.driver.wait()


def main():
    subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp()
    port = free_port()
    base = f"http://localhost:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LATCHKEY_")}
    env["LATCHKEY_LISTEN"] = f"127.0.0.1:{port}"
    server = subprocess.Popen(
        [os.path.join(ROOT, "target", "debug", "latchkey"), "serve"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    browser = None
    try:
        wait_until(lambda: urllib.request.urlopen(base + "/healthz").status == 200, "latchkey")
        browser = Browser(free_port(), os.path.join(work, "profile"))
        shot(browser, base)
    finally:
        if browser:
            browser.close()
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)
    if shutil.which("pngquant"):
        names = [os.path.join(OUT, n) for n in NAMES]
        subprocess.run(
            ["pngquant", "--force", "--skip-if-larger", "--ext", ".png", "--", *names],
            check=False,
        )


NAMES = [
    "page-register.png", "page-check-inbox.png", "email-verification.png",
    "page-verify-email.png", "page-verified.png", "page-login.png", "page-account.png",
    "dev-mailbox.png",
]


def mails(base, to):
    with urllib.request.urlopen(base + "/dev/mailbox.json", timeout=30) as r:
        return [m for m in json.load(r) if m["to"] == to]


def shot(b, base):
    email, password = "ann@example.com", "correct horse battery"
    b.go(base + "/register")
    b.shot("page-register", 720)
    b.type("input[name=email]", email)
    b.type("input[name=password]", password)
    b.type("input[name=name]", "Ann")
    b.press()
    b.shot("page-check-inbox", 720)

    wait_until(lambda: mails(base, email), "the verification email")
    mail = mails(base, email)[0]
    b.go(f"{base}/dev/mailbox/{mail['id']}")
    b.shot("email-verification", 600)
    link = next(l for l in mail["links"] if "/verify-email?" in l)
    b.go(base + link[link.index("/verify-email"):])
    b.shot("page-verify-email", 720)
    b.press()
    b.shot("page-verified", 720)

    b.go(base + "/login")
    b.shot("page-login", 720)
    b.type("input[name=email]", email)
    b.type("input[name=password]", password)
    b.press()
    post_json(base + "/api/v1/login", {"email": email, "password": password}, {"user-agent": PHONE})
    b.go(base + "/account")
    b.shot("page-account", 720)

    post_json(base + "/api/v1/register", {"email": "bob@example.com", "password": "another fine passphrase"})
    wait_until(lambda: mails(base, "bob@example.com"), "the second email")
    b.go(base + "/dev/mailbox")
    b.shot("dev-mailbox", 1000)


if __name__ == "__main__":
    main()
