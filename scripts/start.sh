#!/usr/bin/env bash
# Boots Ghost into its default root filesystem: a busybox shell.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/prepare.sh >&2
if [ "$#" -gt 0 ]; then
  exec node dist/src/cli/main.js run -- /bin/sh "$@"
fi
exec node dist/src/cli/main.js run -- /bin/sh
