#!/usr/bin/env bash
# test_crash.sh - kill -9 refsmtpd in the middle of a load, three times, restarting it on the
# same Maildir each time. bench/tools/smtpload.py (20 sessions, unique Message-IDs) records
# every message that got its 250 after DATA, as the reply arrives. Afterwards every
# acknowledged message must be in new/ exactly as sent (plus trace lines), and every file
# in new/ must be a whole message (a 250 may be lost with the kill, a message never
# half-written): RFC 5321 6.1, "the receiver-SMTP MUST NOT lose the message" once it has
# answered 250. The restarted daemon must deliver again at once.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/bench/lib.sh"
bench_test_setup
work=$(test_tmpdir)
require_refsmtpd
md=$work/Maildir
acks=$work/acks
tag=crash$$
: >"$acks"

# ack_count - acknowledged messages so far.
ack_count() { grep -c '^ACK ' "$acks" || true; }

# start_daemon - refsmtpd on a fresh port over the same Maildir; sets PORT.
start_daemon() {
  PORT=$(free_port)
  start_refsmtpd --listen "127.0.0.1:$PORT" --maildir "$md" --domain bench.test \
    --hostname crash.bench --max-sessions 1000 --quiet
}

sizes=(2000 30000 200000)
for round in 1 2 3; do
  size=${sizes[$((round - 1))]}
  start_daemon
  before=$(ack_count)
  python3 "$BENCH_TOOLS/smtpload.py" --port "$PORT" --sessions 20 --messages 1000000 \
    --first $((round * 1000000)) --size "$size" --tag "$tag" --ack-log "$acks" \
    --timeout 10 >"$work/load$round.json" 2>&1 &
  load=$!
  bg_track "$load"
  want=$((before + 150))
  for _ in $(seq 1 300); do
    [ "$(ack_count)" -ge "$want" ] && break
    sleep 0.1
  done
  [ "$(ack_count)" -ge "$want" ] || fail "round $round: fewer than 150 messages acknowledged in 30 s"
  kill -KILL "$REFSMTPD_PID"
  wait "$REFSMTPD_PID" 2>/dev/null || true
  REFSMTPD_PID=
  for _ in $(seq 1 300); do
    kill -0 "$load" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$load" 2>/dev/null && fail "round $round: the load client hung after the kill"
  wait "$load" 2>/dev/null || true
  pass "round $round: killed refsmtpd after $(($(ack_count) - before)) acknowledged messages of $size octets ($(cat "$work/load$round.json"))"
done

start_daemon
out=$(python3 "$BENCH_TOOLS/smtpload.py" --port "$PORT" --sessions 5 --messages 50 \
  --first 9000000 --size 3000 --tag "$tag" --ack-log "$acks") || {
  echo "$out" >&2
  fail "the restarted refsmtpd does not deliver"
}
pass "after the last restart 50 more messages get 250"
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 on SIGTERM after the restarts"

# Messages of each round had their own size: check each set against its own generator.
fail_verify=0
for round in 1 2 3 9; do
  [ "$round" = 9 ] && size=3000 || size=${sizes[$((round - 1))]}
  grep -E "^ACK ${round}[0-9]{6}$" "$acks" >"$work/acks$round" || true
  mkdir -p "$work/only$round/new"
  # Link this round's files (by Message-ID) into a Maildir of their own for the checker.
  grep -l -E "^Message-ID: <$tag\.${round}[0-9]{6}@" -r "$md/new" "$md/cur" 2>/dev/null |
    while read -r f; do ln "$f" "$work/only$round/new/"; done
  out=$(python3 "$BENCH_TOOLS/maildir_verify.py" --maildir "$work/only$round" --tag "$tag" \
    --size "$size" --ack-log "$work/acks$round") || {
    echo "round $round: $out" >&2
    fail_verify=1
  }
  [ "$fail_verify" = 0 ] && pass "round $round: every acknowledged message is in new/, complete: $out"
done
[ "$fail_verify" = 0 ] || fail "acknowledged messages missing or partial files in new/"
total=$(maildir_count "$md")
sorted=$(find "$work"/only* -type f | wc -l)
assert_eq "$sorted" "$total" "every file in new/ belongs to one of the rounds (no stray or partial file)"
pass "$(find "$md/tmp" -type f | wc -l) files left in tmp/ by the kills (Maildir allows that)"
