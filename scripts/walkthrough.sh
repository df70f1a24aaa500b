#!/usr/bin/env bash
# Every flow of the API with curl, against `latchkey serve` with the dev mailbox (no
# LATCHKEY_SMTP_URL) on LATCHKEY_URL (default http://localhost:8080), on a fresh database.
# docs/walkthrough.md shows this file; tests/e2e/docs/walkthrough.rs runs it against a real server
# and checks each answer against the comment below its command ("…": differs on every run).
set -euo pipefail
URL=${LATCHKEY_URL:-http://localhost:8080}
API=$URL/api/v1
JSON='content-type: application/json'

# Helpers: one field of a JSON answer; the newest email to an address once it has N of them
# (the worker sends each a moment after the answer); the token of its link to PAGE; its code.
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
mail() {
  for _ in $(seq 100); do
    curl -s "$URL/dev/mailbox.json" | python3 -c 'import json,sys
mails = [m for m in json.load(sys.stdin) if m["to"] == sys.argv[1]]
sys.exit(len(mails) < int(sys.argv[2]) or print(json.dumps(mails[0])))' "$1" "$2" && return
    sleep 0.1
  done
  echo "no email number $2 to $1" >&2 && return 1
}
link_token() {
  mail "$1" "$2" | python3 -c 'import json,sys
print(next(l for l in json.load(sys.stdin)["links"] if "/"+sys.argv[1]+"?" in l).split("token=")[1])' "$3"
}
code() {
  mail "$1" "$2" | python3 -c 'import json,re,sys
print(re.search(r"^\s*(\d{6})\s*$", json.load(sys.stdin)["text"], re.M)[1])'
}

# Sign up. The answer is the same whether or not the address has an account.
curl -s -w '\n' $API/register -H "$JSON" \
  -d '{"email": "ann@example.com", "password": "correct horse battery", "name": "Ann"}'
# {"status":"verification_sent"}

# Log-in is refused until the address is verified.
curl -s -w '\n' $API/login -H "$JSON" \
  -d '{"email": "ann@example.com", "password": "correct horse battery"}'
# {"code":"email_not_verified","detail":"…","status":403,"title":"…","type":"…"}

# Verify by the link in the email (in a browser the link opens a page whose button does this).
TOKEN=$(link_token ann@example.com 1 verify-email)
curl -s -w '\n' $API/email/verify -H "$JSON" -d "{\"token\": \"$TOKEN\"}"
# {"email":"ann@example.com","status":"verified"}

# Or by the 6-digit code beside the link, typed with the address.
curl -s -w '\n' $API/register -H "$JSON" \
  -d '{"email": "bob@example.com", "password": "another fine passphrase"}'
# {"status":"verification_sent"}
CODE=$(code bob@example.com 1)
curl -s -w '\n' $API/email/verify -H "$JSON" -d "{\"email\": \"bob@example.com\", \"code\": \"$CODE\"}"
# {"email":"bob@example.com","status":"verified"}

# The mail cooldown: a second email of the same kind to the same address within 60 s
# (LATCHKEY_MAIL_COOLDOWN) is not sent. The answer is the same, so it tells nothing; the
# first email's link and code still work.
curl -s -w '\n' $API/register -H "$JSON" -d '{"email": "cy@example.com", "password": "cy is a careful user"}'
# {"status":"verification_sent"}
mail cy@example.com 1 >/dev/null
curl -s -w '\n' $API/email/verify/resend -H "$JSON" -d '{"email": "cy@example.com"}'
# {"status":"verification_sent"}
sleep 1
curl -s $URL/dev/mailbox.json | python3 -c 'import json,sys
print(sum(m["to"] == "cy@example.com" for m in json.load(sys.stdin)), "email to cy")'
# 1 email to cy

# Log in: a 15-minute access token and a refresh token (a session).
TOKENS=$(curl -s $API/login -H "$JSON" -H 'user-agent: laptop' \
  -d '{"email": "ann@example.com", "password": "correct horse battery"}')
echo "$TOKENS"
# {"access_token":"…","expires_in":900,"refresh_token":"…","token_type":"Bearer"}
ACCESS=$(echo "$TOKENS" | field access_token)
REFRESH=$(echo "$TOKENS" | field refresh_token)

curl -s -w '\n' $API/me -H "authorization: Bearer $ACCESS"
# {"created_at":"…","email":"ann@example.com","email_verified":true,"id":"…","is_admin":false,"locale":"en","mfa":{"passkeys":0,"recovery_codes_left":0,"totp":false},"name":"Ann","pending_email":null}

# Refresh: a new pair. The old refresh token is dead; using it again (after a 10 s grace for
# two tabs refreshing at once) ends the session.
TOKENS=$(curl -s $API/token/refresh -H "$JSON" -d "{\"refresh_token\": \"$REFRESH\"}")
echo "$TOKENS"
# {"access_token":"…","expires_in":900,"refresh_token":"…","token_type":"Bearer"}
ACCESS=$(echo "$TOKENS" | field access_token)
REFRESH=$(echo "$TOKENS" | field refresh_token)

# Change the password (the current one is asked again).
curl -s -w '\n' $API/me/password -H "$JSON" -H "authorization: Bearer $ACCESS" \
  -d '{"current_password": "correct horse battery", "new_password": "a newer horse battery"}'
# {"status":"password_changed"}

# Forgot the password: the reset email has a link and a code; reset by the link...
curl -s -w '\n' $API/password/forgot -H "$JSON" -d '{"email": "ann@example.com"}'
# {"status":"reset_sent"}
TOKEN=$(link_token ann@example.com 3 reset-password)
curl -s -w '\n' $API/password/reset -H "$JSON" \
  -d "{\"token\": \"$TOKEN\", \"new_password\": \"the newest horse battery\"}"
# {"status":"password_changed"}

# ...or by the code, typed with the address.
curl -s -w '\n' $API/password/forgot -H "$JSON" -d '{"email": "bob@example.com"}'
# {"status":"reset_sent"}
CODE=$(code bob@example.com 2)
curl -s -w '\n' $API/password/reset -H "$JSON" \
  -d "{\"email\": \"bob@example.com\", \"code\": \"$CODE\", \"new_password\": \"bob picks a new one\"}"
# {"status":"password_changed"}

# Change the email address: a confirmation link goes to the new address and one to the
# current address; the change applies when both are used.
TOKENS=$(curl -s $API/login -H "$JSON" -H 'user-agent: laptop' \
  -d '{"email": "ann@example.com", "password": "the newest horse battery"}')
ACCESS=$(echo "$TOKENS" | field access_token)
curl -s -w '\n' $API/me/email -H "$JSON" -H "authorization: Bearer $ACCESS" \
  -d '{"password": "the newest horse battery", "new_email": "ann.new@example.com"}'
# {"status":"confirmation_sent"}
TOKEN=$(link_token ann.new@example.com 1 confirm-email-change)
curl -s -w '\n' $API/email/change/confirm -H "$JSON" -d "{\"token\": \"$TOKEN\"}"
# {"status":"awaiting_other_confirmation"}
TOKEN=$(link_token ann@example.com 5 confirm-email-change)
curl -s -w '\n' $API/email/change/confirm -H "$JSON" -d "{\"token\": \"$TOKEN\"}"
# {"email":"ann.new@example.com","status":"changed"}

# The old address is told, with a link that reverts the change (for 7 days).
TOKEN=$(link_token ann@example.com 6 revert-email-change)
curl -s -w '\n' $API/email/change/revert -H "$JSON" -d "{\"token\": \"$TOKEN\"}"
# {"email":"ann@example.com","status":"reverted"}

# Sessions: one per log-in. List them, end one, or every other one (the account page has a
# button for that; over the API it is one DELETE per session).
PHONE=$(curl -s $API/login -H "$JSON" -H 'user-agent: phone' \
  -d '{"email": "ann@example.com", "password": "the newest horse battery"}')
TOKENS=$(curl -s $API/login -H "$JSON" -H 'user-agent: laptop' \
  -d '{"email": "ann@example.com", "password": "the newest horse battery"}')
ACCESS=$(echo "$TOKENS" | field access_token)
curl -s -w '\n' $API/me/sessions -H "authorization: Bearer $ACCESS"
# [{"created_at":"…","current":true,"id":"…","ip_hint":"127.0.0.x","last_used_at":"…","user_agent":"laptop"},{"created_at":"…","current":false,"id":"…","ip_hint":"127.0.0.x","last_used_at":"…","user_agent":"phone"}]
OTHERS=$(curl -s $API/me/sessions -H "authorization: Bearer $ACCESS" | python3 -c 'import json,sys
print(" ".join(s["id"] for s in json.load(sys.stdin) if not s["current"]))')
for ID in $OTHERS; do
  curl -s -o /dev/null -w '%{http_code}\n' -X DELETE $API/me/sessions/$ID -H "authorization: Bearer $ACCESS"
done
# 204
curl -s -w '\n' $API/token/refresh -H "$JSON" -d "{\"refresh_token\": \"$(echo "$PHONE" | field refresh_token)\"}"
# {"code":"invalid_refresh_token","detail":"…","status":401,"title":"…","type":"…"}

# Log out: ends this session (an unknown token is fine too).
curl -s -o /dev/null -w '%{http_code}\n' $API/logout -H "$JSON" \
  -d "{\"refresh_token\": \"$(echo "$TOKENS" | field refresh_token)\"}"
# 204

# Delete the account (signed in, and the password is asked again); a last email says so.
TOKENS=$(curl -s $API/login -H "$JSON" \
  -d '{"email": "ann@example.com", "password": "the newest horse battery"}')
ACCESS=$(echo "$TOKENS" | field access_token)
curl -s -o /dev/null -w '%{http_code}\n' -X DELETE $API/me -H "$JSON" \
  -H "authorization: Bearer $ACCESS" -d '{"password": "the newest horse battery"}'
# 204
