#!/usr/bin/env bash
# Boots Ghost's default system: busybox init, then a root shell with job
# control on the console (this terminal). `exit` or `poweroff` shuts it down.
#   npm start                   the shell
#   npm start -- -c 'CMD'       run CMD in the booted system, exit with its status
# More options: node dist/src/cli/main.cjs help
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/prepare.sh >&2
# The command itself, not `node main.cjs`: its first lines keep the host's
# NODE_EXTRA_CA_CERTS from Node's start (scripts/build.mjs).
exec dist/src/cli/main.cjs boot "$@"
