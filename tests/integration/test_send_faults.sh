#!/usr/bin/env bash
# test_send_faults.sh - `smtpcheck send` against misbehaving servers: Postfix's smtp-sink
# with its fault injection (5xx, 4xx, 421, silent disconnect, EHLO refused, a server that
# never replies) and a server that speaks no SMTP. Every run must end, within its
# timeout, with the right exit status and a reason.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
work=$(test_tmpdir)
send=$SMTPCHECK_BIN/smtpcheck
sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$sink" ] || {
  echo "skip: no smtp-sink (apt package postfix)"
  exit 0
}
sink_pid=
helper_pid=
trap 'cleanup' EXIT

# start_sink ARGS... - smtp-sink on a fresh loopback port ($sport), waited for (10 s).
start_sink() {
  sport=$(free_port)
  "$sink" -u nobody "$@" "127.0.0.1:$sport" 10 2>>"$work/sink.log" &
  sink_pid=$!
  for _ in $(seq 1 100); do
    port_accepts 127.0.0.1 "$sport" && return 0
    sleep 0.1
  done
  fail "smtp-sink did not start: $(cat "$work/sink.log")"
}

# stop_sink - stop the smtp-sink this script started, by its PID.
stop_sink() {
  if [ -n "$sink_pid" ]; then
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
    sink_pid=
  fi
}

# cleanup - stop what this script started (by PID), then the shared cleanup.
cleanup() {
  local st=$?
  stop_sink
  if [ -n "$helper_pid" ]; then
    kill "$helper_pid" 2>/dev/null || true
    wait "$helper_pid" 2>/dev/null || true
  fi
  (exit "$st")
  _assert_cleanup
}

# run_send ARGS... - smtpcheck send to the current sink; $out, $rc, $secs.
run_send() {
  local t0
  t0=$(date +%s)
  rc=0
  out=$(timeout 30 "$send" send --server "127.0.0.1:$sport" --from a@client.example \
    --to b@sink.example --ehlo client.example --timeout 3 -v "$@" </dev/null 2>&1) || rc=$?
  secs=$(($(date +%s) - t0))
}

# expect_rc WANT WHAT - the last run exited WANT, else fail showing its output.
expect_rc() {
  [ "$rc" = "$1" ] || fail "$2: exit $rc, wanted $1; output:
$out"
  pass "$2"
}

# 1. A sink that accepts everything: delivered, two copies with pipelining.
start_sink
run_send --count 2
expect_rc 0 "smtp-sink accepts two pipelined messages"
assert_contains "$out" "=== 2 of 2 messages delivered" "both are counted"
stop_sink

# 2. Hard and soft refusals at each step; the next message still gets its chance.
for step in MAIL RCPT DATA; do
  start_sink -f "$step"
  run_send --count 2
  expect_rc 1 "a 5xx at $step is a refusal"
  assert_contains "$out" "message 1 not delivered: $step failed with 5" "5xx at $step is reported"
  assert_contains "$out" "message 2 not delivered: $step failed with 5" \
    "the second message was tried too"
  [ "$(grep -c -- '-> RSET' <<<"$out")" = 1 ] || fail "one RSET between the messages: $out"
  pass "RSET after the failed transaction, before the next"
  stop_sink
done
start_sink -r RCPT
run_send
expect_rc 1 "a 4xx at RCPT is a refusal"
assert_contains "$out" "RCPT failed with 4" "4xx at RCPT is reported"
stop_sink
start_sink -f EHLO
run_send
expect_rc 0 "EHLO refused: HELO fallback delivers"
assert_contains "$out" "-> HELO client.example" "HELO follows a refused EHLO"
stop_sink

# 3. 421 and disconnects: no hang, exit 1, no QUIT after 421.
start_sink -Q RCPT
run_send
expect_rc 1 "421 at RCPT ends the session"
assert_contains "$out" "<- 421" "the 421 is shown"
assert_not_contains "$out" "-> QUIT" "nothing is sent after 421"
stop_sink
start_sink -q DATA
run_send --no-pipelining
expect_rc 1 "a silent disconnect after DATA is a failure"
assert_contains "$out" "connection closed by the server" "the disconnect is explained"
stop_sink

# 4. STARTTLS required from a server that does not offer it.
start_sink
run_send --starttls require
expect_rc 1 "STARTTLS required but not offered"
assert_contains "$out" "STARTTLS required but not offered" "the reason is given"
assert_not_contains "$out" "-> MAIL" "no mail goes out in clear"
stop_sink

# 5. A server that accepts and never speaks: the timeout ends it.
python3 - "$work/silent.port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
time.sleep(8)
PY
helper_pid=$!
for _ in $(seq 1 50); do [ -s "$work/silent.port" ] && break; sleep 0.1; done
sport=$(cat "$work/silent.port")
run_send --timeout 1
kill "$helper_pid" 2>/dev/null || true
wait "$helper_pid" 2>/dev/null || true
helper_pid=
expect_rc 1 "a silent server is a failure"
assert_contains "$out" "timed out" "the timeout is named"
[ "$secs" -le 4 ] || fail "took $secs s with --timeout 1"
pass "the silent server is given up after about --timeout"

# 6. A server that speaks HTTP instead of SMTP.
python3 - "$work/http.port" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
c.recv(100)
c.close()
PY
helper_pid=$!
for _ in $(seq 1 50); do [ -s "$work/http.port" ] && break; sleep 0.1; done
sport=$(cat "$work/http.port")
run_send
wait "$helper_pid" 2>/dev/null || true
helper_pid=
expect_rc 1 "a non-SMTP server is a failure"
assert_contains "$out" "malformed reply" "the reply is called malformed"
