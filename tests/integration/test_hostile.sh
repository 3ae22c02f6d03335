#!/usr/bin/env bash
# test_hostile.sh - hostile clients while a well-behaved client delivers 300 messages:
# 1,000 idle connections, a 10 MB line with no CRLF (RFC 5321 4.5.3.1.4 allows 512),
# a 10 MB line inside DATA (4.5.3.1.6 allows 1000; --max-size is 5 MB, so 552),
# 1 MB of NULs and binary garbage, 20 MB of pipelined NOOPs from a client that never reads
# its replies (the server must stop reading, not buffer replies: RFC 2920 backpressure), a garbage TLS handshake after STARTTLS and on the
# implicit-TLS port (RFC 8314), and 20 clients that vanish (RST) in the middle of DATA.
# Every good message must arrive byte for byte, no vanished message may be delivered,
# refsmtpd must stay up, keep the idle connections, greet a new client, and its resident
# memory may not grow by more than HOSTILE_RSS_MIB (default 16) over the idle baseline.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/bench/lib.sh"
bench_test_setup
work=$(test_tmpdir)
require_refsmtpd
md=$work/Maildir
tag=hostile$$
rss_limit_kib=$((${HOSTILE_RSS_MIB:-16} * 1024))
idle=1000
good=300
raise_nofile

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=hostile.bench \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1 || fail "openssl cannot make a certificate"
port=$(free_port)
tls_port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --listen-tls "127.0.0.1:$tls_port" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --maildir "$md" --domain bench.test \
  --hostname hostile.bench --max-size 5M --max-sessions 5000 --timeout-command 120 --timeout-data 60 --quiet
pid=$REFSMTPD_PID

# 1. The idle crowd.
python3 "$BENCH_TOOLS/hold.py" --port "$port" --count "$idle" --hold 300 \
  --ready-file "$work/hold.ready" >"$work/hold.out" 2>&1 &
hold=$!
bg_track "$hold"
wait_file "$work/hold.ready" 120 || fail "could not open $idle idle connections in 120 s"
greeted=$(json_field "$(cat "$work/hold.ready")" greeted)
assert_eq "$greeted" "$idle" "$idle idle connections are open and greeted"
sleep 0.5
rss_idle=$(rss_kib "$pid")
pass "refsmtpd VmRSS with $idle idle connections: $rss_idle KiB"

# 2. A sampler of refsmtpd's VmRSS, keeping the peak.
(
  peak=0
  while kill -0 "$pid" 2>/dev/null; do
    r=$(rss_kib "$pid")
    [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$work/rss.peak"
    sleep 0.05
  done
) &
bg_track $!

# 3. The well-behaved client, paced so that it delivers throughout the attacks.
python3 "$BENCH_TOOLS/smtpload.py" --port "$port" --sessions 5 --messages "$good" --size 5000 \
  --tag "$tag" --ack-log "$work/acks" --delay 0.02 >"$work/good.json" 2>&1 &
goodpid=$!
bg_track "$goodpid"

# 4. The attackers, all at once.
H=$BENCH_TOOLS/hostile.py
python3 "$H" --port "$port" --timeout 30 longline --bytes 10000000 >"$work/longline.json" &
a1=$!
python3 "$H" --port "$port" --timeout 30 garbage --bytes 1000000 >"$work/garbage.json" &
a2=$!
python3 "$H" --port "$port" --timeout 30 starttls-garbage >"$work/starttls.json" &
a3=$!
python3 "$H" --port "$tls_port" --timeout 30 tls-garbage >"$work/tls.json" &
a4=$!
python3 "$H" --port "$port" --timeout 30 vanish --repeat 20 >"$work/vanish.json" &
a5=$!
python3 "$H" --port "$port" --timeout 30 dataline --bytes 10000000 >"$work/dataline.json" &
a6=$!
python3 "$H" --port "$port" --timeout 30 noread --bytes 20000000 >"$work/noread.json" &
a7=$!
for a in $a1 $a2 $a3 $a4 $a5 $a6 $a7; do bg_track "$a"; done
for a in $a1 $a2 $a3 $a4 $a5 $a6 $a7; do
  for _ in $(seq 1 900); do kill -0 "$a" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$a" 2>/dev/null && fail "a hostile client did not finish in 90 s"
  wait "$a" || true
done
for f in longline garbage starttls tls vanish dataline noread; do
  echo "  $f: $(cut -c1-300 "$work/$f.json")"
done
kill -0 "$pid" 2>/dev/null || fail "refsmtpd died under the hostile clients"
pass "refsmtpd survived every hostile client"

# The server's answers to each attack.
ll=$(cat "$work/longline.json")
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if "500" in r["codes"] or r["server_closed"] else 1)' "$ll" ||
  fail "the 10 MB line got neither 500 (line too long) nor a close: $ll"
