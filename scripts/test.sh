#!/usr/bin/env bash
# The README's test command: from a machine with only Node 20 and npm, set up and pass the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 TCP_NODELAY=1
command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version)" = "10.34.9" ] || npm i -g pnpm@10.34.9
pnpm install --frozen-lockfile
bash scripts/setup-peers.sh
pnpm build
pnpm test
