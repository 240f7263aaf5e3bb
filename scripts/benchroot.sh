#!/usr/bin/env bash
# scripts/benchroot.sh — build build/benchroot/, the root filesystem of the
# real-program benchmarks (bench/programs.ts): Debian's riscv64 python3,
# sqlite3, xz, openssl, perl and gcc (with libc6-dev) over Ghost's busybox
# root, made by scripts/dynroot.sh --name=benchroot, plus the C sources the
# compiler benchmark compiles (CoreMark's, in /root). About 560 MB; the first
# build fetches about 110 packages, later runs only check the stamp.
#
# Usage: scripts/benchroot.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${GHOST_BUILD_DIR:-$ROOT/build}
bash "$ROOT/scripts/dynroot.sh" --name=benchroot python3 sqlite3 xz-utils openssl perl gcc libc6-dev
mkdir -p "$BUILD/benchroot/root"
cp "$ROOT"/bench/coremark/*.h "$ROOT"/bench/coremark/core_list_join.c "$BUILD/benchroot/root/"