pass "the 10 MB line got 500 or a close"
gb=$(cat "$work/garbage.json")
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); c=r["codes"][1:]; sys.exit(0 if (c and all(x[:1] in "54" for x in c)) or r["server_closed"] else 1)' "$gb" ||
  fail "binary garbage got something other than 4xx/5xx replies: $gb"
pass "binary garbage got only 4xx/5xx replies (or a close), never a 2xx/3xx"
st=$(cat "$work/starttls.json")
assert_eq "$(json_field "$st" starttls)" 220 "STARTTLS is offered and answered 220"
assert_eq "$(json_field "$st" server_closed)" True "a garbage handshake after STARTTLS ends the connection"
assert_eq "$(json_field "$(cat "$work/tls.json")" server_closed)" True "a garbage handshake on the TLS port ends the connection"
assert_eq "$(json_field "$(cat "$work/vanish.json")" reached_data)" 20 "20 clients vanished inside DATA"
assert_eq "$(json_field "$(cat "$work/dataline.json")" end_of_data)" 552 \
  "a 10 MB message of one line gets 552 at its end (RFC 1870, over --max-size 5M)"
nr=$(cat "$work/noread.json")
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r["stalled"] or r["server_closed"] else 1)' "$nr" ||
  fail "refsmtpd kept reading 20 MB of NOOPs whose replies were never read: $nr"
pass "a client that never reads its replies is throttled (its writes stall) or closed"

# 5. The good client finishes; everything it sent is there, nothing else.
for _ in $(seq 1 600); do kill -0 "$goodpid" 2>/dev/null || break; sleep 0.1; done
wait "$goodpid" || fail "the well-behaved client lost messages: $(cat "$work/good.json")"
pass "the well-behaved client got $good 250s: $(cat "$work/good.json")"
out=$(python3 "$BENCH_TOOLS/maildir_verify.py" --maildir "$md" --tag "$tag" --size 5000 \
  --ack-log "$work/acks" --expect-count "$good") || {
  echo "$out" >&2
  fail "the Maildir does not hold exactly the good messages"
}
pass "the Maildir holds exactly the $good good messages, byte for byte: $out"
leftover=$(find "$md/tmp" -type f | wc -l)
assert_eq "$leftover" 0 "no file left in tmp/ by the vanished or refused messages"

# 6. Still serving, still holding the idle crowd, memory bounded.
out=$(python3 "$BENCH_TOOLS/hold.py" --port "$port" --count 1 --hold 0)
assert_eq "$(json_field "$(head -1 <<<"$out")" greeted)" 1 "a new client is greeted after the attacks"
kill "$hold"
wait "$hold" || true
closed=$(json_field "$(tail -1 "$work/hold.out")" closed_by_server)
assert_eq "$closed" 0 "none of the $idle idle connections was dropped (their timeout is 120 s)"
peak=$(cat "$work/rss.peak" 2>/dev/null || echo 0)
growth=$((peak - rss_idle))
[ "$growth" -le "$rss_limit_kib" ] ||
  fail "refsmtpd's VmRSS peaked at $peak KiB, $growth KiB over the idle $rss_idle KiB (limit $rss_limit_kib)"
pass "refsmtpd's VmRSS peaked at $peak KiB: +$growth KiB over idle (limit $rss_limit_kib)"
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 on SIGTERM"
