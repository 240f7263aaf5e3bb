#!/usr/bin/env bash
# scripts/busybox-testsuite.sh — run busybox's own testsuite (testsuite/runtest
# from the Debian source package of the same version as the riscv64
# busybox-static in build/rootfs) against that riscv64 binary, under Ghost and
# under qemu-riscv64, and compare the two.
#
#   build/busybox-src/            testsuite/ and busybox-static.config (Debian's
#                                 build configuration, which runtest reads as
#                                 $bindir/.config) from the source package
#   build/busybox-testsuite/
#     qemu.txt, ghost.txt         one line per test, as runtest prints it:
#                                 "PASS: name", "FAIL: name", "SKIPPED: name",
#                                 "UNTESTED: name" (a name seen twice gets "#2")
#     qemu.log, ghost.log         the whole `runtest -v` output (diffs of failures)
#     summary.txt, summary.json   the counts, and the tests that pass under qemu
#                                 but not under Ghost
#
# How each side runs (the same busybox binary, root tree, testsuite and
# environment on both):
#   Ghost  `ghost run --root=build/rootfs /bin/sh -c 'cd .../testsuite && ./runtest -v'`
#          with cwd build/busybox-testsuite/ghost (that is $bindir: busybox, .config).
#   qemu   in a private user, mount and UTS namespace (unshare -U -m -u;
#          nothing outside it changes): a private binfmt_misc instance
#          registers qemu-riscv64-static (Debian's qemu-user-static of the
#          installed qemu-user's version, unpacked under build/) as the
#          interpreter of riscv64 ELF files, and runtest runs chrooted into a
#          copy of build/rootfs with /proc, /sys, /dev, a tmpfs /tmp, the run
#          directory bind-mounted at its own path, and Ghost's host name (the
#          tree's /etc/hostname). So every exec of a riscv64 program, the
#          /bin/sh of a #! script and busybox's re-exec of /proc/self/exe
#          included, runs under qemu, as under a kernel with qemu-user-binfmt.
#          Needs a kernel that gives a user namespace its own binfmt_misc
#          (Linux 6.7 or later) and user namespaces allowed (root is enough).
#
# Tests too slow to run under an interpreter are skipped on both sides (the
# build copy of testing.sh prints "SKIPPED: name" for them): see SLOW_TESTS.
#
# Options:
#   -f, --force        rerun both sides even when the results are cached
#   --only=ghost|qemu  bring only that side up to date (the summary is written
#                      when both sides have results)
#   --timeout=SECS     wall-clock limit of each side's run (default 1800); a side
#                      cut short counts every test it did not reach as not passed
#   --qemu=MODE        where qemu's side comes from: "run" runs it; "baseline"
#                      takes the recorded results (test/fs/busybox-testsuite.qemu.txt,
#                      made by --record on a machine that can run it) and fails
#                      if they are for another busybox or testsuite; "auto"
#                      (default): the cached run, else the baseline when it
#                      matches, else a run
#   --record           after a qemu run, write its results as the baseline
#   --on=ext4          Ghost's side runs with its working directory on an ext4
#                      disk (a fresh image made by the host's mke2fs, mounted at
#                      /mnt; its results are the side "ghost-ext4", the summary
#                      summary-ext4.{txt,json}); the host's e2fsck -fn must find
#                      the image clean afterwards (e2fsck's output ends the log)
#   --applets="A B"    run only these applets' tests (runtest's arguments); the
#                      summary compares only the tests Ghost's side ran
#   -q, --quiet        print nothing but errors (the summary is still written)
#   -h, --help
#
# Caching: a side is rerun only when its inputs changed: the busybox binary,
# the testsuite version, this script, and for Ghost the build (dist/src) and
# the root tree; for qemu, qemu's version. Environment: GHOST_BUILD_DIR,
# GHOST_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib/private-apt.sh"
SELF=$ROOT/scripts/busybox-testsuite.sh
BUILD=${GHOST_BUILD_DIR:-$ROOT/build}
MIRROR=${GHOST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ROOTFS=$BUILD/rootfs
SRCDIR=$BUILD/busybox-src
OUT=$BUILD/busybox-testsuite
APTDIR=$BUILD/apt/src          # private apt state for the deb-src list
QSDIR=$OUT/qemu-user-static    # unpacked qemu-user-static
GHOST=$ROOT/dist/src/cli/main.js
LIST_MAX_AGE=$((24 * 60 * 60))

# Tests (runtest names) skipped on both sides: each takes minutes of CPU even
# under qemu's JIT and would take hours under an interpreter.
SLOW_TESTS=(
  "bc parsing of numbers"    # 65536 x 15 bases x 4 lines through two bc's
  "bc printing of numbers"   # likewise
)

# The environment of Debian's own testsuite run (debian/rules TESTSUITE_ENV,
# except ECHO=/bin/echo, which is there for dash; busybox sh's echo does -ne).
TEST_ENV=(
  PATH=/usr/sbin:/usr/bin:/sbin:/bin
  HOME=/root
  SKIP_KNOWN_BUGS=y
  LANG=C.UTF-8
  LC_ALL=C.UTF-8
  SKIP_INTERNET_TESTS=y
  SHELL=/bin/sh
)

die() { echo "busybox-testsuite.sh: error: $*" >&2; exit 1; }
QUIET=0
say() { ((QUIET)) || echo "busybox-testsuite.sh: $*" >&2; }

FORCE=0 ONLY= TIMEOUT=1800 QEMU_MODE=auto RECORD=0 ON= APPLETS=
BASELINE=${GHOST_BB_BASELINE:-$ROOT/test/fs/busybox-testsuite.qemu.txt}
while (($#)); do
  case $1 in
    -f|--force) FORCE=1 ;;
    --qemu=*) QEMU_MODE=${1#--qemu=} ;;
    --record) RECORD=1 ;;
    --only=*) ONLY=${1#--only=} ;;
    --timeout=*) TIMEOUT=${1#--timeout=} ;;
    --on=*) ON=${1#--on=} ;;
    --applets=*) APPLETS=${1#--applets=} ;;
    -q|--quiet) QUIET=1 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
