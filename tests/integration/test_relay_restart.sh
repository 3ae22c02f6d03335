#!/usr/bin/env bash
# test_relay_restart.sh - the relay queue survives a crash (kill -9) and a restart: what
# was answered 250 is delivered after restart, and a recipient the next hop already
# accepted is never sent twice (its status is on disk before anything else happens).
source "$SMTPCHECK_SRC/tests/integration/lib_relay.sh"
work=$(test_tmpdir)
pa=$(free_port)
pb=$(free_port)
pc=$(free_port)
printf 'b.example 127.0.0.1:%s\nc.example 127.0.0.1:%s\n' "$pb" "$pc" >"$work/routes"
start_a() {
  REFSMTPD_LOG=$work/logA start_refsmtpd --listen "127.0.0.1:$pa" --maildir "$work/mdA" \
    --domain a.example --hostname mx.a.example --queue "$work/qA" --routes "$work/routes" \
    --relay-from 127.0.0.1 --retry-min 1 --retry-max 1
  a_pid=$REFSMTPD_PID
}
printf 'From: alice@a.example\r\nSubject: survive a crash\r\n\r\nstill here\r\n' >"$work/msg"

# 1. B is up, C is down: bob@b.example is delivered, carol@c.example waits.
REFSMTPD_LOG=$work/logB start_refsmtpd --listen "127.0.0.1:$pb" --maildir "$work/mdB" \
  --domain b.example --hostname mx.b.example
start_a
submit "$pa" alice@a.example "bob@b.example carol@c.example" "$work/msg" >/dev/null ||
  fail "submission to A"
submit "$pa" alice@a.example "dave@c.example" "$work/msg" >/dev/null || fail "second submission"
wait_for '[ "$(maildir_count "$work/mdB")" -ge 1 ]' || fail "bob@b.example was not delivered"
wait_for 'grep -q "^rcpt D bob@b.example" "$work"/qA/new/*' ||
  fail "the delivered recipient is not marked on disk"
pass "a recipient B accepted is marked delivered in the queue file"
assert_contains "$(cat "$work"/qA/new/*)" "rcpt P carol@c.example" "the other recipient stays pending"

# 2. A crashes with two messages in its queue.
kill9_refsmtpd_pid "$a_pid"
assert_eq "$(find "$work/qA/new" -type f | wc -l)" "2" "both messages are still queued after kill -9"
assert_eq "$(find "$work/qA/tmp" -type f | wc -l)" "0" "no half-written queue file"

# 3. C comes up, A restarts: the queue is scanned and delivered; B gets nothing twice.
REFSMTPD_LOG=$work/logC start_refsmtpd --listen "127.0.0.1:$pc" --maildir "$work/mdC" \
  --domain c.example --hostname mx.c.example
start_a
assert_contains "$(cat "$work/logA")" "2 messages waiting" "A finds its queue at start-up"
wait_for 'queue_empty "$work/qA"' || fail "the queue was not delivered after the restart"
assert_eq "$(maildir_count "$work/mdC")" "2" "carol and dave were delivered after the restart"
sleep 2
assert_eq "$(maildir_count "$work/mdB")" "1" "bob@b.example was not delivered twice"
grep -l "for <carol@c.example>" "$work"/mdC/new/* >/dev/null || fail "no message for carol at C"
pass "each recipient got the message exactly once across the crash"

# 4. Another restart finds nothing to do.
stop_refsmtpd_pid "$a_pid"
assert_eq "$REFSMTPD_STATUS" "0" "A stops cleanly"
start_a
assert_eq "$(grep -c ': 0 messages waiting' "$work/logA")" "2" "an empty queue after delivery (first and third start)"
sleep 1
assert_eq "$(maildir_count "$work/mdC")" "2" "nothing is sent again after a clean restart"
