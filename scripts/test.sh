#!/usr/bin/env bash
# The whole test suite: prepares the machine, builds, runs every test file
# with Node's test runner, two at a time. The busybox testsuite, by far the
# longest file, starts first so that the others run beside it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/prepare.sh
# The JIT's persistent cache (src/arch/riscv64/jit/cache-node.ts): a private
# one, empty at the start of every run, never the user's ~/.cache/ghost.
export GHOST_JIT_CACHE_DIR="$PWD/build/test/jit-cache"
rm -rf "$GHOST_JIT_CACHE_DIR"
FIRST=dist/test/fs/busybox-testsuite.test.js
mapfile -t files < <(find dist/test -name '*.test.js' ! -path "$FIRST" | sort)
[[ -f $FIRST ]] && files=("$FIRST" "${files[@]}")
# --test-force-exit: a file whose tests have all ended (passed, failed or timed
# out) exits even if something it started still runs. The watchdog ends a run
# that hangs anyway well before CI's own limit, so that its output is kept.
exec timeout -k 30 "${GHOST_TEST_WATCHDOG:-3600}" node --test --test-concurrency=2 --test-force-exit "${files[@]}"
