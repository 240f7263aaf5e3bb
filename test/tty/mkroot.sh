#!/usr/bin/env bash
# test/tty/mkroot.sh — the root filesystem the terminal tests boot: Ghost's
# default busybox root (build/rootfs/) plus util-linux's script(1) from
# Debian's riscv64 bsdutils, with the dynamic loader and libc it needs.
# (busybox, as Debian builds it, has no `script` applet.)
#
#   bash test/tty/mkroot.sh        prints the root's path (build/tty/root)
#
# Cached: rebuilt only when build/rootfs.stamp or the .debs changed. When
# bsdutils cannot be fetched, the root is made without script and the path
# is still printed (the script check then skips).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${GHOST_BUILD_DIR:-$ROOT/build}
OUT=$BUILD/tty/root
STAMP=$BUILD/tty/root.stamp

bash "$ROOT/scripts/ensure.sh" >&2
have_script=1
bash "$ROOT/scripts/debs.sh" -q bsdutils libc6 >&2 || have_script=0

key="$(cat "$BUILD/rootfs.stamp") script=$have_script $(ls -l "$BUILD"/apt/debs/bsdutils_* "$BUILD"/apt/debs/libc6_* 2>/dev/null | md5sum)"
if [[ -d $OUT && -f $STAMP && $(<"$STAMP") == "$key" ]]; then
  echo "$OUT"
  exit 0
fi

rm -rf "$OUT.new"
mkdir -p "$(dirname "$OUT")"
cp -a "$BUILD/rootfs" "$OUT.new"
if ((have_script)); then
  libc=$BUILD/debs/libc6/usr/lib
  mkdir -p "$OUT.new/lib/riscv64-linux-gnu"
  cp "$libc/ld-linux-riscv64-lp64d.so.1" "$OUT.new/lib/"
  cp "$libc/riscv64-linux-gnu/libc.so.6" "$OUT.new/lib/riscv64-linux-gnu/"
  cp "$BUILD/debs/bsdutils/usr/bin/script" "$OUT.new/usr/bin/script"
fi
rm -rf "$OUT"
mv "$OUT.new" "$OUT"
echo "$key" >"$STAMP"
echo "$OUT"
