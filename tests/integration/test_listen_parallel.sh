#!/usr/bin/env bash
# test_listen_parallel.sh - `smtpcheck listen` serves several clients at once (--parallel,
# default 8) in one poll loop: three raw Python clients that connect together and each
# hold their session open about a second are all greeted before the first one ends; each
# session is graded on its own (the one that closes without QUIT, and only that one,
# fails quit-sent); --parallel 1 still serializes (the second client is greeted only after
# the first session ended); a STARTTLS handshake that stalls does not hold up another
# client; --sessions N accepts no more than N clients. Assertions are on the order of
# events seen by the clients, not on timings.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
work=$(test_tmpdir)
sc=$SMTPCHECK_BIN/smtpcheck
[ -x "$sc" ] || fail "no smtpcheck at $sc"

source "$SMTPCHECK_SRC/tests/integration/lib_listen.sh"

# listen_json ARGS... - start_listen with a JSON report holding every transcript (-v).
listen_json() {
  rm -f "$work/report.json"
  start_listen --wait 30 --idle-timeout 10 -v --format json --output "$work/report.json" "$@"
}

# clients PLAN - run raw clients at once, one thread each, and print the events they saw
# in the order they happened, one "NAME EVENT" a line. PLAN is JSON: a list of
# {"name", "delay" (s before connecting), "hold" (s between EHLO and the end), "quit"
# (send QUIT, else just close), "tls" (STARTTLS), "stall" (s between the 220 to STARTTLS
# and the handshake)}. Events: connected, greeting, ehlo, starttls, tls, quit (the 221
# read), close, no-greeting (the connection ended or stayed silent without one).
clients() {
  python3 - "$port" "$1" <<'PY'
import json, re, socket, ssl, sys, threading, time
port, plan = int(sys.argv[1]), json.loads(sys.argv[2])
events, lock = [], threading.Lock()

def ev(name, what):
    with lock:
        events.append(f"{name} {what}")

def reply(s):
    buf = b""
    while not re.search(rb"(^|\r\n)\d{3} [^\r\n]*\r\n$", buf):
        d = s.recv(4096)
        if not d:
            raise ConnectionError("closed")
        buf += d
    return buf

def run(c):
    name = c["name"]
    time.sleep(c.get("delay", 0))
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ev(name, "connected")
    try:
        reply(s)
    except (OSError, ConnectionError):
        ev(name, "no-greeting")
        return
    ev(name, "greeting")
    s.sendall(f"EHLO {name}.example\r\n".encode())
    reply(s)
    ev(name, "ehlo")
    if c.get("tls"):
        s.sendall(b"STARTTLS\r\n")
        if not reply(s).startswith(b"220"):
            raise SystemExit(f"{name}: STARTTLS refused")
        ev(name, "starttls")
        time.sleep(c.get("stall", 0))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
        ev(name, "tls")
        s.sendall(f"EHLO {name}.example\r\n".encode())
        reply(s)
    time.sleep(c.get("hold", 0))
    if c.get("quit", True):
        s.sendall(b"QUIT\r\n")
        reply(s)
        ev(name, "quit")
    else:
        ev(name, "close")
    s.close()

threads = [threading.Thread(target=run, args=(c,)) for c in plan]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("\n".join(events))
PY
}

# run_clients PLAN - clients PLAN into $events (shown), then wait for the listener.
run_clients() {
  events=$(clients "$1")
  finish_listen
  echo "$events"
}

