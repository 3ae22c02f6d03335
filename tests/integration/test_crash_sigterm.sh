#!/usr/bin/env bash
# test_crash_sigterm.sh - SIGTERM refsmtpd in the middle of a load (20 sessions, some inside
# DATA, some waiting for their fsync): it must stop within 10 s with status 0, sessions
# are told 421 (RFC 5321 3.8: a server shutting down may close with 421; a client still
# sending may see the reset first), every acknowledged message is whole in new/, nothing
# is left in tmp/,
# and a restart on the same Maildir delivers at once.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/bench/lib.sh"
bench_test_setup
work=$(test_tmpdir)
require_refsmtpd
md=$work/Maildir
acks=$work/acks
tag=term$$
: >"$acks"
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$md" --domain bench.test \
  --hostname term.bench --max-sessions 1000
python3 "$BENCH_TOOLS/smtpload.py" --port "$port" --sessions 20 --messages 1000000 \
  --size 50000 --tag "$tag" --ack-log "$acks" --timeout 15 >"$work/load.json" 2>&1 &
load=$!
bg_track "$load"
for _ in $(seq 1 300); do
  [ "$(grep -c '^ACK ' "$acks" || true)" -ge 150 ] && break
  sleep 0.1
done
t0=$(date +%s)
stop_refsmtpd
took=$(($(date +%s) - t0))
[ "$took" -le 10 ] || fail "refsmtpd took $took s to stop under load"
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd stopped under load within 10 s, status 0"
for _ in $(seq 1 300); do kill -0 "$load" 2>/dev/null || break; sleep 0.1; done
kill -0 "$load" 2>/dev/null && fail "the load client hung after the shutdown"
wait "$load" || true
pass "load client: $(cut -c1-400 "$work/load.json")"
n421=$(grep -c '^REJECT [0-9]* 421$' "$acks" || true)
[ "$n421" -ge 1 ] || fail "no session was told 421 at the shutdown"
pass "$n421 of 20 sessions read a 421 before the close (the others saw the reset first)"

out=$(python3 "$BENCH_TOOLS/maildir_verify.py" --maildir "$md" --tag "$tag" --size 50000 \
  --ack-log "$acks") || {
  echo "$out" >&2
  fail "acknowledged messages missing or partial after SIGTERM"
}
pass "every acknowledged message is whole in new/: $out"
leftover=$(find "$md/tmp" -type f | wc -l)
assert_eq "$leftover" 0 "a clean shutdown leaves nothing in tmp/"

port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$md" --domain bench.test --hostname term.bench
out=$(python3 "$BENCH_TOOLS/smtpload.py" --port "$port" --sessions 2 --messages 10 \
  --first 5000000 --size 2000 --tag "$tag" --ack-log "$work/acks2") || fail "no delivery after restart: $out"
pass "the restarted refsmtpd delivers: $out"
