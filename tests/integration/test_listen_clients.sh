#!/usr/bin/env bash
# test_listen_clients.sh - `smtpcheck listen` calibrated against real SMTP clients from
# Debian on loopback (harness/listen/calibrate): swaks, curl, Python's smtplib and msmtp,
# each through every scenario, failing exactly the checks harness/listen/expect/CLIENT.txt
# lists. Packages needed: swaks curl python3 msmtp openssl.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
[ -x "$SMTPCHECK_BIN/smtpcheck" ] || fail "no smtpcheck at $SMTPCHECK_BIN"

# msmtp is not in every base image; install it when we are root and apt works.
if ! command -v msmtp >/dev/null && [ "$(id -u)" = 0 ]; then
  dpkg -s msmtp >/dev/null 2>&1 || apt-get install -y msmtp >/dev/null 2>&1 || true
fi

ran=0
for client in swaks curl python msmtp; do
  rc=0
  out=$(SMTPCHECK_BIN=$SMTPCHECK_BIN "$SMTPCHECK_SRC/harness/listen/calibrate" "$client" 2>&1) || rc=$?
  echo "$out"
  if [ "$rc" = 77 ]; then
    echo "skip: $client is not installed"
    continue
  fi
  [ "$rc" = 0 ] || fail "$client: the checks it fails differ from harness/listen/expect/$client.txt"
  pass "$client fails exactly the expected checks"
  ran=$((ran + 1))
done
# swaks, curl and python3 are in the CI image (ci/lib/common.sh); at least those ran.
[ "$ran" -ge 3 ] || fail "only $ran of the four clients could be graded"
