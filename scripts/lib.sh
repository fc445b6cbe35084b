# Shared by scripts/demo and scripts/test. Sourced, not run.

MDM_PACKAGES=(g++ cmake ninja-build pkg-config openssl ca-certificates curl
  libfcgi-dev libssl-dev libcurl4-openssl-dev libpqxx-dev libplist-dev libplist++-dev
  rapidjson-dev libmariadb-dev mariadb-server catch2 postgresql nginx certmonger nodejs python3-prometheus-client chromium chromium-driver firefox-esr
  fonts-dejavu-core)

log() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages that are missing; services are kept from starting on install.
install_packages() {
  local missing=()
  for p in "${MDM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [ ! -e "$policy" ]; then
    # Packages must not start their own nginx or PostgreSQL: we start what we need ourselves.
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && made_policy=1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -n "$made_policy" ] && $sudo rm -f "$policy"
  return 0
}

# build DIR TYPE [cmake args...]
build() {
  local dir=$1 type=$2
  shift 2
  log "building in $dir ($type)"
  cmake -S "$MDM_ROOT" -B "$MDM_ROOT/$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  cmake --build "$MDM_ROOT/$dir" -j"$(nproc)"
}

# The newest PostgreSQL server binaries.
pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Stops every process whose command line names the folder $1 (servers a run left behind).
stop_under() {
  local dir=$1 pids
  pids=$(pgrep -f -- "$dir" || true)
  [ -z "$pids" ] && return 0
  kill $pids 2>/dev/null || true
  sleep 1
  pids=$(pgrep -f -- "$dir" || true)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
  return 0
}
