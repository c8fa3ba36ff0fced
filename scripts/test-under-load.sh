#!/usr/bin/env bash
# Runs the README's `pnpm test` while another process keeps one core busy (a laptop during a build, a
# shared CI runner), to see that the suite stays green under load. Run it before every stop.
#   bash scripts/test-under-load.sh [arguments for vitest, e.g. --project core]
# Exits with pnpm test's status; prints how long the run took.
set -uo pipefail
cd "$(dirname "$0")/.."

# the burner: one busy loop, its own process, stopped however this script ends
node -e 'for (;;) {}' &
burner=$!
trap 'kill "$burner" 2>/dev/null; wait "$burner" 2>/dev/null' EXIT INT TERM

started=$(date +%s)
pnpm test "$@"
status=$?
echo "test-under-load: pnpm test exited $status after $(($(date +%s) - started)) s with one core busy (burner pid $burner)"
exit "$status"
