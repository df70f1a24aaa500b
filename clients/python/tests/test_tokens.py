"""TokenVerifier against a live server: real tokens verify; forged, expired and foreign ones do
not; a secret rotation is picked up without a restart; unknown key ids refetch at most once a
minute."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import OTHER_SECRET, SECRET, Server
from latchkey import InvalidToken, KeysUnavailable, TokenVerifier


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tamper(token: str, **changes) -> str:
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims.update(changes)
    return ".".join([head, b64(json.dumps(claims).encode()), signature])


def hs256(payload: dict, kid: str, verifier: TokenVerifier) -> str:
    """A token MACed with the public key's PEM as the HS256 secret (PyJWT refuses to make one)."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    public = verifier.jwks_client.get_signing_keys()[0].key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode()) + "." + b64(json.dumps(payload).encode())
    return signing_input + "." + b64(hmac.new(public, signing_input.encode(), hashlib.sha256).digest())


def counting(verifier: TokenVerifier) -> list:
    """Counts the verifier's fetches of the JWKS."""
    fetches: list = []
    fetch = verifier.jwks_client.fetch_data

    def counted():
        fetches.append(time.monotonic())
        return fetch()

    verifier.jwks_client.fetch_data = counted  # type: ignore[method-assign]
    return fetches


def test_a_real_token_verifies_and_gives_its_claims(server, address):
    email = address()
    token = server.user(email)
    claims = TokenVerifier(server.url).verify(token)
    assert claims["email"] == email
    assert claims["email_verified"] is True
    assert claims["iss"] == server.url and claims["aud"] == "latchkey"
    _, me = server.call("GET", "/api/v1/me", token=token)
    assert claims["sub"] == me["id"]
    assert claims["sid"]
    # A trailing slash on the issuer is the same issuer.
    assert TokenVerifier(server.url + "/").verify(token)["sub"] == me["id"]


def test_tokens_for_another_app_or_issuer_are_refused(server, address):
    token = server.user(address())
    with pytest.raises(InvalidToken, match="(?i)audience"):
        TokenVerifier(server.url, audience="another-app").verify(token)
    # The same keys, fetched from where the back end reaches Latchkey, but another issuer.
    with pytest.raises(InvalidToken, match="(?i)issuer"):
        TokenVerifier("https://auth.example.com", jwks_url=f"{server.url}/.well-known/jwks.json").verify(token)


