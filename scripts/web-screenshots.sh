#!/usr/bin/env bash
# Builds the web UI and runs the browser tests with SCREENSHOTS=1: they write docs/screenshots/*.png
# (the pages shown in the README). Needs PostgreSQL, Redis and Kafka running (`make services kafka`).
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory web chromium
. scripts/node.sh
SCREENSHOTS=1 npx vitest run test/web
ls docs/screenshots
