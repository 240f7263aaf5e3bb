#!/usr/bin/env bash
# scripts/setup.sh — install the host (Debian) packages Ghost's build, tests and
# benchmarks need. Idempotent: when everything is already installed it only asks
# dpkg (a few milliseconds) and exits; `apt-get update` runs only when something
# actually has to be installed.
#
#   gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross  cross-compile riscv64 test programs
#   qemu-user                                        qemu-riscv64: reference runs, busybox --list-full
#   gcc, binutils                                    native benchmarks
#   cpio                                             build/rootfs.cpio (initramfs)
#   xz-utils                                         .deb payloads (data.tar.xz)
#   debian-archive-keyring                           verifies the sid lists fetched by debs.sh
#   ca-certificates                                  https mirrors, should one be configured
#   golang-go                                        cross-compiles userland/go/ (riscv64, no cgo)
#   tmux                                             terminal tests (test/tty/): a real terminal to type into
#   bsdutils                                         script(1): the boot benchmark's pseudo-terminal
#   e2fsprogs                                        mke2fs, debugfs, e2fsck: the ext4 tests' images and their verdict
#   chromium                                         the browser tests (test/web/, driven by playwright-core)
#
# Extra packages can be named on the command line: scripts/setup.sh strace
# Works as root (as CI runs); otherwise uses sudo when it exists.
set -euo pipefail

PACKAGES=(
  gcc-riscv64-linux-gnu
  libc6-dev-riscv64-cross
  qemu-user
  gcc
  binutils
  cpio
  xz-utils
  debian-archive-keyring
  ca-certificates
  golang-go
  e2fsprogs
  tmux
  bsdutils
  chromium
  strace
  "$@"
)

die() { echo "setup.sh: error: $*" >&2; exit 1; }

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script needs a Debian-based host"

# A package counts as present only when dpkg reports it fully installed. One
# dpkg-query for the whole list (each call reads dpkg's database: one per
# package was most of a `npm start` with nothing to do); a name it does not
# know is left out of its answer, and so counts as missing.
declare -A state=()
while read -r pkg status; do
  [[ "${state[$pkg]:-}" == "installed" ]] || state[$pkg]=$status
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
missing=()
for p in "${PACKAGES[@]}"; do
  [[ "${state[$p]:-absent}" == "installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    die "need root (or sudo) to install: ${missing[*]}"
  fi
fi

echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq || die "apt-get update failed"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" \
  || die "apt-get install failed for: ${missing[*]}"

# Re-check, so a package apt silently skipped is reported here rather than later.
for p in "${missing[@]}"; do
  s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$s" == "installed" ]] || die "package $p is still not installed"
done
echo "setup.sh: done" >&2
