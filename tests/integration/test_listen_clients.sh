#!/usr/bin/env bash
# test_listen_clients.sh - `smtpcheck listen` calibrated against real SMTP clients from
# Debian on loopback (harness/listen/calibrate): swaks, curl, Python's smtplib, msmtp and
# Postfix's smtp client (a private instance whose relayhost is the listener), each through
# every scenario, failing exactly the checks harness/listen/expect/CLIENT.txt lists.
# Packages needed: swaks curl python3 msmtp postfix openssl (Postfix needs root).
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
[ -x "$SMTPCHECK_BIN/smtpcheck" ] || fail "no smtpcheck at $SMTPCHECK_BIN"

# msmtp is not in every base image; install it when we are root and apt works.
if ! command -v msmtp >/dev/null && [ "$(id -u)" = 0 ]; then
  dpkg -s msmtp >/dev/null 2>&1 || apt-get install -y msmtp >/dev/null 2>&1 || true
fi

ran=0
out_all=
for client in swaks curl python msmtp postfix; do
  rc=0
  out=$(SMTPCHECK_BIN=$SMTPCHECK_BIN "$SMTPCHECK_SRC/harness/listen/calibrate" "$client" 2>&1) || rc=$?
  echo "$out"
  out_all+=$out$'\n'
  if [ "$rc" = 77 ]; then
    echo "skip: $client is not installed"
    continue
  fi
  [ "$rc" = 0 ] || fail "$client: the checks it fails differ from harness/listen/expect/$client.txt"
  pass "$client fails exactly the expected checks"
  ran=$((ran + 1))
done
# swaks, curl, python3 and postfix are in the CI image (ci/lib/common.sh), which runs as
# root; all of them must have run there.
[ "$ran" -ge 3 ] || fail "only $ran of the five clients could be graded"
if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null; then
  printf '%s\n' "$out_all" | grep -q '^postfix: ' || fail "Postfix's smtp client was not graded"
fi
