#!/usr/bin/env bash
# Quick start: installs everything (Debian packages, npm dependencies), builds, and starts
# sipwarden on the embedded default policy (examples/sipwarden.yaml, SQLite state under ./data).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
npm ci --no-fund --no-audit
npm run build

POLICY="${SIPWARDEN_POLICY:-examples/sipwarden.yaml}"
echo
echo "== sipwarden check $POLICY"
node dist/src/cli/main.js check "$POLICY"
echo
sipwarden() { node dist/src/cli/main.js "$@"; }
echo "== sipwarden gateway --policy $POLICY (Ctrl-C stops it)"
sipwarden gateway --policy "$POLICY"
