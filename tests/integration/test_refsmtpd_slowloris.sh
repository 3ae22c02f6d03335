#!/usr/bin/env bash
# test_refsmtpd_slowloris.sh - a command line must end within --command-deadline of its
# first octet (default: the command timeout), however slowly it trickles in: a client
# sending one octet every 0.5 s gets 421 4.4.2 and is closed, instead of holding the
# session for ever because every read restarted the RFC 5321 4.5.3.2 timer. Lines that
# end in time keep the session however long it lasts (the clock restarts per line, also
# for a line that begins in the same read as the last one ended), and message content in
# DATA keeps only its per-block timeout (a big, slow message is legal). Every wait is
# bounded; the whole test takes about 30 s.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
source "$SMTPCHECK_SRC/bench/lib.sh"
bench_test_setup
require_refsmtpd
work=$(test_tmpdir)
H=$SMTPCHECK_SRC/bench/tools/hostile.py
trap 'rc=$?; bg_stop_all; stop_refsmtpd; (exit $rc); _assert_cleanup' EXIT

# float_le - succeed when $1 <= $2 (decimal numbers).
float_le() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }

# slow_client - PORT SCRIPT: run one scripted client (see the Python below); prints JSON.
# SCRIPT is a list of [seconds_to_wait_before, "bytes to send"] steps; afterwards the client
# reads until the server closes or 3 s pass. Prints every reply line and the seconds from
# the first octet sent to the server's close (null if it did not close).
slow_client() {
  timeout 60 python3 - "$1" "$2" <<'EOF'
import json, socket, sys, time
port, script = int(sys.argv[1]), json.loads(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf, closed, start, closed_after = b"", False, None, None

def pull(wait):
    global buf, closed, closed_after
    s.settimeout(max(wait, 0.001))
    end = time.monotonic() + wait
    try:
        while not closed:
            data = s.recv(65536)
            if not data:
                closed = True
                closed_after = round(time.monotonic() - start, 2) if start else 0.0
                break
            buf += data
            s.settimeout(max(end - time.monotonic(), 0.001))
    except (socket.timeout, BlockingIOError):
        pass
    except OSError:
        closed = True
        closed_after = round(time.monotonic() - start, 2) if start else 0.0

pull(1.0)  # the greeting
for wait, text in script:
    pull(wait)
    if closed:
        break
    if start is None:
        start = time.monotonic()
    try:
        s.sendall(text.encode())
    except OSError:
        break
pull(3.0)
lines = [l.decode(errors="replace") for l in buf.split(b"\r\n") if l]
print(json.dumps({"replies": lines, "closed_after": closed_after}))
EOF
}

# 1. The finding as reported: --timeout-command 2, one octet every 0.5 s. Before the fix
#    the session stayed open for the whole run; now the default deadline (2 s) cuts it.
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --no-store --hostname slow.test --timeout-command 2
out=$(timeout 30 python3 "$H" --port "$port" --timeout 12 trickle --interval 0.5)
echo "  trickle: $out"
assert_contains "$out" '"server_closed": true' "a trickling client is closed"
assert_contains "$out" '"421"' "a trickling client gets 421 before the close"
open_s=$(json_field "$out" seconds_open)
float_le "$open_s" 4 || fail "the trickling session stayed open $open_s s (deadline 2 s)"
pass "with --timeout-command 2 the trickling session is cut after $open_s s, not 12"
assert_contains "$(cat "$REFSMTPD_LOG")" "command line not finished in 2 s (--command-deadline)" \
  "the log names the per-line deadline"

# 2. The exact reply: 421 4.4.2 (RFC 3463: timeout), then the close.
out=$(slow_client "$port" '[[0,"N"],[0.5,"O"],[0.5,"O"],[0.5,"P"],[0.5," "],[0.5,"x"],[0.5,"x"],[0.5,"x"]]')
echo "  exact: $out"
assert_contains "$out" '421 4.4.2' "the deadline answers 421 4.4.2"
closed=$(json_field "$out" closed_after)
[ "$closed" != "None" ] || fail "the server did not close after its 421"
float_le "$closed" 3 || fail "closed $closed s after the first octet (deadline 2 s)"
pass "the server closed $closed s after the line's first octet"
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 on SIGTERM"

# 3. --command-deadline shorter than the idle timeout is the one that counts, and lines that
#    each end in time never trip it: four NOOPs at 0.25 s per octet take 1.5 s each (6 s in
#    all, three times the deadline), the third begins in the read that ends the second.
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --no-store --hostname slow.test --timeout-command 30 \
  --command-deadline 2
steps='[[0,"N"],[0.25,"O"],[0.25,"O"],[0.25,"P"],[0.25,"\r"],[0.25,"\n"],'
steps+='[0.25,"N"],[0.25,"O"],[0.25,"O"],[0.25,"P"],[0.25,"\r"],[0.25,"\nN"],'
steps+='[0.25,"O"],[0.25,"O"],[0.25,"P"],[0.25,"\r"],[0.25,"\n"],'
steps+='[0.25,"N"],[0.25,"O"],[0.25,"O"],[0.25,"P"],[0.25,"\r"],[0.25,"\n"],[0.25,"QUIT\r\n"]]'
out=$(slow_client "$port" "$steps")
echo "  in time: $out"
n250=$(python3 -c 'import json,sys; print(sum(l.startswith("250 ") for l in json.loads(sys.argv[1])["replies"]))' "$out")
assert_eq "$n250" 4 "four slow NOOPs that each end within the deadline all get 250"
assert_contains "$out" '221 ' "the session ends with QUIT, not with the deadline"
assert_not_contains "$out" '421' "no 421 for lines that end in time"

out=$(timeout 30 python3 "$H" --port "$port" --timeout 10 trickle --interval 0.5)
echo "  trickle: $out"
open_s=$(json_field "$out" seconds_open)
assert_contains "$out" '"421"' "--command-deadline 2 cuts a trickle under a 30 s idle timeout"
float_le "$open_s" 4 || fail "the trickling session stayed open $open_s s (--command-deadline 2)"
pass "--command-deadline 2 closes the trickle after $open_s s"

# 4. Inside DATA only the per-block timeout applies: content trickled for 5 s (2.5 times the
#    command deadline) is accepted. The end of DATA starts a fresh command-line clock.
data='[[0,"EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@slow.test>\r\nDATA\r\n"],[0.5,"Subject: x\r\n\r\n"]'
for _ in $(seq 1 10); do data+=',[0.5,"y"]'; done
data+=',[0.5,"\r\n.\r\n"],[0.5,"QUIT\r\n"]]'
out=$(slow_client "$port" "$data")
echo "  data: $out"
assert_contains "$out" '250 2.0.0' "content trickled for longer than the command deadline is accepted"
assert_contains "$out" '221 ' "the session goes on after DATA"
assert_not_contains "$out" '421' "no 421 inside DATA"
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 on SIGTERM"

# 5. The option's range.
set +e
bad=$(timeout 10 "$SMTPCHECK_BIN/refsmtpd" --listen 127.0.0.1:2525 --no-store --command-deadline 0 2>&1)
status=$?
set -e
assert_eq "$status" 2 "--command-deadline 0 exits 2"
assert_contains "$bad" "--command-deadline: '0' is not 1 to 86400 seconds" "the bad value is named"
