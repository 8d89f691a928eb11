#!/usr/bin/env bash
# Refresh the README's Dagster UI screenshots (docs/screenshots/*.png) by running the browser
# test of the UI with DOUGCHAT_UI_SCREENSHOTS set: the pictures are of the pages the test just
# checked.  Needs Debian's chromium and playwright (`bash scripts/setup.sh --test`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/screenshots
mkdir -p "$out"
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
DOUGCHAT_UI_SCREENSHOTS="$out" .venv/bin/python -m pytest -q -p no:cacheprovider -rs \
  dougchat_assets_tests/defs/test_dagster_ui_browser.py
# A skipped test (no chromium) passes pytest but writes nothing: say so instead of keeping old pictures silently.
stale=$(find "$out" -name '*.png' ! -newer "$marker")
fresh=$(find "$out" -name '*.png' -newer "$marker" | wc -l)
if [ "$fresh" -lt 4 ] || [ -n "$stale" ]; then
  echo "ui_screenshots: expected 4 fresh screenshots in $out, got $fresh; not refreshed: ${stale:-none}" >&2
  exit 1
fi
# README pictures stay small (< 300 KB each)
big=$(find "$out" -name '*.png' -size +300k)
if [ -n "$big" ]; then
  echo "ui_screenshots: over 300 KB: $big" >&2
  exit 1
fi
ls -l "$out"/*.png
