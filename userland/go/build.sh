#!/usr/bin/env bash
# userland/go/build.sh — cross-compile the Go test program in userland/go/ into
# build/go/gotest: a static riscv64 Linux executable (GOARCH=riscv64 GOOS=linux
# CGO_ENABLED=0), built with the host's Go (Debian's golang-go, installed by
# scripts/setup.sh), offline: no module proxy (GOPROXY=off; the module has no
# dependencies), with its build cache and GOPATH under build/go/.
#
# Usage: userland/go/build.sh [-f|--force]
#
# Cached: build/go/gotest.stamp records the sources and the Go version it was
# built from; when they are unchanged nothing runs (no output). The first build
# compiles the standard library for riscv64 into build/go/cache (tens of seconds).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${GHOST_BUILD_DIR:-$ROOT/build}
OUTDIR=$BUILD/go
OUT=$OUTDIR/gotest
STAMP=$OUTDIR/gotest.stamp

die() { echo "go/build.sh: error: $*" >&2; exit 1; }
FORCE=0
for a in "$@"; do
  case $a in
    -f|--force) FORCE=1 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument $a" ;;
  esac
done

GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || die "go not found (run: scripts/setup.sh golang-go)"

mkdir -p "$OUTDIR"
exec 9>"$OUTDIR/.lock"
flock 9 || die "cannot lock $OUTDIR/.lock"

key=$(
  "$GO" version
  cd "$HERE" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name build.sh \) -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum
)
if ((!FORCE)) && [[ -x $OUT && -f $STAMP && $(<"$STAMP") == "$key" ]]; then
  exit 0
fi

echo "go/build.sh: building ${OUT#"$ROOT"/} ($("$GO" version | cut -d' ' -f3), riscv64)" >&2
start=$(date +%s%N)
(
  cd "$HERE"
  env GOOS=linux GOARCH=riscv64 CGO_ENABLED=0 \
      GOFLAGS="-mod=mod -buildvcs=false" GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local \
      GO111MODULE=on GOWORK=off GOENV=off \
      GOCACHE="$OUTDIR/cache" GOPATH="$OUTDIR/path" GOMODCACHE="$OUTDIR/path/pkg/mod" \
      "$GO" build -trimpath -o "$OUT.tmp" .
) || { rm -f "$OUT.tmp"; die "go build failed"; }
mv "$OUT.tmp" "$OUT"
echo "$key" >"$STAMP"
echo "go/build.sh: built ${OUT#"$ROOT"/} in $((($(date +%s%N) - start) / 1000000)) ms" >&2
