# Shared set-up for Veil's scripts: checks the toolchain and installs missing Debian packages.
# Sourced, not run.
set -euo pipefail

veil_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "error: $*" >&2; exit 1; }

# ensure_packages PKG...: installs the Debian packages that are missing (needs root or sudo).
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # a mirror's hiccup or another apt holding the dpkg lock (a fresh machine's unattended upgrades)
  # should not fail the run: wait for the lock up to 2 minutes, and try 3 times
  local try
  for try in 1 2 3; do
    if $sudo apt-get -o DPkg::Lock::Timeout=120 update -q >/dev/null \
        && DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=120 install -y -q "${missing[@]}" \
          >/dev/null; then
      return 0
    fi
    [ "$try" -lt 3 ] && { echo "apt-get failed (attempt $try of 3); trying again in 10 s" >&2; sleep 10; }
  done
  die "could not install ${missing[*]} (apt-get update or install failed 3 times; see its output above)"
}

ensure_toolchain() {
  command -v java >/dev/null || ensure_packages openjdk-17-jdk-headless
  command -v mvn >/dev/null || ensure_packages maven
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "Java 17 or later is needed, found '$v'"
}

# ensure_redis_server: installs Debian's redis-server when it is missing. The veil-redis tests start
# their own server on a free loopback port; without the binary they are skipped, saying so.
ensure_redis_server() {
  command -v redis-server >/dev/null || ensure_packages redis-server
}

# start_redis PORT: a throwaway redis-server on 127.0.0.1:PORT without persistence, for trying
# veil-redis by hand; waits until it answers PING. Stop it with stop_redis PORT.
start_redis() {
  local port="${1:?start_redis needs a port}"
  ensure_redis_server
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null \
    || die "redis-server did not start on port $port"
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ] && return 0
    sleep 0.05
  done
  die "redis-server on port $port did not answer PING within 5 s"
}

# stop_redis PORT: stops the server start_redis started (SHUTDOWN NOSAVE).
stop_redis() {
  redis-cli -p "${1:?stop_redis needs a port}" shutdown nosave >/dev/null 2>&1 || true
}

# ensure_numpy: numpy for python3 (only policies/evaluation/ needs it): Debian's python3-numpy when
# python3 has none; fails when the python3 on PATH is not Debian's and still has none.
ensure_numpy() {
  python3 -c 'import numpy' 2>/dev/null && return 0
  ensure_packages python3-numpy
  python3 -c 'import numpy' 2>/dev/null \
    || die "python3 ($(command -v python3)) does not see numpy after installing python3-numpy (a python3 other than Debian's /usr/bin/python3 first on PATH?): pip install numpy for it, or put /usr/bin first"
}
