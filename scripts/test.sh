#!/usr/bin/env bash
# The whole test suite: prepares the machine, builds, runs every test file
# with Node's test runner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/prepare.sh
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
exec node --test --test-concurrency=2 "${files[@]}"
