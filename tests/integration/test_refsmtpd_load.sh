#!/usr/bin/env bash
# test_refsmtpd_load.sh - refsmtpd under load: thousands of idle sessions at once (memory
# per session is printed), and concurrent deliveries that all arrive intact while their
# fsyncs are grouped (messages > fsync batches). Figures are printed, never timed pass/fail.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
work=$(test_tmpdir)
md=$work/Maildir
port=$(free_port)
REFSMTPD_LOG=$work/log
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$md" --domain test.example --quiet

# 1. 2000 concurrent idle sessions, all greeted and answered; RSS per session printed.
python3 - "$port" "$REFSMTPD_PID" <<'PY' || fail "2000 concurrent sessions"
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
port, pid = int(sys.argv[1]), int(sys.argv[2])
N = 2000
def rss_kib():
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS"):
            return int(line.split()[1])
before = rss_kib()
socks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(N)]
for s in socks:
    assert s.recv(200).startswith(b"220"), "greeting"
for s in socks:
    s.sendall(b"NOOP\r\n")
for s in socks:
    r = s.recv(200)
    assert r.startswith(b"250"), r
time.sleep(0.2)
per = (rss_kib() - before) / N
print("figure: %d concurrent idle sessions, %.1f KiB RSS each (engine + daemon)" % (N, per))
assert per < 64, "memory per idle session grew to %.1f KiB" % per
for s in socks:
    s.close()
PY
pass "2000 concurrent sessions are served by one thread"

# 2. 40 clients x 10 messages at once; every message arrives once, byte for byte.
python3 - "$port" <<'PY' || fail "concurrent delivery"
import socket, sys, threading, time
port = int(sys.argv[1])
errors = []
def client(c):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        f = s.makefile("rb")
        def reply():
            while True:
                l = f.readline()
                if l[3:4] != b"-":
                    return l
        reply()
        s.sendall(b"EHLO load%d.example\r\n" % c); reply()
        for m in range(10):
            s.sendall(b"MAIL FROM:<c%d@load.example>\r\nRCPT TO:<bob@test.example>\r\nDATA\r\n" % c)
            for want in (b"250", b"250", b"354"):
                r = reply()
                assert r.startswith(want), r
            s.sendall(b"Subject: c%d m%d\r\n\r\n" % (c, m) + b"x" * 2000 + b"\r\n.\r\n")
            r = reply()
            assert r.startswith(b"250"), r
        s.sendall(b"QUIT\r\n"); reply()
    except Exception as e:
        errors.append("client %d: %r" % (c, e))
t0 = time.time()
threads = [threading.Thread(target=client, args=(c,)) for c in range(40)]
for t in threads: t.start()
for t in threads: t.join()
dt = time.time() - t0
assert not errors, errors[:3]
print("figure: 400 messages from 40 concurrent clients in %.2f s (%.0f msg/s)" % (dt, 400 / dt))
PY
count=$(find "$md/new" -type f | wc -l)
assert_eq "$count" 400 "all 400 messages are in new/"
assert_eq "$(find "$md/tmp" -type f | wc -l)" 0 "tmp/ is empty"
subjects=$(cat "$md"/new/* | grep -c '^Subject: c[0-9]* m[0-9]*' || true)
assert_eq "$subjects" 400 "every message is stored once"
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0"
line=$(grep 'stopped:' "$REFSMTPD_LOG")
echo "figure: $line"
msgs=$(sed -E 's/.*stopped: ([0-9]+) messages.*/\1/' <<<"$line")
batches=$(sed -E 's/.* in ([0-9]+) fsync batches.*/\1/' <<<"$line")
assert_eq "$msgs" 400 "the daemon counted 400 durable messages"
[ "$batches" -lt "$msgs" ] || fail "no fsync grouping: $batches batches for $msgs messages"
pass "fsyncs are grouped: $msgs messages in $batches batches"
echo "all passed"
