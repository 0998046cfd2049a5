#!/usr/bin/env bash
# Redo docs/handbook.png, the picture in docs/handbook.md: the first page of
# the staff handbook of examples/telecom, in English, as headless Chromium
# (Debian's chromium) shows it in a window 1000 pixels wide.
#
#     docs/handbook-picture.sh [path/to/leeway]     (default build/release/leeway)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
leeway=${1:-build/release/leeway}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/leeway-picture.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$leeway" doc examples/telecom/playbook.yaml --lang en >"$tmp/handbook.html"
timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$tmp/profile" --window-size=1000,2300 \
    --screenshot="$tmp/handbook.png" "file://$tmp/handbook.html" >/dev/null 2>&1
mv "$tmp/handbook.png" docs/handbook.png
echo "docs/handbook.png: $(wc -c <docs/handbook.png) bytes"
