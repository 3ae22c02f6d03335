#!/usr/bin/env bash
# test_limits_disk.sh - refsmtpd's Maildir on a 1 MiB tmpfs fills up in the middle of a load.
# A message that could not be stored must not get 250: it gets 452 4.3.1 (RFC 5321 4.3.2:
# insufficient system storage; RFC 3463 4.3.1: mail system full; 451 4.3.0 is for other
# local errors, and would hide the cause from the client), every 250 is in new/ whole,
# no partial file is left in new/ or tmp/, the daemon stays up, and once space is freed
# it delivers again. Needs root (mount); fails rather than skips without it.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/bench/lib.sh"
bench_test_setup
work=$(test_tmpdir)
require_refsmtpd
mnt=$work/small
mkdir -p "$mnt"
mount -t tmpfs -o size=1m tmpfs "$mnt" || fail "cannot mount a tmpfs (this test needs root)"
# unmount_small - after the daemon has stopped (the EXIT trap stops it first otherwise).
unmount_small() { stop_refsmtpd; umount "$mnt" 2>/dev/null || true; }
trap 'bench_rc=$?; bg_stop_all; unmount_small; (exit $bench_rc); _assert_cleanup' EXIT
md=$mnt/Maildir
tag=disk$$
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$md" --domain bench.test --hostname disk.bench

python3 "$BENCH_TOOLS/smtpload.py" --port "$port" --sessions 2 --messages 120 --size 20000 \
  --tag "$tag" --ack-log "$work/acks" >"$work/load.json" || true
echo "  load: $(cat "$work/load.json")"
acked=$(grep -c '^ACK ' "$work/acks" || true)
rejected=$(grep -c '^REJECT ' "$work/acks" || true)
[ "$acked" -gt 0 ] || fail "no message was accepted before the disk filled"
[ "$rejected" -gt 0 ] || fail "the 1 MiB disk never filled (all $acked messages accepted?)"
pass "$acked messages stored, $rejected refused once the disk was full"
bad_codes=$(awk '/^REJECT / && $3 != "452" {print $3}' "$work/acks" | sort | uniq -c)
[ -z "$bad_codes" ] || fail "a message refused for want of disk space got other than 452: $bad_codes"
pass "every refused message got 452 (ENOSPC: insufficient system storage, transient)"
assert_contains "$(cat "$work/load.json")" "452 4.3.1 Insufficient system storage" \
  "the refusal carries the enhanced code 4.3.1 (RFC 3463: mail system full)"
kill -0 "$REFSMTPD_PID" 2>/dev/null || fail "refsmtpd died when the disk filled"
out=$(python3 "$BENCH_TOOLS/maildir_verify.py" --maildir "$md" --tag "$tag" --size 20000 \
  --ack-log "$work/acks" --expect-count "$acked") || {
  echo "$out" >&2
  fail "the Maildir on the full disk is not exactly the acknowledged messages"
}
pass "every acknowledged message is whole in new/, nothing else: $out"
leftover=$(find "$md/tmp" -type f | wc -l)
assert_eq "$leftover" 0 "no partial file left in tmp/"

find "$md/new" -type f -delete
out=$(python3 "$BENCH_TOOLS/smtpload.py" --port "$port" --sessions 1 --messages 5 --first 1000 \
  --size 20000 --tag "$tag" --ack-log "$work/acks2") || {
  echo "$out" >&2
  fail "refsmtpd does not deliver again after space was freed"
}
pass "with space freed, delivery works again: $out"
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 on SIGTERM"