[[ -z $ONLY || $ONLY == ghost || $ONLY == qemu ]] || die "--only takes ghost or qemu"
[[ $QEMU_MODE == auto || $QEMU_MODE == run || $QEMU_MODE == baseline ]] || die "--qemu takes auto, run or baseline"
((RECORD)) && QEMU_MODE=run
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout takes seconds"
[[ -z $ON || $ON == ext4 ]] || die "--on takes ext4"
[[ $APPLETS =~ ^[A-Za-z0-9_\ .-]*$ ]] || die "--applets takes applet names"
# Ghost's side: its name (result files), and the summary's suffix.
GSIDE=ghost SUFFIX=
[[ $ON == ext4 ]] && GSIDE=ghost-ext4 SUFFIX=-ext4
((RECORD)) && [[ -n $APPLETS ]] && die "--record records the whole testsuite: no --applets"

for tool in apt-get apt-cache dpkg-deb dpkg unshare chroot timeout flock node sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

mkdir -p "$OUT"
exec 8>"$OUT/.lock"
flock 8 || die "cannot lock $OUT/.lock"

# ------------------------------------------------------------ prerequisites
bash "$ROOT/scripts/ensure.sh"      # host packages, busybox-static, build/rootfs
[[ -f $GHOST ]] || node "$ROOT/scripts/build.mjs" >&2

BBDEB=
for f in "$BUILD"/apt/debs/busybox-static_*.deb; do [[ -f $f ]] && BBDEB=$f; done
[[ -n $BBDEB ]] || die "no busybox-static .deb in $BUILD/apt/debs (scripts/debs.sh busybox-static)"
BB=$ROOTFS/bin/busybox
[[ -f $BB ]] || die "no $BB (scripts/rootfs.sh)"
BINVER=$(dpkg-deb -f "$BBDEB" Version)
# Source: "busybox (1:1.38.0-3)" for a binNMU, "busybox" when the versions agree.
srcfield=$(dpkg-deb -f "$BBDEB" Source)
SRCPKG=${srcfield%% *}
SRCPKG=${SRCPKG:-busybox}
if [[ $srcfield =~ \((.+)\) ]]; then WANTVER=${BASH_REMATCH[1]}; else WANTVER=$BINVER; fi

