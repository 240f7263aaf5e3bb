#!/usr/bin/env bash
# The whole test suite: prepares the machine, builds, runs every test file
# with Node's test runner, two at a time. The busybox testsuite, by far the
# longest file, starts first so that the others run beside it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/prepare.sh
FIRST=dist/test/fs/busybox-testsuite.test.js
mapfile -t files < <(find dist/test -name '*.test.js' ! -path "$FIRST" | sort)
[[ -f $FIRST ]] && files=("$FIRST" "${files[@]}")
exec node --test --test-concurrency=2 "${files[@]}"
