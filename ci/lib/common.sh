# ci/lib/common.sh - shared helpers for the ci/ scripts (sourced, not run).
set -euo pipefail

SMTPCHECK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export SMTPCHECK_ROOT
JOBS=$(nproc 2>/dev/null || echo 2)

# Debian packages every part of the project needs (build, tests, fuzzing, interop).
SMTPCHECK_PACKAGES=(cmake make gcc clang libclang-rt-14-dev llvm libssl-dev openssl
  clang-format libcriterion-dev afl++ postfix swaks python3 perl libxml2-utils zip unzip curl
  msmtp)

# log - print a step heading.
log() { printf '\n==> %s\n' "$*"; }

# ensure_packages - install whichever Debian packages are missing (apt-get update once).
ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  # Postfix asks what kind of mail system to set up: we run our own instances only.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# build_preset - configure and build one preset; extra args go to cmake configure.
build_preset() {
  local preset=$1
  shift
  log "building preset $preset"
  cmake --preset "$preset" -S "$SMTPCHECK_ROOT" "$@" >/dev/null
  cmake --build "$SMTPCHECK_ROOT/build/$preset" -j "$JOBS"
}
