#!/usr/bin/env bash
# test_relay_retry.sh - transient failures when relaying (RFC 5321 4.5.4.1): a 4xx from
# the next hop (Postfix smtp-sink -r) and a next hop that is down are retried with
# backoff, and the message is delivered exactly once when the next hop recovers. A
# message that outlives --queue-lifetime bounces (Action: failed, Status 4.4.7).
source "$SMTPCHECK_SRC/tests/integration/lib_relay.sh"
work=$(test_tmpdir)
pa=$(free_port)
pb=$(free_port)
pm=$(free_port)
sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$sink" ] || fail "Postfix smtp-sink is not installed"
REFSMTPD_LOG=$work/logA start_refsmtpd --listen "127.0.0.1:$pa" --maildir "$work/mdA" \
  --domain a.example --hostname mx.a.example --queue "$work/qA" \
  --relay-host "127.0.0.1:$pb" --relay-from 127.0.0.1 --retry-min 1 --retry-max 2 \
  --metrics "127.0.0.1:$pm"
a_pid=$REFSMTPD_PID
printf 'From: alice@a.example\r\nSubject: try again\r\n\r\nonce only\r\n' >"$work/msg"

# 1. The next hop answers RCPT with 450 (smtp-sink -r rcpt): the message stays queued.
"$sink" -u nobody -r rcpt "127.0.0.1:$pb" 10 2>"$work/sink.log" &
sink_pid=$!
# Stop the sink too if a check fails (then the usual cleanup, with the exit status kept).
trap 'rc=$?; kill "$sink_pid" 2>/dev/null; (exit $rc); _assert_cleanup' EXIT
wait_for 'port_accepts 127.0.0.1 "$pb"' || fail "smtp-sink did not start"
submit "$pa" alice@a.example bob@b.example "$work/msg" >/dev/null || fail "submission to A"
wait_for '[ "$(scrape "$pm" refsmtpd_relay_deferred_total)" -ge 2 ]' ||
  fail "A did not retry after 4xx"
pass "a 4xx from the next hop is retried (at least two attempts)"
assert_eq "$(find "$work/qA/new" -type f | wc -l)" "1" "the message stays in the queue"
assert_contains "$(cat "$work/logA")" "deferred" "the log says deferred"
assert_eq "$(maildir_count "$work/mdA")" "0" "no bounce for a transient failure"
kill "$sink_pid"
wait "$sink_pid" 2>/dev/null || true
trap _assert_cleanup EXIT

# 2. The next hop is down for a while (connection refused), then comes up: delivered once.
sleep 1.5
before=$(scrape "$pm" refsmtpd_relay_deferred_total)
wait_for '[ "$(scrape "$pm" refsmtpd_relay_deferred_total)" -gt "$before" ]' ||
  fail "no retry while the next hop was down"
pass "a refused connection is retried too"
REFSMTPD_LOG=$work/logB start_refsmtpd --listen "127.0.0.1:$pb" --maildir "$work/mdB" \
  --domain b.example --hostname mx.b.example
wait_for 'queue_empty "$work/qA"' || fail "the message was not delivered after B came up"
sleep 3 # two more backoff periods: a duplicate would show up now
assert_eq "$(maildir_count "$work/mdB")" "1" "delivered exactly once after the retries"
assert_contains "$(cat "$(find "$work/mdB/new" -type f)")" "once only" "B got the message"
assert_eq "$(scrape "$pm" refsmtpd_relay_delivered_total)" "1" "one delivery counted"
stop_refsmtpd_pid "$a_pid"
assert_eq "$REFSMTPD_STATUS" "0" "A exits 0 after the retries"

# 3. Expiry: a next hop that never answers; after --queue-lifetime the sender gets a bounce.
dead=$(free_port)
REFSMTPD_LOG=$work/logA2 start_refsmtpd --listen "127.0.0.1:$pa" --maildir "$work/mdA2" \
  --domain a.example --hostname mx.a.example --queue "$work/qA2" \
  --relay-host "127.0.0.1:$dead" --relay-from 127.0.0.1 --retry-min 1 --retry-max 1 \
  --queue-lifetime 3
submit "$pa" alice@a.example far@elsewhere.example "$work/msg" >/dev/null ||
  fail "submission to A2"
wait_for '[ "$(maildir_count "$work/mdA2")" -ge 1 ]' || fail "no bounce after the lifetime"
dsn=$(cat "$(find "$work/mdA2/new" -type f)")
assert_contains "$dsn" "Final-Recipient: rfc822; far@elsewhere.example" "the expired recipient is reported"
assert_contains "$dsn" "Action: failed" "Action: failed after expiry"
assert_contains "$dsn" "Status: 4.4.7" "Status 4.4.7: delivery time expired (RFC 3463 3.5)"
assert_contains "$dsn" "Connection refused" "the last error is reported"
wait_for 'queue_empty "$work/qA2"' || fail "the expired message is still queued"
pass "the expired message left the queue"
stop_refsmtpd_pid "$REFSMTPD_PID"
assert_eq "$REFSMTPD_STATUS" "0" "A2 exits 0 after the expiry"
