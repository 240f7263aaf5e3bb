#!/usr/bin/env bash
# scripts/dynroot.sh — build build/dynroot/, a root filesystem for dynamically
# linked Debian programs: Ghost's busybox root (build/rootfs/) merged with the
# unpacked packages of the dependency closure of lua5.4 and python3 (fetched
# from Debian sid by scripts/debs.sh -d into build/debs/).
#
# The tree has Debian's merged-/usr layout: bin -> usr/bin, sbin -> usr/sbin,
# lib -> usr/lib (and lib32/lib64/libx32 -> usr/... when some package has such
# a directory), so that /usr/bin/lua5.4 and /usr/bin/python3 find their loader
# /lib/ld-linux-riscv64-lp64d.so.1 and their libraries. The busybox applet links
# of build/rootfs/{bin,sbin} move into usr/; they are relative, so they resolve
# inside the tree from the host too (qemu-riscv64 -L build/dynroot). Where a
# package and a busybox applet have the same path, the package's file wins.
# Documentation (usr/share/{doc,man,info,lintian}) is left out.
#
# Usage: scripts/dynroot.sh [-f|--force] [-q|--quiet] [--name=NAME] [PKG...]
#   PKG...       packages whose closure goes in (default: lua5.4 python3)
#   --name=NAME  build build/NAME/ (stamp build/NAME.stamp) instead of
#                build/dynroot/: bench/real.ts builds build/benchroot this way
#   -f, --force  rebuild even when the cached tree is up to date
#   -q, --quiet  print nothing when the cached tree is up to date (the default);
#                accepted for symmetry with debs.sh
#
# Cached: build/dynroot.stamp records what the tree was built from (this script,
# build/rootfs.stamp, the .deb of every package in the closure); when nothing
# changed, the run only checks that (well under a second, no network).
# The new tree is built in build/dynroot.new and then swapped in.
#
# Environment: GHOST_BUILD_DIR (default build/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${GHOST_BUILD_DIR:-$ROOT/build}
SELF=$ROOT/scripts/dynroot.sh
NAME=dynroot
DEBS=$BUILD/debs

die() { echo "dynroot.sh: error: $*" >&2; exit 1; }
say() { echo "dynroot.sh: $*" >&2; }

FORCE=0
PKGS=()
for a in "$@"; do
  case $a in
    -f|--force) FORCE=1 ;;
    -q|--quiet) ;;
    --name=*) NAME=${a#--name=}; [[ $NAME =~ ^[A-Za-z0-9_-]+$ ]] || die "bad --name $NAME" ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF"; exit 0 ;;
    -*) die "unknown option $a (see --help)" ;;
    *) PKGS+=("$a") ;;
  esac
done
((${#PKGS[@]})) || PKGS=(lua5.4 python3)
OUT=$BUILD/$NAME
STAGE=$BUILD/$NAME.new
STAMP=$BUILD/$NAME.stamp

# ------------------------------------------------------------------- inputs
# Each step is cached and prints nothing when there is nothing to do.
bash "$ROOT/scripts/debs.sh" -q busybox-static || die "debs.sh busybox-static failed"
bash "$ROOT/scripts/rootfs.sh" || die "rootfs.sh failed"
bash "$ROOT/scripts/debs.sh" -q -d "${PKGS[@]}" || die "debs.sh -d ${PKGS[*]} failed"

mkdir -p "$BUILD"
exec 9>"$BUILD/.dynroot.lock"
flock 9 || die "cannot lock $BUILD/.dynroot.lock"

# The closure, as debs.sh resolved it (one cached file per requested package).
for p in "${PKGS[@]}"; do
  [[ -s $BUILD/apt/closure/$p ]] || die "no closure for $p in $BUILD/apt/closure"
done
mapfile -t CLOSURE < <(
  for p in "${PKGS[@]}"; do echo "$p"; cat "$BUILD/apt/closure/$p"; done | sort -u)

key() {
  echo "script=$(sha256sum "$SELF" | cut -d' ' -f1)"
  echo "rootfs=$(<"$BUILD/rootfs.stamp")"
  local p
  for p in "${CLOSURE[@]}"; do
    [[ -d $DEBS/$p && -f $DEBS/.stamps/$p ]] || die "package $p is not unpacked in $DEBS"
    echo "$p=$(<"$DEBS/.stamps/$p")"
  done
}
KEY=$(key)
if ((!FORCE)) && [[ -f $STAMP && $(<"$STAMP") == "$KEY" && -L $OUT/lib && -d $OUT/usr/bin ]]; then
  exit 0
fi

say "building ${OUT#"$ROOT"/} from ${BUILD#"$ROOT"/}/rootfs and ${#CLOSURE[@]} packages (closure of ${PKGS[*]})"
start=$(date +%s%N)
rm -rf "$STAGE"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/usr"

MERGED=(bin sbin lib lib32 lib64 libx32)   # top-level directories that live in usr/
is_merged() { local d; for d in "${MERGED[@]}"; do [[ $1 == "$d" ]] && return 0; done; return 1; }

# Copies the tree $1 into the stage: a top-level bin/, sbin/, lib*/ goes to
# usr/<same>/, everything else to its own place. Existing files are replaced.
merge_tree() {
  local src=$1 ent name
  for ent in "$src"/* "$src"/.[!.]*; do
    [[ -e $ent || -L $ent ]] || continue
    name=${ent##*/}
    if is_merged "$name"; then
      [[ -d $ent && ! -L $ent ]] || die "$ent: expected a directory"
      mkdir -p "$STAGE/usr/$name"
      cp -a --remove-destination "$ent/." "$STAGE/usr/$name/"
    else
      cp -a --remove-destination "$ent" "$STAGE/"
    fi
  done
}

merge_tree "$BUILD/rootfs"
for p in "${CLOSURE[@]}"; do
  merge_tree "$DEBS/$p"
done
rm -rf "$STAGE"/usr/share/{doc,man,info,lintian}

# Debian's merged-/usr links.
for d in "${MERGED[@]}"; do
  case $d in bin|sbin|lib) mkdir -p "$STAGE/usr/$d" ;; esac
  [[ -d $STAGE/usr/$d ]] || continue
  [[ ! -e $STAGE/$d || -L $STAGE/$d ]] || die "$STAGE/$d is not a link"
  ln -sfn "usr/$d" "$STAGE/$d"
done

# Sanity: the programs and their loader resolve inside the tree.
for prog in lua5.4 python3; do
  [[ " ${PKGS[*]} " == *" $prog "* ]] || continue
  [[ -x $STAGE/usr/bin/$prog ]] || die "no usr/bin/$prog in the tree"
done
interp=/lib/ld-linux-riscv64-lp64d.so.1
[[ -e $STAGE$interp ]] || die "the loader $interp does not resolve in the tree"
[[ -x $STAGE/bin/busybox && -e $STAGE/bin/sh ]] || die "busybox missing from the tree"

rm -rf "$OUT"
mv "$STAGE" "$OUT"
trap - EXIT
echo "$KEY" >"$STAMP"
ms=$((($(date +%s%N) - start) / 1000000))
say "built ${OUT#"$ROOT"/}: $(find "$OUT" -type f | wc -l) files, $(du -sh "$OUT" | cut -f1) in ${ms} ms"
