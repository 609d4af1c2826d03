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
  $sudo apt-get update -q >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >/dev/null \
    || die "could not install ${missing[*]}"
}

ensure_toolchain() {
  command -v java >/dev/null || ensure_packages openjdk-17-jdk-headless
  command -v mvn >/dev/null || ensure_packages maven
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "Java 17 or later is needed, found '$v'"
}
