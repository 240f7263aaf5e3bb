#!/usr/bin/env bash
# scripts/e2fsroot.sh — build build/e2fsroot/, the root filesystem in which
# test/fs/ext4-e2fsprogs.test.ts runs Debian's riscv64 e2fsprogs (mkfs.ext4,
# e2fsck, tune2fs, dumpe2fs) under Ghost: Ghost's busybox root with the
# dependency closure of e2fsprogs, made by scripts/dynroot.sh --name=e2fsroot
# (fetched from Debian sid through the private apt configuration under
# build/apt/; cached by build/e2fsroot.stamp, a second run only checks it).
#
# Usage: scripts/e2fsroot.sh [-f|--force]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec bash "$ROOT/scripts/dynroot.sh" --name=e2fsroot "$@" e2fsprogs
