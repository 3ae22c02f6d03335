#!/usr/bin/env bash
# test_limits.sh - every refsmtpd limit, set small through its option, is reached and
# answered with the right code: --max-per-ip and --max-sessions (421 greeting, RFC 5321
# 3.1), --timeout-command and --timeout-data (421 and close, RFC 5321 4.5.3.2),
# --max-size (552, RFC 1870), --max-recipients (452, RFC 5321 4.5.3.1.10).
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/bench/lib.sh"
bench_test_setup
work=$(test_tmpdir)
require_refsmtpd
LIMITS=$BENCH_TOOLS/limits.py

# limit_check - start refsmtpd with the given options, run limits.py CHECK..., stop it.
limit_check() {
  local what=$1 opts=$2 out port
  shift 2
  port=$(free_port)
  rm -rf "$work/md"
  # shellcheck disable=SC2086 # opts is a list of options
  start_refsmtpd --listen "127.0.0.1:$port" --maildir "$work/md" --domain bench.test \
    --hostname limits.bench $opts
  out=$(timeout 60 python3 "$LIMITS" --port "$port" "$@") || {
    echo "$out" >&2
    fail "$what"
  }
  kill -0 "$REFSMTPD_PID" 2>/dev/null || fail "$what: refsmtpd died"
  stop_refsmtpd
  [ "$REFSMTPD_STATUS" = 0 ] || fail "$what: refsmtpd exited with $REFSMTPD_STATUS"
  pass "$what ($out)"
}

limit_check "--max-per-ip 3: the 4th and 5th connection from 127.0.0.1 get 421" \
  "--max-per-ip 3 --max-sessions 100" sessions --allowed 3 --extra 2 --code 421
limit_check "--max-sessions 4: connections 5 and 6 get 421" \
  "--max-sessions 4" sessions --allowed 4 --extra 2 --code 421
limit_check "--timeout-command 2: an idle session gets 421 after 2 s and is closed" \
  "--timeout-command 2" idle --seconds 2
limit_check "--timeout-data 2: a session silent inside DATA gets 421 after 2 s" \
  "--timeout-data 2 --timeout-command 30" data-idle --seconds 2
found=$(maildir_count "$work/md")
assert_eq "$found" 0 "the message abandoned by the DATA timeout was not delivered"
leftover=$(find "$work/md/tmp" -type f | wc -l)
assert_eq "$leftover" 0 "its file in tmp/ was removed (abandoned DATA cannot fill the disk)"
limit_check "--max-size 10000: SIZE=10001 and a 20000-octet message get 552, a smaller one 250" \
  "--max-size 10000" size --max 10000
found=$(maildir_count "$work/md")
assert_eq "$found" 1 "only the message under --max-size was delivered"
limit_check "--max-recipients 100: recipient 101 gets 452, the 100 others get the message" \
  "--max-recipients 100" recipients --max 100
found=$(maildir_count "$work/md")
assert_eq "$found" 1 "the message for 100 recipients is stored once (one Maildir for all)"
