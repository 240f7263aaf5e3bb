#!/usr/bin/env bash
# scripts/debs.sh — fetch Debian riscv64 binary packages (from sid) and unpack them
# into build/debs/<pkg>/, using a private apt configuration under build/apt/.
# The host's /etc/apt is never written, and its configuration is not read either
# (apart from Acquire:: settings such as proxies, which are copied).
#
# Usage: scripts/debs.sh [options] PKG...
#   -d, --deps      also fetch the dependency closure (Depends and Pre-Depends,
#                   recursively, via `apt-cache depends --recurse`); each
#                   dependency is unpacked into its own build/debs/<dep>/
#   -r, --refresh   refresh the package lists now and fetch the current sid
#                   version even when some version is cached
#   -q, --quiet     print only what is done (updates, downloads, unpacking),
#                   no summary; nothing at all when everything is cached
#   -h, --help
#
# Caching: a package whose .deb is already in build/apt/debs/ is not looked up or
# downloaded again (so the result is stable and a cached run needs no network);
# lists are refreshed at most once a day, and only when something must be looked
# up. A package is re-unpacked only when its .deb changed.
#
# Environment: GHOST_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              GHOST_DEBIAN_SUITE (default sid), GHOST_BUILD_DIR (default build/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib/private-apt.sh"
BUILD=${GHOST_BUILD_DIR:-$ROOT/build}
MIRROR=${GHOST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=${GHOST_DEBIAN_SUITE:-sid}
ARCH=riscv64
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
LIST_MAX_AGE=$((24 * 60 * 60))

APTDIR=$BUILD/apt
DEBDIR=$APTDIR/debs          # downloaded .deb files, at most one per package
CLOSDIR=$APTDIR/closure      # cached dependency closures, one file per package
OUTDIR=$BUILD/debs           # unpacked trees
STAMPDIR=$OUTDIR/.stamps     # which .deb each unpacked tree came from

die() { echo "debs.sh: error: $*" >&2; exit 1; }
say() { echo "debs.sh: $*" >&2; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

DEPS=0 REFRESH=0 QUIET=0
PKGS=()
while (($#)); do
  case $1 in
    -d|--deps) DEPS=1 ;;
    -r|--refresh) REFRESH=1 ;;
    -q|--quiet) QUIET=1 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; PKGS+=("$@"); break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) PKGS+=("$1") ;;
  esac
  shift
