#!/usr/bin/env bash
# Everything `npm start` and `npm test` need on a fresh machine: npm packages,
# host packages and the default root filesystem (scripts/ensure.sh), and the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x node_modules/.bin/tsc ] || [ ! -x node_modules/.bin/asc ]; then
  npm ci --no-audit --no-fund --ignore-scripts >&2
fi
bash scripts/ensure.sh
node scripts/build.mjs
