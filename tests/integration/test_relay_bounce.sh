#!/usr/bin/env bash
# test_relay_bounce.sh - permanent failures (5xx) when relaying produce one RFC 3464
# bounce for the failed recipients only, sent with MAIL FROM:<> to the reverse-path: into
# A's Maildir for a local sender, relayed for a remote one; never for the null
# reverse-path. Routes come from a --routes file.
source "$SMTPCHECK_SRC/tests/integration/lib_relay.sh"
work=$(test_tmpdir)
pa=$(free_port)
pb=$(free_port)
pm=$(free_port)
# B serves b.example only: RCPT for nobody@d.example gets 550 5.7.1 there.
printf '# test routes\nb.example 127.0.0.1:%s\nd.example 127.0.0.1:%s\n\nB.Example. 127.0.0.1:1\n' \
  "$pb" "$pb" >"$work/routes"
REFSMTPD_LOG=$work/logB start_refsmtpd --listen "127.0.0.1:$pb" --maildir "$work/mdB" \
  --domain b.example --hostname mx.b.example
REFSMTPD_LOG=$work/logA start_refsmtpd --listen "127.0.0.1:$pa" --maildir "$work/mdA" \
  --domain a.example --hostname mx.a.example --queue "$work/qA" --routes "$work/routes" \
  --relay-from 127.0.0.0/8 --relay-from ::1 --retry-min 1 --retry-max 1 --metrics "127.0.0.1:$pm"
a_pid=$REFSMTPD_PID
printf 'From: alice@a.example\r\nSubject: partly deliverable\r\nX-Marker: bounce-test\r\n\r\nbody\r\n' \
  >"$work/msg"

# 1. One good and one refused recipient from a local sender (relay allowed by address).
submit "$pa" alice@a.example "bob@b.example nobody@d.example" "$work/msg" >/dev/null ||
  fail "submission to A"
wait_for '[ "$(maildir_count "$work/mdA")" -ge 1 ]' || fail "no bounce in A's Maildir"
assert_eq "$(maildir_count "$work/mdB")" "1" "the good recipient was delivered to B"
dsn=$(cat "$(find "$work/mdA/new" -type f)")
assert_contains "$dsn" "Return-Path: <>" "the bounce has the null reverse-path (RFC 5321 4.5.5)"
assert_contains "$dsn" "To: <alice@a.example>" "the bounce goes to the original sender"
assert_contains "$dsn" "Content-Type: multipart/report; report-type=delivery-status;" "a multipart/report (RFC 3464 2)"
assert_contains "$dsn" "Content-Type: message/delivery-status" "with a message/delivery-status part"
assert_contains "$dsn" "Reporting-MTA: dns; mx.a.example" "Reporting-MTA names A"
assert_contains "$dsn" "Final-Recipient: rfc822; nobody@d.example" "Final-Recipient is the refused recipient"
assert_contains "$dsn" "Action: failed" "Action: failed"
assert_contains "$dsn" "Status: 5.7.1" "Status comes from B's enhanced code"
assert_contains "$dsn" "Diagnostic-Code: smtp; 550 5.7.1" "Diagnostic-Code carries B's reply"
assert_contains "$dsn" "Content-Type: text/rfc822-headers" "the original headers come back (RFC 6522)"
assert_contains "$dsn" "X-Marker: bounce-test" "the returned headers are the original's"
assert_not_contains "$dsn" "Final-Recipient: rfc822; bob@b.example" "the delivered recipient is not in the bounce"
if grep -qx $'body\r' "$(find "$work/mdA/new" -type f)"; then
  fail "the original body was returned"
fi
pass "the original body is not returned (headers only)"
wait_for 'queue_empty "$work/qA"' || fail "A's queue still holds the message"
pass "the queue is empty once every recipient is delivered or bounced"

# 2. The null reverse-path: the failure is logged, no bounce is made (RFC 5321 6.1).
submit "$pa" "" "nobody@d.example" "$work/msg" >/dev/null || fail "submission with <>"
wait_for 'grep -q "no bounce for the null reverse-path" "$work/logA"' ||
  fail "A did not finish the null-sender message"
assert_eq "$(maildir_count "$work/mdA")" "1" "no bounce for the null reverse-path"

# 3. A remote sender: the bounce is relayed (MAIL FROM:<>) into B's Maildir.
submit "$pa" sender@b.example "nobody@d.example" "$work/msg" >/dev/null ||
  fail "submission from a remote sender"
wait_for '[ "$(maildir_count "$work/mdB")" -ge 2 ]' || fail "the bounce did not reach B"
remote=$(grep -l "Final-Recipient: rfc822; nobody@d.example" "$work"/mdB/new/*) ||
  fail "no DSN in B's Maildir"
assert_contains "$(head -n 1 "$remote")" "Return-Path: <>" "the relayed bounce was sent with MAIL FROM:<>"
assert_eq "$(maildir_count "$work/mdA")" "1" "a remote sender's bounce is not stored at A"

# 4. Counted.
assert_eq "$(scrape "$pm" refsmtpd_relay_bounced_total)" "3" "three recipients bounced"
assert_eq "$(scrape "$pm" refsmtpd_bounces_total)" "2" "two DSNs generated (none for <>)"
stop_refsmtpd_pid "$a_pid"
assert_eq "$REFSMTPD_STATUS" "0" "A exits 0 (no sanitizer report) after bouncing"
