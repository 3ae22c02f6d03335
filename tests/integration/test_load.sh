#!/usr/bin/env bash
# test_load.sh - refsmtpd under load: Postfix's smtp-source delivers 10,000 messages over
# 100 concurrent sessions. smtp-source stops at the first reply that is not 2xx/3xx, so its
# success means 10,000 250s; the Maildir must then hold exactly 10,000 files, each one
# byte for byte the message smtp-source sent (after the Return-Path:/Received: trace
# lines refsmtpd puts on top, RFC 5321 4.4), no Message-Id twice, nothing left in tmp/,
# and refsmtpd's --metrics endpoint agrees (10,000 accepted, no 4xx/5xx).
# Then a second load through bench/tools/smtpload.py with PIPELINING (RFC 2920), three
# recipients per message and dot-stuffed lines: 1,000 messages over 20 sessions, every
# 250 logged, the Maildir holding exactly those messages, once each.
# LOAD_MESSAGES / LOAD_SESSIONS override the smtp-source counts.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/bench/lib.sh"
bench_test_setup
work=$(test_tmpdir)
require_refsmtpd
command -v smtp-source >/dev/null || fail "smtp-source is missing (apt-get install postfix)"
messages=${LOAD_MESSAGES:-10000}
sessions=${LOAD_SESSIONS:-100}
size=1000
from=load@client.test
rcpt=user@bench.test
md=$work/Maildir
port=$(free_port)
mport=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$md" --domain bench.test \
  --hostname load.bench --max-sessions 1000 --quiet --metrics "127.0.0.1:$mport"

secs=$(smtp_source_run "$sessions" "$messages" "$size" "$port" "$from" "$rcpt") ||
  fail "smtp-source saw an error reply or a dropped session"
pass "smtp-source got $messages 250s over $sessions sessions in $secs s"
kill -0 "$REFSMTPD_PID" 2>/dev/null || fail "refsmtpd died under load"

found=$(maildir_count "$md")
assert_eq "$found" "$messages" "the Maildir holds one file per 250"
out=$(python3 "$BENCH_TOOLS/maildir_verify.py" --maildir "$md" --smtp-source-length "$size" \
  --from "$from" --rcpt "$rcpt" --expect-count "$messages") || {
  echo "$out" >&2
  fail "delivered files differ from what smtp-source sent"
}
pass "every file is the sent message plus trace lines, no duplicates: $out"
leftover=$(find "$md/tmp" -type f | wc -l)
assert_eq "$leftover" 0 "nothing left in tmp/ after the load"
assert_eq "$(metric "$mport" refsmtpd_messages_accepted_total)" "$messages" \
  "the metrics endpoint counts $messages accepted messages"
assert_eq "$(metric "$mport" 'refsmtpd_replies_total{class="4xx"}')$(metric "$mport" 'refsmtpd_replies_total{class="5xx"}')" 00 \
  "the metrics endpoint counts no 4xx or 5xx reply"
pass "$(metric "$mport" refsmtpd_fsync_batches_total) fsync batches for $messages messages (group commit)"

maildir_clear "$md"
out=$(python3 "$BENCH_TOOLS/smtpload.py" --port "$port" --sessions 20 --messages 1000 \
  --pipelining --rcpts 3 --size 4000 --tag "load$$" --ack-log "$work/acks") || {
  echo "$out" >&2
  fail "the pipelined load did not get 1,000 250s"
}
pass "pipelined load, 3 recipients each: $out"
out=$(python3 "$BENCH_TOOLS/maildir_verify.py" --maildir "$md" --tag "load$$" --size 4000 \
  --ack-log "$work/acks" --expect-count 1000) || {
  echo "$out" >&2
  fail "the pipelined messages are not in the Maildir exactly as sent"
}
pass "every pipelined message is in new/ once, byte for byte: $out"

stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 on SIGTERM after the load"