def test_forged_tokens_are_refused(server, address):
    token = server.user(address())
    verifier = TokenVerifier(server.url)
    head = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})
    forged = {
        "changed claims": tamper(token, sub="someone-else"),
        "no signature": token.rsplit(".", 1)[0] + ".",
        "alg none": jwt.encode(payload, None, algorithm="none", headers={"kid": head["kid"]}),
        # HS256 with the public key's JSON as the shared secret: the classic confusion.
        "HS256 with the public key": hs256(payload, head["kid"], verifier),
        "another key, same kid": jwt.encode(
            payload, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": head["kid"]}
        ),
        "no kid": jwt.encode(payload, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256"),
        "garbage": "not.a.token",
        "empty": "",
    }
    for name, bad in forged.items():
        with pytest.raises(InvalidToken):
            verifier.verify(bad)
            pytest.fail(f"accepted: {name}")


def test_expired_tokens_are_refused(address):
    server = Server({"LATCHKEY_ACCESS_TTL": "1s"})
    try:
        token = server.user(address())
        verifier = TokenVerifier(server.url)
        assert verifier.verify(token)
        time.sleep(2.1)
        with pytest.raises(InvalidToken, match="expired"):
            verifier.verify(token)
        # A leeway the app chose accepts it a little longer.
        assert TokenVerifier(server.url, leeway=30).verify(token)
    finally:
        server.close()


def test_eddsa_tokens_verify_with_the_algorithm_the_keys_name(address):
    server = Server({"LATCHKEY_ACCESS_TOKEN_ALG": "EdDSA"})
    try:
        token = server.user(address())
        assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
        verifier = TokenVerifier(server.url)
        assert verifier.verify(token)["email_verified"] is True
        # An ES256 token under the EdDSA key's id is refused before any signature check.
        payload = jwt.decode(token, options={"verify_signature": False})
        kid = jwt.get_unverified_header(token)["kid"]
        es = jwt.encode(payload, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": kid})
        with pytest.raises(InvalidToken, match="algorithm"):
            verifier.verify(es)
    finally:
        server.close()


def test_a_secret_rotation_is_picked_up_without_a_restart(address):
    server = Server()
    try:
        email = address()
        old = server.user(email)
        verifier = TokenVerifier(server.url)
        fetches = counting(verifier)
        assert verifier.verify(old)["email"] == email
        assert len(fetches) == 1
        # The operator rotates: new secret, the old one as previous, restart.
        server.restart({"LATCHKEY_SECRET": OTHER_SECRET, "LATCHKEY_SECRET_PREVIOUS": SECRET})
        new = server.login(email)
        assert jwt.get_unverified_header(new)["kid"] != jwt.get_unverified_header(old)["kid"]
        # The unknown key id makes the verifier fetch the keys again, once.
        assert verifier.verify(new)["email"] == email
        assert len(fetches) == 2
        # Tokens signed before the rotation keep verifying, from the same document.
        assert verifier.verify(old)["email"] == email
        assert verifier.verify(new)["email"] == email
        assert len(fetches) == 2
        # The previous secret is dropped: the old key is gone once the cache is refreshed.
        server.restart({"LATCHKEY_SECRET": OTHER_SECRET})
        fresh = TokenVerifier(server.url)
        assert fresh.verify(new)["email"] == email
        with pytest.raises(InvalidToken, match="unknown key"):
            fresh.verify(old)
    finally:
        server.close()


def test_unknown_key_ids_refetch_the_keys_at_most_once_a_minute(server, address):
    token = server.user(address())
    verifier = TokenVerifier(server.url)
    fetches = counting(verifier)
    payload = jwt.decode(token, options={"verify_signature": False})
    key = ec.generate_private_key(ec.SECP256R1())
    for i in range(20):
        made_up = jwt.encode(payload, key, algorithm="ES256", headers={"kid": f"made-up-{i}"})
        with pytest.raises(InvalidToken):
            verifier.verify(made_up)
    # The first fetch, and one forced refetch for the first unknown id; the other 19 none.
    assert len(fetches) == 2
    assert verifier.verify(token)
    assert len(fetches) == 2
    # A minute later (here: a short interval) an unknown id may fetch again.
    quick = TokenVerifier(server.url, refetch_interval=0.2)
    quick_fetches = counting(quick)
    for i in range(3):
        with pytest.raises(InvalidToken):
            quick.verify(jwt.encode(payload, key, algorithm="ES256", headers={"kid": f"again-{i}"}))
        time.sleep(0.25)
    assert len(quick_fetches) == 4


def test_unreachable_keys_are_keys_unavailable(server, address):
    token = server.user(address())
    verifier = TokenVerifier(server.url, jwks_url="http://127.0.0.1:9/.well-known/jwks.json", timeout=2)
    with pytest.raises(KeysUnavailable):
        verifier.verify(token)


def test_require_verified_email(tmp_path):
    """Latchkey only issues tokens to verified addresses, so this checks the option itself, with
    keys of our own served the way Latchkey serves them."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", alg="ES256", use="sig")

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps({"keys": [jwk]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{http.server_address[1]}"
    try:
        now = int(time.time())
        claims = {"iss": issuer, "aud": "latchkey", "sub": "u1", "iat": now, "exp": now + 60, "email": "a@example.com"}
        unverified = jwt.encode({**claims, "email_verified": False}, key, algorithm="ES256", headers={"kid": "k1"})
        verifier = TokenVerifier(issuer)
        with pytest.raises(InvalidToken, match="not verified"):
            verifier.verify(unverified)
        assert verifier.verify(unverified, require_verified_email=False)["sub"] == "u1"
        missing = jwt.encode({k: v for k, v in claims.items() if k != "exp"}, key, algorithm="ES256", headers={"kid": "k1"})
        with pytest.raises(InvalidToken, match="exp"):
            verifier.verify(missing, require_verified_email=False)
    finally:
        http.shutdown()
