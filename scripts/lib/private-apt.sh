# scripts/lib/private-apt.sh — sourced by scripts/debs.sh and
# scripts/busybox-testsuite.sh: an apt configuration that lives entirely in
# one directory, so the host's /etc/apt is never written. APT_CONFIG is read
# before anything else, so it is where the host's /etc/apt/apt.conf{,.d} is
# switched off; only the host's Acquire:: settings (proxies,
# Check-Valid-Until, ...) are carried over.
#
#   private_apt DIR SOURCES_LINE
#
# lays out DIR/{etc,state,cache,log}, writes SOURCES_LINE as the only source
# (a changed line makes the lists stale: DIR/state/lists/.updated goes),
# exports APT_CONFIG and sets the array APT_OPTS with the options every
# apt-get/apt-cache call needs; callers append their own.
private_apt() {
  local dir=$1 sources=$2
  local etc=$dir/etc state=$dir/state cache=$dir/cache
  mkdir -p "$etc/sources.list.d" "$etc/apt.conf.d" "$etc/preferences.d" "$etc/trusted.gpg.d" \
           "$state/lists/partial" "$cache/archives/partial" "$dir/log"
  : >>"$state/status"    # empty: apt must believe nothing is installed
  if [[ ! -f $etc/sources.list || $(<"$etc/sources.list") != "$sources" ]]; then
    echo "$sources" >"$etc/sources.list"
    rm -f "$state/lists/.updated"
  fi
  {
    echo 'Dir::Etc::Main "/dev/null";'
    echo "Dir::Etc::Parts \"$etc/apt.conf.d\";"
    env -u APT_CONFIG apt-config dump 2>/dev/null |
      grep -E '^Acquire::' | grep -vE '^Acquire::(IndexTargets|Languages|cdrom)' || true
  } >"$etc/apt.conf"
  export APT_CONFIG=$etc/apt.conf
  APT_OPTS=(
    -o "Dir::Etc::SourceList=$etc/sources.list"
    -o "Dir::Etc::SourceParts=$etc/sources.list.d"
    -o "Dir::Etc::Preferences=/dev/null"
    -o "Dir::Etc::PreferencesParts=$etc/preferences.d"
    -o "Dir::Etc::Trusted=/dev/null"
    -o "Dir::Etc::TrustedParts=$etc/trusted.gpg.d"
    -o "Dir::State=$state"
    -o "Dir::State::Lists=$state/lists"
    -o "Dir::State::status=$state/status"
    -o "Dir::State::extended_states=$state/extended_states"
    -o "Dir::Cache=$cache"
    -o "Dir::Cache::archives=$cache/archives"
    -o "Dir::Cache::pkgcache=$cache/pkgcache.bin"
    -o "Dir::Cache::srcpkgcache=$cache/srcpkgcache.bin"
    -o "Dir::Log=$dir/log"
    -o "Acquire::Languages=none"
    -o "APT::Sandbox::User=root"
  )
}
