#!/usr/bin/env bash
# Starts the example in one command: Latchkey (with the dev mailbox instead of SMTP), the FastAPI
# back end (examples/api) and the Vite front end (examples/web). Installs what is missing first.
# Ctrl-C stops all three.
#
#   examples/start.sh        then open http://localhost:5173 (emails: http://localhost:8080/dev/mailbox)
#
# Settings (environment): LATCHKEY_PORT (8080), API_PORT (8000), WEB_PORT (5173),
# EXAMPLE_DATA (examples/.data: the databases and the webhook secret), LATCHKEY_BIN (default:
# build the repository's debug binary), LATCHKEY_REFRESH (memory or cookie: where the browser
# keeps the refresh token), LATCHKEY_ACCESS_TTL (15m).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
LATCHKEY_PORT=${LATCHKEY_PORT:-8080}
API_PORT=${API_PORT:-8000}
WEB_PORT=${WEB_PORT:-5173}
DATA=${EXAMPLE_DATA:-$here/.data}
REFRESH=${LATCHKEY_REFRESH:-memory}
mkdir -p "$DATA"

if [ -z "${LATCHKEY_BIN:-}" ]; then
  echo "== cargo build (Latchkey)"
  (cd "$repo" && cargo build --quiet --bin latchkey)
  LATCHKEY_BIN=$repo/target/debug/latchkey
fi
if [ ! -d "$repo/clients/typescript/node_modules" ]; then
  echo "== npm ci (clients/typescript)"
  npm ci --prefix "$repo/clients/typescript" --no-audit --no-fund --loglevel=error
fi
if [ ! -f "$repo/clients/typescript/dist/index.js" ]; then
  echo "== npm run build (clients/typescript)"
  npm run build --prefix "$repo/clients/typescript" --silent
fi
if [ ! -d "$here/web/node_modules" ]; then
  echo "== npm ci (examples/web)"
  npm ci --prefix "$here/web" --no-audit --no-fund --loglevel=error
fi
if [ ! -x "$here/api/.venv/bin/uvicorn" ]; then
  echo "== python venv (examples/api)"
  python3 -m venv "$here/api/.venv"
  (cd "$here/api" && .venv/bin/pip install --disable-pip-version-check -q -r requirements.txt -c ../../clients/python/constraints.txt)
fi
# The secret Latchkey signs webhooks with, and the back end checks them with: made once.
[ -f "$DATA/webhook-secret" ] || echo "whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$DATA/webhook-secret"
WEBHOOK_SECRET=$(cat "$DATA/webhook-secret")
LATCHKEY_URL=http://localhost:$LATCHKEY_PORT

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

# (env -u: this script's own LATCHKEY_* settings are not Latchkey's, which would warn about them)
env -u LATCHKEY_PORT -u LATCHKEY_BIN -u LATCHKEY_REFRESH \
LATCHKEY_LISTEN=127.0.0.1:$LATCHKEY_PORT \
LATCHKEY_PUBLIC_URL=$LATCHKEY_URL \
LATCHKEY_DATABASE_URL=sqlite://$DATA/latchkey.db \
LATCHKEY_CORS_ORIGINS=http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT \
LATCHKEY_WEBHOOK_URL=http://127.0.0.1:$API_PORT/hooks/latchkey \
LATCHKEY_WEBHOOK_SECRET=$WEBHOOK_SECRET \
LATCHKEY_ACCESS_TTL=${LATCHKEY_ACCESS_TTL:-15m} \
LATCHKEY_APP_URL=http://localhost:$WEB_PORT/ \
LATCHKEY_RETURN_URLS=http://localhost:$WEB_PORT/ \
LATCHKEY_LOG=${LATCHKEY_LOG:-warn} \
  $([ "$REFRESH" = cookie ] && echo LATCHKEY_REFRESH_COOKIE=on) \
  "$LATCHKEY_BIN" serve &
pids+=($!)

(cd "$here/api" && LATCHKEY_URL=$LATCHKEY_URL LATCHKEY_WEBHOOK_SECRET=$WEBHOOK_SECRET APP_DB=$DATA/app.db \
  exec .venv/bin/uvicorn app:app --host 127.0.0.1 --port "$API_PORT" --log-level warning) &
pids+=($!)

(cd "$here/web" && VITE_LATCHKEY_URL=$LATCHKEY_URL VITE_LATCHKEY_REFRESH=$REFRESH API_PORT=$API_PORT \
  exec node_modules/.bin/vite --host 127.0.0.1 --port "$WEB_PORT" --strictPort --logLevel warn) &
pids+=($!)

echo "== the example runs: http://localhost:$WEB_PORT (emails: $LATCHKEY_URL/dev/mailbox); Ctrl-C stops it"
# Until one of them stops (or Ctrl-C): then the others are stopped too.
wait -n "${pids[@]}"
