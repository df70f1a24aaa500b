#!/usr/bin/env bash
# Runs Schemathesis (PyPI, pinned in interop/schemathesis/requirements.txt) against a live
# `latchkey serve`: every operation of the served OpenAPI document, with every check on
# (`--checks all`: no 5xx, answers that match their schemas, schema-valid requests accepted,
# schema-invalid ones refused...), signed in as an admin. Any finding fails the run.
#
#   scripts/schemathesis.sh                      # 25 examples per operation and phase
#   SCHEMATHESIS_MAX_EXAMPLES=200 scripts/schemathesis.sh
#
# The run is bounded by the examples per operation (the time is printed at the end). It uses
# target/debug/latchkey (built here if missing), a temporary SQLite database, the dev mailbox,
# no request limits (the run sends thousands) and cheap password hashing.
set -euo pipefail
cd "$(dirname "$0")/.."

max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-25}
venv=interop/schemathesis/.venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check -q -r interop/schemathesis/requirements.txt \
    || { echo "cannot install interop/schemathesis/requirements.txt from PyPI" >&2; exit 1; }
fi
bin=${LATCHKEY_BIN:-target/debug/latchkey}
[ -x "$bin" ] || cargo build -q --bin latchkey

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
admin=fuzz-admin@example.com
password='schemathesis admin password'
env -u LATCHKEY_SMTP_URL \
  LATCHKEY_LISTEN="127.0.0.1:$port" \
  LATCHKEY_METRICS_LISTEN=off \
  LATCHKEY_DATABASE_URL="sqlite://$work/latchkey.db" \
  LATCHKEY_RATE_LIMIT=off \
  LATCHKEY_MAIL_COOLDOWN=0s \
  LATCHKEY_PASSWORD_HASH='argon2id:m=4096,t=1,p=1' \
  LATCHKEY_FIRST_ADMIN_EMAIL="$admin" \
  LATCHKEY_FIRST_ADMIN_PASSWORD="$password" \
  LATCHKEY_LOG=warn \
  "$bin" serve >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
token=$(curl -fsS "$base/api/v1/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$admin\",\"password\":\"$password\"}" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

started=$(date +%s)
status=0
"$venv/bin/schemathesis" --config-file interop/schemathesis/schemathesis.toml run "$base/api/v1/openapi.json" \
  --url "$base" \
  --checks all \
  --max-examples "$max_examples" \
  --seed "${SCHEMATHESIS_SEED:-17}" \
  --workers 1 \
  --generation-database none \
  --header "Authorization: Bearer $token" \
  --no-color "$@" || status=$?
echo "== schemathesis: $(( $(date +%s) - started )) s with --max-examples $max_examples (exit $status)"
if [ $status -ne 0 ] && grep -q . "$work/serve.log"; then
  echo "== the server's warnings and errors:"; tail -50 "$work/serve.log"
fi
exit $status