# ------------------------------------------------ the source package (cached)
APT_OPTS=()
setup_apt() {
  ((${#APT_OPTS[@]})) && return 0
  [[ -r $KEYRING ]] || die "$KEYRING missing (apt-get install debian-archive-keyring)"
  private_apt "$APTDIR" "deb-src [signed-by=$KEYRING] $MIRROR sid main"
  mkdir -p "$APTDIR/pool"
  local state=$APTDIR/state
  local stamp=$state/lists/.updated age
  if [[ -f $stamp ]]; then
    age=$(($(date +%s) - $(stat -c %Y "$stamp")))
    ((age >= 0 && age < LIST_MAX_AGE)) && return 0
  fi
  say "updating the source list ($MIRROR sid main)"
  local log=$APTDIR/log/update.log
  if ! apt-get "${APT_OPTS[@]}" -q update >"$log" 2>&1 ||
     grep -qE '^E: |^W: .*(GPG|[Ss]ignature|not signed|Failed to fetch)' "$log"; then
    cat "$log" >&2
    die "apt-get update of the deb-src list failed (log: $log)"
  fi
  touch "$stamp"
}

# Picks the version to fetch: the exact one when sid still has it, else the
# newest one of the same upstream version, else the newest one.
pick_version() {
  local versions v best= up=${WANTVER#*:}
  up=${up%-*}
  versions=$(apt-cache "${APT_OPTS[@]}" showsrc "$SRCPKG" 2>/dev/null |
             awk '/^Package: /{p=$2} /^Version: /{if (p == "'"$SRCPKG"'") print $2}')
  [[ -n $versions ]] || die "sid has no source package '$SRCPKG'"
  if grep -qxF "$WANTVER" <<<"$versions"; then echo "$WANTVER"; return; fi
  for v in $versions; do
    local vu=${v#*:}; vu=${vu%-*}
    [[ $vu == "$up" ]] || continue
    if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
  done
  if [[ -z $best ]]; then
    for v in $versions; do
      if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
    done
  fi
  echo "$best"
}

src_stamp=$SRCDIR/.stamp
if [[ ! -f $src_stamp || $(head -n1 "$src_stamp") != "want $SRCPKG $WANTVER" ||
      ! -f $SRCDIR/testsuite/runtest || ! -f $SRCDIR/busybox-static.config ]]; then
  setup_apt
  GOTVER=$(pick_version)
  [[ $GOTVER == "$WANTVER" ]] ||
    echo "busybox-testsuite.sh: warning: sid no longer has source $SRCPKG $WANTVER; using $GOTVER" >&2
  say "fetching source package $SRCPKG $GOTVER"
  pool=$APTDIR/pool
  rm -rf "$pool" && mkdir -p "$pool"
  if ! (cd "$pool" && apt-get "${APT_OPTS[@]}" -q source --download-only "$SRCPKG=$GOTVER") \
       >"$APTDIR/log/source.log" 2>&1; then
    cat "$APTDIR/log/source.log" >&2
    die "apt-get source --download-only $SRCPKG=$GOTVER failed"
  fi
  dsc=$(ls "$pool"/*.dsc)
  tmp=$(mktemp -d "$BUILD/busybox-src.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  if command -v dpkg-source >/dev/null 2>&1; then
    # apt already checked every file against the signed Sources index.
    dpkg-source --no-check -x "$dsc" "$tmp/src" >"$APTDIR/log/dpkg-source.log" 2>&1 ||
      { cat "$APTDIR/log/dpkg-source.log" >&2; die "dpkg-source -x $dsc failed"; }
  else  # 3.0 (quilt) by hand: upstream tarball, debian/ tarball, patches in order
    mkdir -p "$tmp/src"
    tar -xf "$(ls "$pool"/*.orig.tar.*[!c])" -C "$tmp/src" --strip-components=1 --warning=no-timestamp
    tar -xf "$(ls "$pool"/*.debian.tar.*)" -C "$tmp/src" --warning=no-timestamp
    while read -r p _; do
      [[ -n $p && $p != \#* ]] || continue
      patch -s -p1 -d "$tmp/src" <"$tmp/src/debian/patches/$p" || die "patch $p failed"
    done <"$tmp/src/debian/patches/series"
  fi
  [[ -f $tmp/src/testsuite/runtest && -f $tmp/src/debian/config/pkg/static ]] ||
    die "$dsc has no testsuite/runtest or debian/config/pkg/static"
  rm -rf "$SRCDIR" && mkdir -p "$SRCDIR"
  cp -a "$tmp/src/testsuite" "$SRCDIR/"
  cp "$tmp/src/debian/config/pkg/static" "$SRCDIR/busybox-static.config"
  rm -rf "$tmp"; trap - EXIT
  printf 'want %s %s\ngot %s %s\n' "$SRCPKG" "$WANTVER" "$SRCPKG" "$GOTVER" >"$src_stamp"
fi
GOTVER=$(sed -n 's/^got [^ ]* //p' "$src_stamp")

# ----------------------------------------------------- qemu-user-static (cached)
QEMU_VER=$(dpkg-query -W -f='${Version}' qemu-user 2>/dev/null || true)
QEMU=$QSDIR/usr/bin/qemu-riscv64-static
fetch_qemu_static() {
if [[ ! -x $QEMU || ! -f $QSDIR/.version || $(<"$QSDIR/.version") != "$QEMU_VER" ]]; then
  say "fetching qemu-user-static ${QEMU_VER:-(any version)}"
  dl=$(mktemp -d "$OUT/qemu-dl.XXXXXX")
  fetch_qs() {
    (cd "$dl" && apt-get -q -o APT::Sandbox::User=root download \
       "qemu-user-static${QEMU_VER:+=$QEMU_VER}") >"$OUT/qemu-dl.log" 2>&1
  }
  if ! fetch_qs; then
    apt-get -q update >>"$OUT/qemu-dl.log" 2>&1 || true
    fetch_qs || { cat "$OUT/qemu-dl.log" >&2; rm -rf "$dl"; die "apt-get download qemu-user-static failed"; }
  fi
  rm -rf "$QSDIR"
  dpkg-deb -x "$dl"/qemu-user-static_*.deb "$QSDIR"
  rm -rf "$dl"
  [[ -x $QEMU ]] || die "no qemu-riscv64-static in qemu-user-static"
  echo "$QEMU_VER" >"$QSDIR/.version"
fi
}

# ------------------------------------------------------------------- keys
sum() { sha256sum | cut -d' ' -f1; }
common_key="busybox=$(sha256sum <"$BB" | cut -d' ' -f1) source=$SRCPKG/$GOTVER script=$(sum <"$SELF")"
ghost_key="$common_key ghost=$(cd "$ROOT" && find dist/src -type f -print0 | LC_ALL=C sort -z |
  xargs -0 sha256sum | sum) rootfs=$(cat "$BUILD/rootfs.stamp" 2>/dev/null | sum) timeout=$TIMEOUT on=$ON applets=$APPLETS"
qemu_key="$common_key qemu=$QEMU_VER timeout=$TIMEOUT"
# What the recorded qemu results depend on: the binary, the testsuite, the
# tests skipped as slow and the environment (not qemu's version or this script).
baseline_key="busybox=$(sum <"$BB") source=$SRCPKG/$GOTVER slow=$(printf '%s\n' "${SLOW_TESTS[@]}" | sum) env=$(printf '%s\n' "${TEST_ENV[@]}" | sum)"

# The baseline file: "# key: ...", "# status: RC SECONDS", "# qemu-user: VERSION",
# "# recorded: DATE", then runtest's result lines.
baseline_ok() { [[ -f $BASELINE && $(sed -n 's/^# key: //p' "$BASELINE") == "$baseline_key" ]]; }
use_baseline() {
  grep -v '^#' "$BASELINE" >"$OUT/qemu.txt"
  sed -n 's/^# status: //p' "$BASELINE" >"$OUT/qemu.status"
  printf 'qemu-riscv64 was not run: results recorded %s with qemu-user %s (%s)\n' \
    "$(sed -n 's/^# recorded: //p' "$BASELINE")" "$(sed -n 's/^# qemu-user: //p' "$BASELINE")" "${BASELINE#"$ROOT"/}" >"$OUT/qemu.log"
  echo "baseline $baseline_key" >"$OUT/qemu.key"
  QEMU_FROM="recorded $(sed -n 's/^# recorded: //p' "$BASELINE"), qemu-user $(sed -n 's/^# qemu-user: //p' "$BASELINE")"
}
record_baseline() {
  { echo "# busybox testsuite results under qemu-riscv64: written by scripts/busybox-testsuite.sh --record"
    echo "# key: $baseline_key"
    echo "# status: $(<"$OUT/qemu.status")"
    echo "# qemu-user: $QEMU_VER"
    echo "# recorded: $(date -u +%Y-%m-%d)"
    cat "$OUT/qemu.txt"; } >"$BASELINE.new"
  mv "$BASELINE.new" "$BASELINE"
  say "recorded the qemu side in ${BASELINE#"$ROOT"/}"
}
QEMU_FROM=run

fresh() {  # $1=side $2=key
  ((!FORCE)) && [[ -f $OUT/$1.key && $(<"$OUT/$1.key") == "$2" && -f $OUT/$1.txt && -f $OUT/$1.log ]]
}

# A run directory is $bindir for runtest: busybox, .config, testsuite/.
prepare() {  # $1=side
  local w=$OUT/$1 skip=
  rm -rf "$w" && mkdir -p "$w"
  cp "$BB" "$w/busybox"
  cp "$SRCDIR/busybox-static.config" "$w/.config"
  cp -a "$SRCDIR/testsuite" "$w/testsuite"
  local t
  for t in "${SLOW_TESTS[@]}"; do skip+="	\"$t\") echo \"SKIPPED: \$NAME\"; return 0 ;;"$'\n'; done
  # In testing(), right after NAME is set: skip the slow tests.
  awk -v skip="$skip" '{ print } /^  \[ -n "\$1" \] \|\| NAME="\$2"$/ && !done {
      print "  case \"$NAME\" in\n" skip "  esac"; done = 1 }
    END { if (!done) exit 1 }' "$SRCDIR/testsuite/testing.sh" >"$w/testsuite/testing.sh" ||
    die "testing.sh has changed: cannot add the slow-test skips"
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }   # monotonic, unlike date

# Runs "$@" under timeout in its own process group, whose id goes to
# $OUT/$side.pid so that an interrupted script can stop it; writes
# "exit-status seconds" to $OUT/$side.status.
timed() {  # $1=side, then the command
  local side=$1 rc=0 t0; shift
  t0=$(uptime_s)
  timeout -k 10 "$TIMEOUT" "$@" >"$OUT/$side.log.new" 2>&1 </dev/null &
  echo $! >"$OUT/$side.pid"
  wait $! || rc=$?
  rm -f "$OUT/$side.pid"
  echo "$rc $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')" >"$OUT/$side.status"
}

run_ghost() {
  local w=$OUT/$GSIDE envs=() e img=$OUT/$GSIDE.img
  for e in "${TEST_ENV[@]}"; do envs+=(--env "$e"); done
  prepare "$GSIDE"
  cd "$w"
  if [[ $ON != ext4 ]]; then
    timed "$GSIDE" node "$GHOST" run --root="$ROOTFS" --clear-env "${envs[@]}" \
      -- /bin/sh -c "cd '$w/testsuite' && exec ./runtest -v $APPLETS"
    return
  fi
  # The run directory copied onto a fresh ext4 disk, the testsuite run there,
  # the disk unmounted; then the host's verdict on the image.
  rm -f "$img" && truncate -s 1G "$img" && mke2fs -q -t ext4 -F "$img" || die "mke2fs $img failed"
  timed "$GSIDE" node "$GHOST" run --root="$ROOTFS" --clear-env "${envs[@]}" --disk="$img" \
    -- /bin/sh -c "mount -t ext4 /dev/vda /mnt && cp -a '$w' /mnt/run && cd /mnt/run/testsuite || exit 125
      ./runtest -v $APPLETS; st=\$?; cd / && umount /mnt && exit \$st"
  local fsck frc=0
  fsck=$(e2fsck -fn "$img" 2>&1) || frc=$?
  printf '%s\n' "$fsck" "host e2fsck -fn after the run: $( ((frc)) && echo "NOT CLEAN (exit $frc)" || echo clean)" >>"$OUT/$GSIDE.log.new"
  rm -f "$img"
}

run_qemu() {
  local w=$OUT/qemu r=$OUT/qemu-root magic mask hostname
  # Ghost's node name is the root tree's /etc/hostname, which /etc/hosts knows.
  hostname=$(head -n1 "$ROOTFS/etc/hostname" 2>/dev/null || true)
  [[ $hostname =~ ^[A-Za-z0-9.-]+$ ]] || hostname=ghost
  prepare qemu
  rm -rf "$r" && cp -a "$ROOTFS" "$r"
  mkdir -p "$r$w"
  magic=$(sed -n 's/^magic //p' "$QSDIR/usr/share/binfmts/qemu-riscv64")
  mask=$(sed -n 's/^mask //p' "$QSDIR/usr/share/binfmts/qemu-riscv64")
  [[ -n $magic && -n $mask ]] || die "no riscv64 magic in qemu-user-static's binfmts"
  # F: qemu is opened now, so it need not exist inside the chroot;
  # P: argv[0] is passed on as it was (busybox picks the applet by it).
  cat >"$OUT/qemu-ns.sh" <<EOF
set -e
echo '$hostname' >/proc/sys/kernel/hostname
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
printf '%s\n' ':ghost-riscv64:M::$magic:$mask:$QEMU:FP' >/proc/sys/fs/binfmt_misc/register
mount --bind '$w' '$r$w'
mount --rbind /proc '$r/proc'
mount --rbind /sys '$r/sys'
mount --rbind /dev '$r/dev'
mount -t tmpfs tmpfs '$r/tmp'
cd '$w'
exec chroot '$r' /usr/bin/env -i ${TEST_ENV[*]} /bin/sh -c 'cd $w/testsuite && exec ./runtest -v'
EOF
  timed qemu unshare -U -r -m -u --propagation private sh "$OUT/qemu-ns.sh"
}

# runtest's result lines; a name seen before gets "#2", "#3"...
results() {
  grep -aE '^(PASS|FAIL|SKIPPED|UNTESTED): ' "$1" |
    awk '{ n = ++seen[$0]; print (n > 1 ? $0 "#" n : $0) }'
}

finish() {  # $1=side $2=key
  mv "$OUT/$1.log.new" "$OUT/$1.log"
  results "$OUT/$1.log" >"$OUT/$1.txt"
  echo "$2" >"$OUT/$1.key"
}

stop_runs() {
  local f
  for f in "$OUT/$GSIDE.pid" "$OUT"/qemu.pid; do
    [[ -f $f ]] && kill -- -"$(<"$f")" 2>/dev/null; rm -f "$f"
  done
  return 0
}
trap 'stop_runs' EXIT
trap 'stop_runs; exit 130' INT TERM
pids=() sides=()
if [[ $ONLY != qemu ]] && ! fresh "$GSIDE" "$ghost_key"; then
  say "running the testsuite under Ghost${ON:+ on $ON} (log: ${OUT#"$ROOT"/}/$GSIDE.log)"
  run_ghost & pids+=($!) sides+=(ghost)
fi
if [[ $ONLY != ghost && $QEMU_MODE != run ]] && { [[ $QEMU_MODE == baseline ]] || ! fresh qemu "$qemu_key"; }; then
  if baseline_ok; then
    say "qemu side: the recorded results (${BASELINE#"$ROOT"/})"
    use_baseline
  elif [[ $QEMU_MODE == baseline ]]; then
    die "${BASELINE#"$ROOT"/} is not for this busybox and testsuite ($baseline_key): record it with --record"
  fi
fi
if [[ $ONLY != ghost && $QEMU_FROM == run ]] && ! fresh qemu "$qemu_key"; then
  fetch_qemu_static
  # Can this machine give us a private binfmt_misc? (user namespaces, kernel >= 6.7)
  unshare -U -r -m sh -c 'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc' 2>/dev/null ||
    die "cannot mount a private binfmt_misc in a user namespace (needs Linux >= 6.7 and user namespaces)"
  say "running the testsuite under qemu-riscv64 (log: ${OUT#"$ROOT"/}/qemu.log)"
  run_qemu & pids+=($!) sides+=(qemu)
fi
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || die "the ${sides[$i]} run failed"
  s=${sides[$i]}
  if [[ $s == ghost ]]; then finish "$GSIDE" "$ghost_key"; else finish qemu "$qemu_key"; fi
done
((RECORD)) && [[ -f $OUT/qemu.txt && -f $OUT/qemu.key && $(<"$OUT/qemu.key") == "$qemu_key" ]] && record_baseline

# ------------------------------------------------------------------ summary
[[ -f $OUT/qemu.txt && -f $OUT/$GSIDE.txt ]] || { say "one side only: no summary"; exit 0; }
GSIDE=$GSIDE SUFFIX=$SUFFIX SUBSET=${APPLETS:+1} OUT=$OUT BINVER=$BINVER SRCVER="$SRCPKG $GOTVER" WANTVER=$WANTVER QEMU_VER=$QEMU_VER QEMU_FROM=$QEMU_FROM \
SLOW="$(printf '%s\n' "${SLOW_TESTS[@]}")" QUIET=$QUIET node --input-type=module -e '
import { readFileSync, writeFileSync } from "node:fs";
const env = process.env, out = env.OUT;
function side(name) {
  const res = new Map();
  for (const line of readFileSync(`${out}/${name}.txt`, "utf8").split("\n")) {
    const m = /^(PASS|FAIL|SKIPPED|UNTESTED): (.*)$/.exec(line);
    if (m) res.set(m[2], m[1]);
  }
  const [rc, secs] = readFileSync(`${out}/${name}.status`, "utf8").trim().split(" ");
  const count = (r) => [...res.values()].filter((v) => v === r).length;
  return { res, info: { pass: count("PASS"), fail: count("FAIL"), skipped: count("SKIPPED"),
    untested: count("UNTESTED"), exitStatus: Number(rc), timedOut: rc === "124" || rc === "137",
    seconds: Number(secs) } };
}
const q = side("qemu"), g = side(env.GSIDE);
// With --applets, only the tests run under Ghost are compared.
const qpass = [...q.res].filter(([n, r]) => r === "PASS" && (!env.SUBSET || g.res.has(n))).map(([n]) => n);
const both = qpass.filter((n) => g.res.get(n) === "PASS");
const lost = qpass.filter((n) => g.res.get(n) !== "PASS").map((n) => ({ name: n, ghost: g.res.get(n) ?? "NOT RUN" }));
const gained = [...g.res].filter(([n, r]) => r === "PASS" && q.res.get(n) !== "PASS").map(([n]) => n);
const summary = {
  busyboxBinary: env.BINVER, testsuiteSource: env.SRCVER, sourceVersionWanted: env.WANTVER,
  qemuUser: env.QEMU_VER, qemuSide: env.QEMU_FROM, skippedAsSlow: env.SLOW.split("\n").filter(Boolean),
  qemu: q.info, ghost: g.info,
  qemuPass: qpass.length, ghostPassOfQemuPass: both.length,
  ratio: qpass.length ? both.length / qpass.length : 0,
  passUnderQemuNotGhost: lost, passUnderGhostNotQemu: gained,
};
writeFileSync(`${out}/summary${env.SUFFIX}.json`, JSON.stringify(summary, null, 2) + "\n");
const line = (s, i) => `${s}: ${i.pass} passed, ${i.fail} failed, ${i.skipped} skipped, ${i.untested} untested` +
  ` (exit ${i.exitStatus}${i.timedOut ? ", TIMED OUT" : ""}, ${i.seconds} s)`;
const text = [
  `busybox testsuite: busybox-static ${env.BINVER}, testsuite from source ${env.SRCVER}`,
  line(env.QEMU_FROM === "run" ? "qemu-riscv64" : `qemu-riscv64 (${env.QEMU_FROM})`, q.info), line(env.GSIDE, g.info),
  `of the ${qpass.length} tests passing under qemu, ${both.length} pass under Ghost` +
    ` (${(100 * summary.ratio).toFixed(1)}%)`,
  ...(lost.length ? ["pass under qemu, not under Ghost:", ...lost.map((l) => `  ${l.ghost}: ${l.name}`)] : []),
  ...(gained.length ? ["pass under Ghost, not under qemu:", ...gained.map((n) => `  ${n}`)] : []),
].join("\n") + "\n";
writeFileSync(`${out}/summary${env.SUFFIX}.txt`, text);
if (env.QUIET !== "1") process.stderr.write(text);
'
