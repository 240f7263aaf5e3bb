#!/usr/bin/env bash
# scripts/rootfs.sh — build Ghost's default root filesystem from the riscv64
# busybox-static package (unpacked by scripts/debs.sh into build/debs/):
#
#   build/rootfs/       the tree: /bin/busybox, one symlink per applet at its
#                       proper place (bin, sbin, usr/bin, usr/sbin), /etc files
#                       for busybox init and a root shell, empty mount points
#   build/rootfs.cpio   the same tree as a newc cpio archive, owned by root, for
#                       use as an initramfs
#   build/rootfs.stamp  what it was built from
#
# Cached: nothing is done unless the busybox binary or this script changed, or an
# output is missing (then it prints one line). Option --force rebuilds anyway. All files get one fixed mtime (SOURCE_DATE_EPOCH, else the busybox
# binary's) so that the archive is reproducible.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${GHOST_BUILD_DIR:-$ROOT/build}
SELF=$ROOT/scripts/rootfs.sh
BBPKG=$BUILD/debs/busybox-static
OUT=$BUILD/rootfs
CPIO=$BUILD/rootfs.cpio
STAMP=$BUILD/rootfs.stamp

die() { echo "rootfs.sh: error: $*" >&2; exit 1; }
FORCE=0
for a in "$@"; do
  case $a in
    -f|--force) FORCE=1 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF"; exit 0 ;;
    *) die "unknown argument $a" ;;
  esac
done
say() { echo "rootfs.sh: $*" >&2; }

# sid ships busybox in /usr/bin (merged /usr); older packages in /bin.
BB=
for c in "$BBPKG/usr/bin/busybox" "$BBPKG/bin/busybox"; do
  [[ -f $c ]] && { BB=$c; break; }
done
[[ -n $BB ]] || die "no busybox in $BBPKG (run: scripts/debs.sh busybox-static)"

mkdir -p "$BUILD"
exec 9>"$BUILD/.rootfs.lock"
flock 9 || die "cannot lock $BUILD/.rootfs.lock"

bb_sum=$(sha256sum "$BB" | cut -d' ' -f1)
self_sum=$(sha256sum "$SELF" | cut -d' ' -f1)
key="busybox=$bb_sum script=$self_sum epoch=${SOURCE_DATE_EPOCH:-}"
if ((!FORCE)) && [[ -f $STAMP && $(<"$STAMP") == "$key" && -x $OUT/bin/busybox && -s $CPIO ]]; then
  exit 0
fi

command -v qemu-riscv64 >/dev/null 2>&1 || die "qemu-riscv64 not found (run scripts/setup.sh)"
command -v cpio >/dev/null 2>&1 || die "cpio not found (run scripts/setup.sh)"

STAGE=$BUILD/rootfs.new
rm -rf "$STAGE" "$CPIO.new"
trap 'rm -rf "$STAGE" "$CPIO.new"' EXIT
mkdir -p "$STAGE"

# ------------------------------------------------------------------ busybox
install -D -m 0755 "$BB" "$STAGE/bin/busybox"
version=$(qemu-riscv64 "$BB" 2>/dev/null | head -n1 || true)
[[ $version == BusyBox* ]] || die "qemu-riscv64 could not run $BB"
version=${version% multi-call binary.}

applets=$(qemu-riscv64 "$BB" --list-full 2>/dev/null) ||
  applets=$(qemu-riscv64 "$BB" --list 2>/dev/null | sed 's|^|bin/|') ||
  die "busybox --list-full and --list both failed"
