#!/usr/bin/env bash
# Renders each email kind's HTML part (English) and photographs it in headless Chromium at
# 390 px (a phone) and 800 px (a desktop mail client). Run from the repository root after
# `cargo build`; needs Debian's chromium.
set -euo pipefail
out=docs/screenshots
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for kind in verification already_registered password_reset password_changed \
  email_change_confirm_new email_change_confirm_old email_change_attempt email_changed \
  email_reverted ${EXTRA_KINDS:-}; do
  target/debug/latchkey mail preview "$kind" --html --locale "${LOCALE:-en}" > "$tmp/$kind.html"
  for width in 390 800; do
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
      --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
      --user-data-dir="$tmp/profile" --window-size="$width,1100" \
      --screenshot="$out/$kind-$width.png" "file://$tmp/$kind.html" 2>/dev/null
  done
done
