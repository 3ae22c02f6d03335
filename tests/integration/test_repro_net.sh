#!/usr/bin/env bash
# test_repro_net.sh - `smtpcheck repro --net`: a fuzz_server session file replayed against
# a live refsmtpd on loopback, transcript printed, STARTTLS handled as fuzz_server does.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
work=$(test_tmpdir)
bin="$SMTPCHECK_BIN"

[ -x "$bin/refsmtpd" ] || fail "no refsmtpd in $bin"
mkdir -p "$work/mail"
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$work/mail" --domain example.org

printf '#0000 0000 0\nEHLO x.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<postmaster@example.org>\r\nDATA\r\nSubject: t\r\n\r\n..dot\r\n.\r\nQUIT\r\n' \
  > "$work/server-session"
out=$("$bin/smtpcheck" repro --quiet 300 --net "127.0.0.1:$port" "$work/server-session")
assert_contains "$out" "replayed against 127.0.0.1:$port" "header names the server"
assert_contains "$out" 'S: 220 ' "greeting shown"
assert_contains "$out" 'C: EHLO x.example\r\n' "client line shown"
assert_contains "$out" 'S: 354 ' "DATA answered"
assert_contains "$out" 'S: 221 ' "QUIT answered"

# Unreachable server: exit 3.
dead=$(free_port)
set +e
"$bin/smtpcheck" repro --quiet 100 --net "127.0.0.1:$dead" "$work/server-session" >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 3 ] || fail "unreachable server: exit $rc, want 3"
pass "unreachable server exits 3"
