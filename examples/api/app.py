"""The example's back end: its own API, which trusts Latchkey's access tokens, and a local users
table that Latchkey's webhooks keep current."""

# --- snippet: fastapi-app ---
import os
import sqlite3

from fastapi import Depends, FastAPI
from latchkey import TokenVerifier, WebhookVerifier
from latchkey.fastapi import LatchkeyEvent, LatchkeyUser

db = sqlite3.connect(os.environ.get("APP_DB", "app.db"), check_same_thread=False, isolation_level=None)
db.execute("CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT, verified INT, at TEXT)")
signed_in = LatchkeyUser(TokenVerifier(os.environ["LATCHKEY_URL"]))
event = LatchkeyEvent(WebhookVerifier(os.environ["LATCHKEY_WEBHOOK_SECRET"]))
app = FastAPI()


@app.post("/hooks/latchkey", status_code=204)
def on_event(e: dict = Depends(event)):
    user, at = e["data"], e["timestamp"]
    if e["type"] == "user.deleted":
        db.execute("DELETE FROM users WHERE id = ?", (user["user_id"],))
    elif "email" in user:  # created, verified, unverified, email_changed, email_reverted
        verified = user.get("email_verified", e["type"] != "user.unverified")
        # Events may arrive twice or out of order: an older one never overwrites a newer one.
        db.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET email = excluded.email,"
            " verified = excluded.verified, at = excluded.at WHERE excluded.at >= users.at",
            (user["user_id"], user["email"], verified, at),
        )


# The app's own business endpoint.
@app.get("/api/profile")
def profile(claims: dict = Depends(signed_in)):
    row = db.execute("SELECT email, verified FROM users WHERE id = ?", (claims["sub"],)).fetchone()
    return {"id": claims["sub"], "token_email": claims["email"], "local": row and {"email": row[0], "verified": bool(row[1])}}
# --- end snippet ---
