#!/usr/bin/env bash
# test_relay_ipv6.sh - --relay-from with IPv6 networks: a client from ::1 relays when ::1 is
# listed, and is refused (550 5.7.1) when only another IPv6 network is. Skipped (exit 0
# with a note) where the host has no IPv6 loopback.
source "$SMTPCHECK_SRC/tests/integration/lib_relay.sh"
if ! python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  echo "skip: no IPv6 loopback on this host"
  exit 0
fi
work=$(test_tmpdir)
pa=$(free_port)
pb=$(free_port)
REFSMTPD_LOG=$work/logB start_refsmtpd --listen "127.0.0.1:$pb" --maildir "$work/mdB" \
  --domain b.example --hostname mx.b.example
REFSMTPD_LOG=$work/logA start_refsmtpd --listen "[::1]:$pa" --maildir "$work/mdA" \
  --domain a.example --hostname mx.a.example --queue "$work/qA" \
  --relay-host "127.0.0.1:$pb" --relay-from 2001:db8::/32 --relay-from ::1/128
a_pid=$REFSMTPD_PID
printf 'Subject: over IPv6\r\n\r\nsix\r\n' >"$work/msg"
SUBMIT_HOST=::1 submit "$pa" alice@a.example bob@b.example "$work/msg" >/dev/null ||
  fail "a client from ::1 could not relay"
wait_for '[ "$(maildir_count "$work/mdB")" -ge 1 ]' || fail "the message did not reach B"
assert_contains "$(head -c 400 "$(find "$work/mdB/new" -type f)")" "[IPv6:::1]" "A's Received: shows the IPv6 client (RFC 5321 4.1.3)"
stop_refsmtpd_pid "$a_pid"
assert_eq "$REFSMTPD_STATUS" "0" "A exits 0"

# Only 2001:db8::/32 may relay now: ::1 is refused.
REFSMTPD_LOG=$work/logA2 start_refsmtpd --listen "[::1]:$pa" --maildir "$work/mdA" \
  --domain a.example --hostname mx.a.example --queue "$work/qA" \
  --relay-host "127.0.0.1:$pb" --relay-from 2001:db8::/32
out=$(SUBMIT_HOST=::1 submit "$pa" alice@a.example bob@b.example "$work/msg" 2>&1) &&
  fail "::1 relayed outside --relay-from: $out"
assert_contains "$out" "5.7.1" "a client outside every --relay-from network is refused"
