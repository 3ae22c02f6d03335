#!/usr/bin/env bash
# test_refsmtpd_drain.sh - refsmtpd's timeouts (RFC 5321 4.5.3.2), session limits, and the
# SIGTERM drain: stop accepting, 421 to idle sessions, finish the transaction in flight,
# exit 0.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_smtp_client.sh"
work=$(test_tmpdir)
md=$work/Maildir

# wait_probe_closed - start_refsmtpd's readiness probe is a session too: wait until the
# daemon has seen it close, so it does not count against the limits tested below.
wait_probe_closed() {
  for _ in $(seq 50); do
    grep -q "session 1 close" "$REFSMTPD_LOG" && return 0
    sleep 0.1
  done
  fail "the readiness probe session never closed"
}

# 1. Timeouts: 1 s between commands, 2 s inside DATA.
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$md" --domain test.example \
  --timeout-command 1 --timeout-data 2
out=$(smtp_talk "$port" <<'S'
< 220
> EHLO idle.example
< 250
sleep 1.8
< 421
close
S
) || fail "command timeout: $out"
assert_contains "$out" "421 4.4.2" "an idle client gets 421 4.4.2 and is disconnected"
start=$(date +%s%N)
out=$(smtp_talk "$port" <<'S'
< 220
> EHLO slow.example
< 250
> MAIL FROM:<a@slow.example>
< 250
> RCPT TO:<bob@test.example>
< 250
> DATA
< 354
>raw Subject: partial\r\n
< 421
close
S
) || fail "data timeout: $out"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 1800 ] || fail "the DATA timeout fired after ${ms} ms; expected the 2 s data timeout"
pass "inside DATA the data timeout applies (${ms} ms)"
assert_eq "$(find "$md" -type f | wc -l)" 0 "a timed-out message leaves no file"
stop_refsmtpd

# 2. --max-sessions and --max-per-ip: the extra client gets one 421 line.
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --no-store --max-sessions 2
wait_probe_closed
python3 - "$port" <<'PY' || fail "--max-sessions"
import socket, sys, time
p = int(sys.argv[1])
keep = [socket.create_connection(("127.0.0.1", p), timeout=5) for _ in range(2)]
for k in keep:
    assert k.recv(100).startswith(b"220")
extra = socket.create_connection(("127.0.0.1", p), timeout=5)
r = extra.recv(200)
assert r.startswith(b"421 4.3.2"), r
assert extra.recv(100) == b""
keep[0].close(); time.sleep(0.3)
again = socket.create_connection(("127.0.0.1", p), timeout=5)
assert again.recv(100).startswith(b"220"), "a freed slot is usable again"
PY
pass "--max-sessions answers 421 4.3.2 beyond the limit and frees slots on close"
stop_refsmtpd
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --no-store --max-per-ip 1
wait_probe_closed
python3 - "$port" <<'PY' || fail "--max-per-ip"
import socket, sys
p = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", p), timeout=5)
assert a.recv(100).startswith(b"220")
b = socket.create_connection(("127.0.0.1", p), timeout=5)
r = b.recv(200)
assert r.startswith(b"421 4.7.0"), r
PY
pass "--max-per-ip answers 421 4.7.0 to a second session from one address"
stop_refsmtpd

# 3. The drain: an idle session and a session inside DATA when SIGTERM arrives.
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$md" --domain test.example
python3 - "$port" "$REFSMTPD_PID" <<'PY' || fail "drain"
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.makefile("rb")
def reply(f):
    lines = []
    while True:
        l = f.readline()
        if not l:
            return b"".join(lines) or b"(closed)"
        lines.append(l)
        if l[3:4] != b"-":
            return b"".join(lines)
idle, fi = conn(); reply(fi)
idle.sendall(b"EHLO idle.example\r\n"); reply(fi)
busy, fb = conn(); reply(fb)
for cmd in (b"EHLO busy.example", b"MAIL FROM:<a@busy.example>", b"RCPT TO:<bob@test.example>", b"DATA"):
    busy.sendall(cmd + b"\r\n"); r = reply(fb)
assert r.startswith(b"354"), r
busy.sendall(b"Subject: drain\r\n\r\nfirst half\r\n")
time.sleep(0.2)
os.kill(pid, signal.SIGTERM)
r = reply(fi)
assert r.startswith(b"421 4.3.2"), "idle session: %r" % r
assert reply(fi) == b"(closed)"
time.sleep(0.3)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    raise SystemExit("FAIL: still accepting during the drain")
except ConnectionRefusedError:
    pass
busy.sendall(b"second half\r\n.\r\n")
r = reply(fb)
assert r.startswith(b"250"), "in-flight message: %r" % r
r = reply(fb)
assert r.startswith(b"421 4.3.2") or r == b"(closed)", r
print("drain ok")
PY
pass "SIGTERM: idle sessions get 421, new connections are refused, the message in flight completes"
for _ in $(seq 50); do kill -0 "$REFSMTPD_PID" 2>/dev/null || break; sleep 0.1; done
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 after the drain"
file=$(find "$md/new" -type f)
assert_contains "$(cat "$file")" "second half" "the drained message was stored whole"
echo "all passed"
