#!/usr/bin/env bash
# Screenshots of the emails' HTML parts in headless Chromium, as a phone (390 px) and a desktop
# mail client (800 px) show them: docs/screenshots/KIND-WIDTH.png in English,
# KIND-LANG-WIDTH.png in the other languages.
#
#   scripts/email-screenshots.sh                      # the set committed in docs/screenshots
#   scripts/email-screenshots.sh verification:de:390  # any KIND:LANG:WIDTH
#
# Needs Debian's chromium; pngquant, when installed, makes the files several times smaller.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  echo "chromium is not installed (Debian: apt-get install chromium)" >&2
  exit 1
fi

# What an operator's instance would show, not the development defaults.
export LATCHKEY_PRODUCT_NAME=${LATCHKEY_PRODUCT_NAME:-Latchkey}
export LATCHKEY_LINK_BASE_URL=${LATCHKEY_LINK_BASE_URL:-https://accounts.example.com}
unset LATCHKEY_TEMPLATES_DIR

if [ $# -eq 0 ]; then
  # Every kind in English at both widths, and some kinds in each other language.
  for kind in verification already_registered password_reset password_changed \
    email_change_confirm_new email_change_confirm_old email_change_attempt email_changed \
    email_reverted account_deleted; do
    set -- "$@" "$kind:en:390" "$kind:en:800"
  done
  set -- "$@" verification:de:390 password_changed:de:800 password_reset:fr:390 \
    email_changed:es:390 already_registered:sv:390
fi

cargo build --quiet
latchkey=target/debug/latchkey
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=docs/screenshots
mkdir -p "$out"

for shot in "$@"; do
  IFS=: read -r kind lang width <<<"$shot"
  html="$work/$kind-$lang.html"
  "$latchkey" mail preview "$kind" --html --locale "$lang" >"$html"
  if [ "$lang" = en ]; then png="$out/$kind-$width.png"; else png="$out/$kind-$lang-$width.png"; fi
  "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$work/profile-$kind-$lang-$width" \
    --screenshot="$png" --window-size="$width,1400" "file://$html" 2>/dev/null
  if command -v pngquant >/dev/null 2>&1; then
    pngquant --force --skip-if-larger --quality=70-95 --strip --output "$png" "$png" || true
  fi
  echo "$png $(stat -c %s "$png") bytes"
done