# assert_before "NAME EVENT" "NAME EVENT" WHAT - both events happened, the first one first.
assert_before() {
  local x y
  x=$(at ${1% *} ${1##* })
  y=$(at ${2% *} ${2##* })
  [ "$x" -gt 0 ] && [ "$y" -gt "$x" ] ||
    fail "$3: expected [$1] before [$2] in the events:"$'\n'"$events"
  pass "$3"
}

# at NAME EVENT - the line number of an event in $events (0 when it is not there).
at() {
  local n
  n=$(grep -nxF -- "$1 $2" <<<"$events" | head -1 | cut -d: -f1)
  echo "${n:-0}"
}

# session_names - "s1 a s2 b " : each session of the report and its client.
session_names() {
  sessions_json | cut -d' ' -f1,2 | tr '\n' ' '
}

# sessions_json - "sN NAME CHECK=RESULT ..." per session of the report: the client is the
# one whose EHLO is in the session's transcript, then every check that did not pass.
sessions_json() {
  python3 - "$work/report.json" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
by = {}
for t in r["tests"]:
    sess, check = t["id"].split("/", 1)
    e = by.setdefault(sess, {"name": "?", "bad": []})
    for x in t["transcript"]:
        m = re.match(r"EHLO (\w+)\.example", x["data"]) if x["dir"] == "C" else None
        if m:
            e["name"] = m.group(1)
    if t["result"] == "fail":
        e["bad"].append(check + "=fail")
for sess in sorted(by, key=lambda s: int(s[1:])):
    print(sess, by[sess]["name"], *by[sess]["bad"])
PY
}

# 1. Three clients at once, each holding its session ~1 s: all are greeted before the
# first one ends, so they were served together; c (no QUIT) alone fails quit-sent.
listen_json --sessions 3
start=$(date +%s%N)
run_clients '[{"name":"a","hold":1},{"name":"b","hold":1},{"name":"c","hold":1,"quit":false}]'
took=$((($(date +%s%N) - start) / 1000000))
echo "three 1 s sessions took ${took} ms"
first_end=$(grep -E ' (quit|close)$' <<<"$events" | head -1)
for c in a b c; do
  assert_before "$c greeting" "$first_end" "client $c is greeted before the first session ends"
done
# One by one they would take over 3 s (each is held 1 s); together about 1.2 s.
[ "$took" -lt 3000 ] || fail "three 1 s sessions took ${took} ms: served one by one"
pass "three 1 s sessions took less than 3 s together"
assert_eq "$status" 1 "a client without QUIT makes listen exit 1"
graded=$(sessions_json)
echo "$graded"
assert_eq "$(wc -l <<<"$graded")" 3 "the report has three sessions"
assert_eq "$(cut -d' ' -f1 <<<"$graded" | tr '\n' ' ')" "s1 s2 s3 " "they are s1, s2 and s3"
assert_eq "$(cut -d' ' -f2 <<<"$graded" | sort | tr '\n' ' ')" "a b c " \
  "each client is in exactly one session"
assert_contains "$graded" " c quit-sent=fail" "the client that closed without QUIT fails quit-sent"
assert_eq "$(grep -c '=fail' <<<"$graded")" 1 "no other check of any session fails"
grep -q 'session 3 from .* graded' "$work/listen.err" || fail "listen did not say it graded s3"
pass "listen says each session was graded"

# 2. --parallel 1: the second client waits in the backlog; its greeting comes only after
# the first session ended (it read the 221), and the sessions are s1 (a), s2 (b).
listen_json --sessions 2 --parallel 1
run_clients '[{"name":"a","hold":1},{"name":"b","delay":0.3}]'
assert_before "a quit" "b greeting" \
  "with --parallel 1 the second client is greeted after the first session ended"
assert_before "b connected" "a quit" \
  "the second client had connected (into the backlog) while the first was served"
assert_eq "$status" 0 "two clean sessions: exit 0"
assert_eq "$(session_names)" "s1 a s2 b " "sessions are numbered in order of acceptance"

# 3. STARTTLS per session, without blocking: a stalls 1.5 s between the 220 to STARTTLS and
# its handshake; b, arriving meanwhile, is served to the end before a's handshake starts;
# then a's TLS session completes.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -days 2 -subj /CN=localhost >/dev/null 2>&1 || fail "openssl cannot make a certificate"
listen_json --sessions 2 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
run_clients '[{"name":"a","tls":true,"stall":1.5},{"name":"b","delay":0.5}]'
assert_before "a starttls" "b connected" "b connects while a's handshake is pending"
assert_before "b quit" "a tls" "b is served to the end while a's handshake is pending"
assert_before "a tls" "a quit" "the stalled client's TLS session completes"
assert_eq "$status" 0 "both sessions pass: exit 0"
assert_eq "$(session_names)" "s1 a s2 b " "the TLS session and the plain one are graded apart"

# 4. --sessions 1 with room for more: only one of two clients that connect together is
# accepted; the other is never greeted, and the report holds one session.
listen_json --sessions 1 --parallel 4
run_clients '[{"name":"a"},{"name":"b"}]'
assert_eq "$(grep -c ' greeting$' <<<"$events")" 1 "exactly one client is greeted"
assert_eq "$(grep -c ' no-greeting$' <<<"$events")" 1 "the other is not accepted"
assert_eq "$(sessions_json | wc -l)" 1 "the report holds one session"

# 5. --parallel needs a count.
for bad in 0 -1 x 1025; do
  rc=0
  err=$("$sc" listen --parallel "$bad" 2>&1) || rc=$?
  assert_eq "$rc" 2 "--parallel $bad is a usage error"
  assert_contains "$err" "--parallel needs a number from 1 to 1024" "the message says what it takes"
done
