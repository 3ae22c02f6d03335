#!/usr/bin/env bash
# test_relay_deliver.sh - relaying (issue 7): a client that authenticated to A (RFC 4954)
# sends to a domain A does not serve; A queues it durably and relays it to B with the
# client engine (STARTTLS when B offers it); B's Maildir holds the message byte for byte
# plus the trace fields. Unauthenticated clients outside --relay-from cannot relay.
source "$SMTPCHECK_SRC/tests/integration/lib_relay.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_smtp_client.sh"
work=$(test_tmpdir)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mx.b.example \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
printf 'alice:%s\n' "$(openssl passwd -6 'alice pass')" >"$work/users"
pa=$(free_port)
psub=$(free_port)
pb=$(free_port)
pm=$(free_port)

REFSMTPD_LOG=$work/logB start_refsmtpd --listen "127.0.0.1:$pb" --maildir "$work/mdB" \
  --domain b.example --hostname mx.b.example --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
REFSMTPD_LOG=$work/logA start_refsmtpd --listen "127.0.0.1:$pa" \
  --listen-submission "127.0.0.1:$psub" --auth-users "$work/users" --allow-plain-auth \
  --maildir "$work/mdA" --domain a.example --hostname mx.a.example \
  --queue "$work/qA" --relay-host "127.0.0.1:$pb" --retry-min 1 --retry-max 2 \
  --metrics "127.0.0.1:$pm"
a_pid=$REFSMTPD_PID

# A message with what relaying must keep intact: a leading dot (RFC 5321 4.5.2), a
# line of 998 octets (4.5.3.1.6), an empty last line, and spaces at line ends.
python3 - "$work/msg" <<'PY'
import sys
body = (b"From: Alice <alice@a.example>\r\nTo: bob@b.example\r\nSubject: relay me\r\n"
        b"Message-ID: <relay-1@a.example>\r\n\r\n"
        b"first line\r\n.a line that starts with a dot\r\n..two dots\r\n"
        + b"x" * 998 + b"\r\ntrailing spaces   \r\n\r\n")
open(sys.argv[1], "wb").write(body)
PY

# 1. Authenticated submission to A for a remote recipient: 250 only once queued.
out=$(submit "$psub" alice@a.example bob@b.example "$work/msg" alice 'alice pass') ||
  fail "submission to A: $out"
pass "A accepts mail for b.example from an authenticated client"
wait_for '[ "$(maildir_count "$work/mdB")" -ge 1 ]' || fail "nothing reached B's Maildir"
file=$(find "$work/mdB/new" -type f)
strip_trace "$file" >"$work/got"
cmp "$work/msg" "$work/got" || fail "B's copy differs from what was submitted"
pass "B's Maildir holds the message byte for byte (after the trace fields)"
head -c 600 "$file" >"$work/head"
assert_contains "$(cat "$work/head")" "Return-Path: <alice@a.example>" "B adds Return-Path: with the original reverse-path"
assert_contains "$(cat "$work/head")" "by mx.b.example with ESMTPS" "A relayed to B over STARTTLS (RFC 3207; B's Received: says ESMTPS)"
assert_contains "$(cat "$work/head")" "by mx.a.example with ESMTPA" "A's own Received: field travels with the message (RFC 5321 4.4)"
assert_eq "$(grep -c '^Return-Path:' "$file")" "1" "only the final delivery adds Return-Path:"
assert_eq "$(maildir_count "$work/mdA")" "0" "nothing for a remote recipient lands in A's Maildir"
wait_for 'queue_empty "$work/qA"' || fail "A's queue still holds the message"
pass "A removes the message from its queue once B said 250"

# 2. A mixed transaction: the local recipient in A's Maildir, the remote one relayed.
out=$(submit "$psub" alice@a.example "carol@a.example bob@b.example" "$work/msg" alice 'alice pass') ||
  fail "mixed submission: $out"
wait_for '[ "$(maildir_count "$work/mdB")" -ge 2 ]' || fail "the mixed message did not reach B"
assert_eq "$(maildir_count "$work/mdA")" "1" "the local recipient's copy is in A's Maildir"
strip_trace "$(find "$work/mdA/new" -type f)" >"$work/got_local"
cmp "$work/msg" "$work/got_local" || fail "A's local copy differs"
pass "a transaction with local and remote recipients is stored once and relayed once"

# 3. Port 25 from an address outside --relay-from, without AUTH: no relaying (RFC 5321 7.1).
out=$(smtp_talk "$pa" <<'S'
< 220
> EHLO outsider.example
< 250
> MAIL FROM:<x@outsider.example>
< 250
> RCPT TO:<bob@b.example>
< 550
> RCPT TO:<carol@a.example>
< 250
> QUIT
< 221
S
) || fail "unauthenticated relay attempt: $out"
assert_contains "$out" "550 5.7.1" "an unauthenticated client cannot relay (550 5.7.1)"

# 4. The metrics endpoint saw it all.
assert_eq "$(scrape "$pm" refsmtpd_relay_delivered_total)" "2" "metrics count 2 relayed recipients"
assert_eq "$(scrape "$pm" refsmtpd_queue_messages)" "0" "metrics show an empty queue"
[ "$(scrape "$pm" refsmtpd_tls_sessions_total)" -ge 2 ] || fail "outbound STARTTLS not counted"
pass "outbound TLS sessions are counted"

# 5. A clean stop after relaying.
stop_refsmtpd_pid "$a_pid"
assert_eq "$REFSMTPD_STATUS" "0" "A exits 0 after SIGTERM"

# 6. --relay-tls require towards a next hop without STARTTLS: deferred, never sent in clear.
pb2=$(free_port)
pa2=$(free_port)
REFSMTPD_LOG=$work/logB2 start_refsmtpd --listen "127.0.0.1:$pb2" --maildir "$work/mdB2" \
  --domain b.example --hostname mx2.b.example
REFSMTPD_LOG=$work/logA2 start_refsmtpd --listen "127.0.0.1:$pa2" --maildir "$work/mdA2" \
  --domain a.example --hostname mx.a.example --queue "$work/qA2" --relay-host "127.0.0.1:$pb2" \
  --relay-from 127.0.0.1 --relay-tls require --retry-min 1 --retry-max 1
submit "$pa2" alice@a.example bob@b.example "$work/msg" >/dev/null || fail "submission to A2"
wait_for 'grep -q "STARTTLS required but not offered" "$work/logA2"' ||
  fail "A2 did not refuse the clear-text next hop"
assert_eq "$(maildir_count "$work/mdB2")" "0" "nothing was sent without TLS"
assert_eq "$(find "$work/qA2/new" -type f | wc -l)" "1" "the message waits in the queue"

# 7. BINARYMIME cannot be relayed as DATA (RFC 3030 3): refused at RCPT.
out=$(smtp_talk "$pa2" <<'S'
< 220
> EHLO client.example
< 250
> MAIL FROM:<alice@a.example> BODY=BINARYMIME
< 250
> RCPT TO:<bob@b.example>
< 550
> RCPT TO:<carol@a.example>
< 250
> QUIT
< 221
S
) || fail "BINARYMIME relay: $out"
assert_contains "$out" "550 5.6.3" "a BINARYMIME message is not accepted for relaying"
