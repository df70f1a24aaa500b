#!/usr/bin/env bash
# Installs and tests the client libraries (clients/typescript, clients/python) and the example
# (examples/) against a Latchkey binary: the TypeScript types' drift check, the bundle size
# budget, Node and Chromium tests, pytest, and the example driven end to end in Chromium.
#
#   clients/ci.sh [path/to/latchkey]     default: $LATCHKEY_BIN, else `cargo build` here
#
# Needs Node 20+ with npm, Python 3.9+ with venv, and Chromium at /usr/bin/chromium (or
# $CHROMIUM). Tests of server features not yet built run as `todo` (listed in
# clients/typescript/test/support/pending.mjs).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
if [ $# -gt 0 ]; then
  LATCHKEY_BIN=$(realpath "$1")
elif [ -z "${LATCHKEY_BIN:-}" ]; then
  cargo build --quiet --bin latchkey
  LATCHKEY_BIN=$repo/target/debug/latchkey
fi
export LATCHKEY_BIN
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
  || { echo "clients/ci.sh needs Node 20 or newer (found $(node --version))" >&2; exit 1; }
npm_ci() { npm ci --prefix "$1" --no-audit --no-fund --loglevel=error; }

echo "== clients/typescript: npm ci, build, types' drift, size, Node and Chromium tests"
npm_ci clients/typescript
(
  cd clients/typescript
  npm run --silent build
  npm run --silent typecheck
  npm run --silent check:drift
  node scripts/size.mjs --max 6144
  node --test test/node/
  node --test --test-concurrency=1 test/browser/
)

echo "== clients/python: venv, pip install, pytest"
python3 -m venv clients/python/.venv
clients/python/.venv/bin/pip install --disable-pip-version-check -q \
  -c clients/python/constraints.txt -e "clients/python[test]"
(cd clients/python && .venv/bin/python -m pytest -q)

echo "== examples: npm ci, the example end to end in Chromium"
npm_ci examples/web
(cd examples/web && node --test --test-concurrency=1 e2e/)