count=0
while IFS= read -r path; do
  [[ -n $path ]] || continue
  [[ $path =~ ^[A-Za-z0-9_./[-]+$ && $path != *..* && $path != /* ]] || die "odd applet path '$path'"
  [[ $path == bin/busybox ]] && continue
  dir=$(dirname "$path")
  mkdir -p "$STAGE/$dir"
  # Relative link to bin/busybox, so it resolves inside the tree from the host too.
  case $dir in
    bin) target=busybox ;;
    .) target=bin/busybox ;;
    *) up=; IFS=/ read -ra parts <<<"$dir"
       for _ in "${parts[@]}"; do up+=../; done
       target=${up}bin/busybox ;;
  esac
  ln -sfn "$target" "$STAGE/$path"
  count=$((count + 1))
done <<<"$applets"
((count > 100)) || die "only $count applets listed by busybox"

# ------------------------------------------------------------------ /etc
mkdir -p "$STAGE/etc"
# Debian's standard users and groups (base-passwd), which programs look up by name.
cat >"$STAGE/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$STAGE/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
kmem:x:15:
dialout:x:20:
fax:x:21:
voice:x:22:
cdrom:x:24:
floppy:x:25:
tape:x:26:
sudo:x:27:
audio:x:29:
dip:x:30:
www-data:x:33:
backup:x:34:
operator:x:37:
list:x:38:
irc:x:39:
src:x:40:
shadow:x:42:
utmp:x:43:
video:x:44:
sasl:x:45:
plugdev:x:46:
staff:x:50:
games:x:60:
users:x:100:
nogroup:x:65534:
EOF
# Empty root password, so busybox login/su work without prompting for one.
cat >"$STAGE/etc/shadow" <<'EOF'
root::0:0:99999:7:::
daemon:*:0:0:99999:7:::
bin:*:0:0:99999:7:::
sys:*:0:0:99999:7:::
sync:*:0:0:99999:7:::
games:*:0:0:99999:7:::
man:*:0:0:99999:7:::
lp:*:0:0:99999:7:::
mail:*:0:0:99999:7:::
news:*:0:0:99999:7:::
uucp:*:0:0:99999:7:::
proxy:*:0:0:99999:7:::
www-data:*:0:0:99999:7:::
backup:*:0:0:99999:7:::
list:*:0:0:99999:7:::
irc:*:0:0:99999:7:::
_apt:*:0:0:99999:7:::
nobody:*:0:0:99999:7:::
EOF
chmod 0600 "$STAGE/etc/shadow"
cat >"$STAGE/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
127.0.1.1	ghost
EOF
echo ghost >"$STAGE/etc/hostname"
# Debian's resolver configuration: every address /etc/hosts gives a name, not the first line's only.
echo 'multi on' >"$STAGE/etc/host.conf"
cat >"$STAGE/etc/shells" <<'EOF'
/bin/sh
/bin/ash
EOF
cat >"$STAGE/etc/profile" <<'EOF'
# /etc/profile: read by login shells (sh -l).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=${HOME:-/root}
export TERM=${TERM:-linux}
# \$ is '#' for root, '$' for others (no fork of id(1) at every login).
export PS1='\u@\h:\w\$ '
umask 022
EOF
cat >"$STAGE/etc/inittab" <<'EOF'
# /etc/inittab for busybox init: <id>::<action>:<command>
# /proc, /sys, /dev/pts and /tmp from /etc/fstab, in one mount(8): each
# program init starts is a fork and an exec of busybox (six of them before,
# three now: ghost boot -c true 433 -> 410 ms of CPU, 12 interleaved pairs,
# load 20). Ghost's devtmpfs has /dev/pts already, as udev makes it on
# Linux: no mkdir (ghost boot -c true 324 -> 309 ms of CPU, 12 pairs, load 25).
::sysinit:/bin/mount -a
::sysinit:/bin/hostname -F /etc/hostname

# The console session (/etc/init.d/console): a root shell with job control and
# no login, or the one command of `ghost boot -c`. Started once, with the
# console as its controlling terminal (the leading '-'); when it ends the
# machine powers off, so `exit` in the shell shuts Ghost down.
::once:-/etc/init.d/console

::ctrlaltdel:/sbin/reboot
::restart:/sbin/init
::shutdown:/bin/umount -a -r
EOF
mkdir -p "$STAGE/etc/init.d"
cat >"$STAGE/etc/init.d/console" <<'EOF'
#!/bin/sh
# The console session, started once by init (/etc/inittab) as a session
# leader whose controlling terminal is the console. Interactive: a login
# shell for root, with job control; when it exits the machine powers off.
# With GHOST_CMD set (ghost boot -c CMD): that command, whose exit status
# becomes Ghost's (/proc/sys/kernel/ghost_exit_status), then power-off.
export HOME=/root
cd "$HOME" 2>/dev/null || cd /
if [ -n "${GHOST_CMD+set}" ]; then
  cmd=$GHOST_CMD
  unset GHOST_CMD
  /bin/sh -c "$cmd"
  echo $? >/proc/sys/kernel/ghost_exit_status
  exec /sbin/poweroff -f
fi
/bin/sh -l
exec /sbin/poweroff
EOF
chmod 0755 "$STAGE/etc/init.d/console"
cat >"$STAGE/etc/fstab" <<'EOF'
# <file system> <mount point> <type> <options> <dump> <pass>
proc	/proc	proc	defaults	0 0
sysfs	/sys	sysfs	defaults	0 0
devpts	/dev/pts	devpts	defaults	0 0
tmpfs	/tmp	tmpfs	defaults	0 0
EOF

# Every program that inittab names must be in the tree.
while read -r prog; do
  [[ -e $STAGE$prog || -L $STAGE$prog ]] || die "inittab runs $prog, which is not in the tree"
done < <(awk -F: '!/^#/ && NF >= 4 { split($4, w, " "); sub(/^-/, "", w[1]); print w[1] }' \
           "$STAGE/etc/inittab" | sort -u)

# ------------------------------------------------------------------ dirs
for d in proc sys dev dev/pts tmp root home mnt var run usr/lib lib; do
  mkdir -p "$STAGE/$d"
done
chmod 1777 "$STAGE/tmp"
chmod 0700 "$STAGE/root"
chmod 0755 "$STAGE"

# Fixed mtimes, so the archive depends only on its inputs.
epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$BB")}
find "$STAGE" -exec touch -h -d "@$epoch" {} +

# ------------------------------------------------------------------ cpio
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort |
  cpio -o -H newc -R 0:0 --reproducible --quiet) >"$CPIO.new" ||
  die "cpio failed"

rm -rf "$OUT"
mv "$STAGE" "$OUT"
mv "$CPIO.new" "$CPIO"
echo "$key" >"$STAMP"
trap - EXIT
nfiles=$(cd "$OUT" && find . -mindepth 1 | wc -l)
say "built ${OUT#"$ROOT"/} ($version, $count applets, $nfiles entries) and ${CPIO#"$ROOT"/} ($(stat -c %s "$CPIO") bytes)"
