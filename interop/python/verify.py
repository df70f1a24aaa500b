"""Interoperability check: verifies a Latchkey access token against the server's JWKS with
PyJWT, and a captured webhook delivery with the Standard Webhooks library, exactly as
docs/integration.md tells a Python back end to. Exits non-zero on any failure.

Input (environment): LATCHKEY_URL, LATCHKEY_PUBLIC_URL, LATCHKEY_TOKEN_AUDIENCE, ACCESS_TOKEN,
WEBHOOK_SECRET, WEBHOOK_CAPTURE (a JSON file: {"headers": {...}, "body": "..."}).
"""

import json
import os
import sys

# --- snippet: python-verify-token ---
import os

import jwt  # PyJWT, with the "crypto" extra

LATCHKEY_URL = os.environ["LATCHKEY_URL"]  # e.g. https://id.example.com
jwks_client = jwt.PyJWKClient(f"{LATCHKEY_URL}/.well-known/jwks.json", cache_keys=True)


def verify_access_token(token: str) -> dict:
    """The token's claims, or jwt.InvalidTokenError (answer 401)."""
    signing_key = jwks_client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        signing_key.key,
        algorithms=["ES256", "EdDSA"],
        # The server's own settings, by the same names: the `aud` and `iss` it signs.
        audience=os.environ.get("LATCHKEY_TOKEN_AUDIENCE", "latchkey"),
        issuer=os.environ.get("LATCHKEY_PUBLIC_URL", LATCHKEY_URL),
        options={"require": ["exp", "iat", "sub", "aud", "iss"]},
    )
# --- end snippet ---

# --- snippet: python-receive-webhook ---
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

webhook = Webhook(os.environ["WEBHOOK_SECRET"])  # the same whsec_... as LATCHKEY_WEBHOOK_SECRET


def receive_event(body: bytes, headers: dict) -> dict:
    """The verified event, or WebhookVerificationError (answer 400). Deduplicate by the
    webhook-id header: a retry carries the same one."""
    event = webhook.verify(body, headers)
    if event["type"] == "user.deleted":
        pass  # e.g. delete your own rows of event["data"]["user_id"]
    return event
# --- end snippet ---


def main() -> int:
    claims = verify_access_token(os.environ["ACCESS_TOKEN"])
    for claim in ("sub", "sid", "email", "email_verified", "iat", "exp"):
        if claim not in claims:
            print(f"claim {claim} missing", file=sys.stderr)
            return 1
    print(f"token ok: sub={claims['sub']} email={claims['email']}")

    with open(os.environ["WEBHOOK_CAPTURE"], encoding="utf-8") as f:
        capture = json.load(f)
    event = receive_event(capture["body"].encode(), capture["headers"])
    print(f"webhook ok: {event['type']} {event['data']['user_id']}")

    # A changed body must be refused, or the check above proves nothing.
    try:
        receive_event(capture["body"].replace("user", "usr").encode(), capture["headers"])
    except WebhookVerificationError:
        print("tampered webhook refused")
    else:
        print("a tampered webhook was accepted", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001 - the caller wants one line and a failure status
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
