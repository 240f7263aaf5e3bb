#!/usr/bin/env bash
# scripts/ensure.sh — the one step to run before building or testing Ghost
# (README and CI call it). Brings the machine and build/ up to date:
#
#   1. scripts/setup.sh               host packages (cross gcc, qemu-user, cpio, ...)
#   2. scripts/debs.sh busybox-static riscv64 busybox from Debian sid -> build/debs/
#   3. scripts/rootfs.sh              build/rootfs/ and build/rootfs.cpio
#
# Each step is cached, so when everything is in place this takes well under a
# second, needs no network and prints nothing; otherwise each step says what it
# does.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

step() {
  local name=$1; shift
  "$@" || { echo "ensure.sh: step '$name' failed (exit $?)" >&2; exit 1; }
}

step setup  bash "$HERE/setup.sh"
step debs   bash "$HERE/debs.sh" -q busybox-static
step rootfs bash "$HERE/rootfs.sh"