done
((${#PKGS[@]})) || { usage >&2; exit 2; }
for p in "${PKGS[@]}"; do
  [[ $p =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || die "not a Debian package name: '$p'"
done

for tool in apt-get apt-cache apt-config dpkg-deb flock; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run scripts/setup.sh)"
done

mkdir -p "$DEBDIR" "$CLOSDIR" "$STAMPDIR"
exec 9>"$APTDIR/.lock"
flock 9 || die "cannot lock $APTDIR/.lock"

# ---------------------------------------------------------------- private apt
APT_READY=0
APT_OPTS=()
setup_apt() {
  ((APT_READY)) && return 0
  [[ -r $KEYRING ]] || die "$KEYRING missing (run scripts/setup.sh: debian-archive-keyring)"
  private_apt "$APTDIR" "deb [arch=$ARCH signed-by=$KEYRING] $MIRROR $SUITE main"
  APT_OPTS+=(
    -o "APT::Architecture=$ARCH"
    -o "APT::Architectures=$ARCH"
    -o "APT::Install-Recommends=false"
  )
  APT_READY=1
}

apt_get() { apt-get "${APT_OPTS[@]}" "$@"; }
apt_cache() { apt-cache "${APT_OPTS[@]}" "$@"; }

LISTS_FRESH=0
update_lists() {   # $1=force
  setup_apt
  local stamp=$APTDIR/state/lists/.updated now age
  ((LISTS_FRESH)) && return 0
  now=$(date +%s)
  if [[ ${1:-0} == 0 && -f $stamp ]]; then
    age=$((now - $(stat -c %Y "$stamp")))
    if ((age >= 0 && age < LIST_MAX_AGE)); then LISTS_FRESH=1; return 0; fi
  fi
  say "updating package lists ($MIRROR $SUITE, $ARCH)"
  local log=$APTDIR/log/update.log
  # apt-get update can exit 0 after a signature or fetch failure: read its log.
  if ! apt_get -q update >"$log" 2>&1 ||
     grep -qE '^E: |^W: .*(GPG|[Ss]ignature|not signed|Failed to fetch|[Nn]o longer signed)' "$log"; then
    cat "$log" >&2
    die "apt-get update failed for '$MIRROR $SUITE' ($ARCH); see above (log: $log)"
  fi
  grep -E '^W: ' "$log" >&2 || true
  touch "$stamp"
  LISTS_FRESH=1
}

ensure_lists() {   # lists must exist (possibly up to a day old) before a lookup
  if ((REFRESH)); then update_lists 1; else update_lists 0; fi
}

cached_deb() {     # prints the cached .deb of a package, if any
  local f
  for f in "$DEBDIR/$1"_*.deb; do
    [[ -f $f ]] && { echo "$f"; return 0; }
  done
  return 1
}

# The file name apt-get download gives the candidate version of a package.
candidate_deb_name() {
  local ver arch
  read -r ver arch < <(apt_cache show --no-all-versions "$1" 2>/dev/null |
    awk '/^Version:/{v=$2} /^Architecture:/{a=$2} /^$/{exit} END{print v, a}')
  [[ -n $ver && -n $arch ]] || return 1
  echo "${1}_${ver//:/%3a}_${arch}.deb"
}

no_pkg() {         # the error for a name with no installable version
  local prov
  prov=$(apt_cache showpkg "$1" 2>/dev/null |
    awk '/^Reverse Provides:/{f=1; next} f && NF {print $1}' | sort -u | head -5 | tr '\n' ' ')
  if [[ -n $prov ]]; then
    echo "'$1' is a virtual package in $SUITE/$ARCH; name a real one, e.g.: ${prov% }"
  else
    echo "no package '$1' in $SUITE/$ARCH"
  fi
}

# Depends + Pre-Depends closure of the given packages. `apt-cache depends
# --recurse` lists every package reachable through any alternative; from its
# output this keeps what an install would need: for each dependency group
# (a | b | c) the first alternative, unless another one is already chosen, and
# for a virtual package (<name>) its first provider.
closure_of() {
  apt_cache depends --recurse --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances "$@" |
    awk -v roots="$*" '
      function base(n) { sub(/:.*/, "", n); return n }
      /^[^ ]/ { cur = base($1); if (cur !~ /^</) real[cur] = 1; ingroup = 0; next }
      /^ [ |][A-Za-z-]+: / {
        if (!ingroup) ng[cur]++
        g = cur SUBSEP ng[cur]
        alt[g, ++na[g]] = base($2)
        last = g SUBSEP na[g]
        ingroup = (substr($0, 2, 1) == "|")
        next
      }
      /^    [^ ]/ { prov[last, ++np[last]] = base($1); next }
      function pick(g, want_selected,   ai, pi, a, k) {
        for (ai = 1; ai <= na[g]; ai++) {
          a = alt[g, ai]; k = g SUBSEP ai
          if (a ~ /^</) {
            for (pi = 1; pi <= np[k]; pi++)
              if (!want_selected || (prov[k, pi] in sel)) return prov[k, pi]
          } else if (want_selected ? (a in sel) : (a in real)) return a
        }
        return ""
      }
      END {
        n = split(roots, q, " ")
        for (i = 1; i <= n; i++) sel[q[i]] = 1
        for (h = 1; h <= n; h++) {
          p = q[h]
          for (gi = 1; gi <= ng[p]; gi++) {
            g = p SUBSEP gi
            c = pick(g, 1); if (c == "") c = pick(g, 0)
            if (c != "" && !(c in sel)) { sel[c] = 1; q[++n] = c }
          }
        }
        for (p in sel) print p
      }' | sort -u
}

# ------------------------------------------------------------- resolve names
WANT=()
if ((DEPS)); then
  for p in "${PKGS[@]}"; do
    cl=$CLOSDIR/$p
    if ((REFRESH)) || [[ ! -s $cl ]]; then
      ensure_lists
      candidate_deb_name "$p" >/dev/null || die "$(no_pkg "$p")"
      closure_of "$p" >"$cl.tmp" || die "apt-cache depends --recurse $p failed"
      mv "$cl.tmp" "$cl"
    fi
    mapfile -t -O "${#WANT[@]}" WANT <"$cl"
  done
  mapfile -t WANT < <(printf '%s\n' "${PKGS[@]}" "${WANT[@]}" | awk '!seen[$0]++')
else
  WANT=("${PKGS[@]}")
fi

# ------------------------------------------------------------------ download
FETCH=()
for p in "${WANT[@]}"; do
  if ((REFRESH)); then
    ensure_lists
    name=$(candidate_deb_name "$p") || die "$(no_pkg "$p")"
    [[ -f $DEBDIR/$name ]] || FETCH+=("$p")
  elif ! cached_deb "$p" >/dev/null; then
    FETCH+=("$p")
  fi
done

if ((${#FETCH[@]})); then
  ensure_lists
  for p in "${FETCH[@]}"; do
    candidate_deb_name "$p" >/dev/null || die "$(no_pkg "$p")"
  done
  say "downloading ${FETCH[*]}"
  tmp=$(mktemp -d "$APTDIR/download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  log=$APTDIR/log/download.log
  if ! (cd "$tmp" && apt_get -q download "${FETCH[@]}") >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get download failed for: ${FETCH[*]} (log: $log)"
  fi
  for f in "$tmp"/*.deb; do
    [[ -f $f ]] || continue
    p=$(dpkg-deb -f "$f" Package) || die "$f is not a valid .deb"
    rm -f "$DEBDIR/$p"_*.deb
    mv "$f" "$DEBDIR/"
  done
  rm -rf "$tmp"
  trap - EXIT
fi

# ------------------------------------------------------------------- extract
for p in "${WANT[@]}"; do
  deb=$(cached_deb "$p") || die "no .deb for '$p' after download"
  name=${deb##*/}
  out=$OUTDIR/$p
  if [[ -d $out && -f $STAMPDIR/$p && $(<"$STAMPDIR/$p") == "$name" ]]; then
    continue
  fi
  rm -rf "${out:?}" "$out.tmp" "${STAMPDIR:?}/$p"
  mkdir -p "$out.tmp"
  dpkg-deb -x "$deb" "$out.tmp" || { rm -rf "$out.tmp"; die "dpkg-deb -x $deb failed"; }
  mv "$out.tmp" "$out"
  echo "$name" >"$STAMPDIR/$p"
  say "unpacked $name -> ${out#"$ROOT"/}"
done

if ! ((QUIET)); then
  for p in "${PKGS[@]}"; do
    n=$(<"$STAMPDIR/$p")
    v=${n#"${p}_"}; v=${v%_*}
    echo "debs.sh: $p ${v//%3a/:} in ${OUTDIR#"$ROOT"/}/$p" >&2
  done
  ((DEPS)) && echo "debs.sh: ${#WANT[@]} packages in the closure of ${PKGS[*]}" >&2
fi
exit 0
