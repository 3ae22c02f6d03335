#!/usr/bin/env bash
# test_listen_grading.sh - `smtpcheck listen` against a scripted misbehaving client (raw
# sockets in Python), so that each client check is seen to fail when it should: talking
# before the greeting, bare LF, pipelining without PIPELINING, no dot-stuffing, 8-bit
# data without BODY=8BITMIME, AUTH in clear, MAIL before EHLO, closing without QUIT,
# content after a refused DATA; and the report: rewritten after every session with
# --sessions, every format, exit statuses, scenario errors.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
work=$(test_tmpdir)
sc=$SMTPCHECK_BIN/smtpcheck
[ -x "$sc" ] || fail "no smtpcheck at $sc"

source "$SMTPCHECK_SRC/tests/integration/lib_listen.sh"

# start_bounded ARGS... - start_listen with the bounds every case here uses.
start_bounded() {
  start_listen --wait 30 --idle-timeout 5 "$@"
}

# client SCRIPT - run a raw client: lines "send TEXT" (Python escapes), "read", "sleep S",
# "close"; every read waits 0.3 s for what the server says.
client() {
  python3 - "$port" "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.settimeout(2)
for step in sys.argv[2].split("\n"):
    step = step.strip()
    if not step:
        continue
    op, _, arg = step.partition(" ")
    if op == "send":
        s.sendall(arg.encode().decode("unicode_escape").encode("latin-1"))
    elif op == "read":
        time.sleep(0.3)
        try:
            s.recv(65536)
        except socket.timeout:
            pass
    elif op == "sleep":
        time.sleep(float(arg))
    elif op == "close":
        break
s.close()
PY
}

# result ID - "pass", "fail" or "skip" of one check in the JSON report.
result() {
  python3 - "$work/report.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(next((t["result"] for t in r["tests"] if t["id"] == sys.argv[2]), "missing"))
PY
}

# 1. A client that does everything wrong, in one session.
start_bounded --sessions 1 --format json --output "$work/report.json"
client '
send EHLO early.example\r\n
read
send MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n
read
send DATA\r\n
read
send Subject: x\n.not stuffed\r\ncaf\xc3\xa9\r\n.\r\n
read
send AUTH PLAIN AHVzZXIAc2VjcmV0\r\n
read
close'
finish_listen
assert_eq "$status" 1 "a MUST failure makes listen exit 1"
assert_eq "$(result s1/greeting-wait)" fail "EHLO before the greeting is seen"
assert_eq "$(result s1/data-crlf)" fail "a bare LF in the data is seen"
assert_eq "$(result s1/dot-stuffing)" fail "an unstuffed leading dot is seen"
assert_eq "$(result s1/data-8bit-declared)" fail "8-bit data without BODY=8BITMIME is seen"
assert_eq "$(result s1/no-auth-in-clear)" fail "AUTH without TLS is seen"
assert_eq "$(result s1/extension-offered)" fail "AUTH that was not offered is seen"
assert_eq "$(result s1/quit-sent)" fail "closing without QUIT is seen"
assert_eq "$(result s1/command-crlf)" pass "CRLF command lines pass"
assert_eq "$(result s1/pipelining-groups)" pass "MAIL+RCPT in one group with PIPELINING passes"

# 2. Without PIPELINING, the same group is a failure; MAIL before EHLO; bare LF commands.
cat >"$work/nopipe.scn" <<'SCN'
no-offer PIPELINING
reply-delay 50
SCN
start_bounded --sessions 1 --scenario "$work/nopipe.scn" --format json --output "$work/report.json"
client '
read
send MAIL FROM:<a@b.example>\r\n
read
send EHLO ok.example\n
read
send MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n
read
send QUIT\r\n
read'
finish_listen
assert_eq "$(result s1/hello-before-mail)" fail "MAIL before EHLO is seen"
assert_eq "$(result s1/command-crlf)" fail "a command ending in bare LF is seen"
assert_eq "$(result s1/no-unoffered-pipelining)" fail "pipelining without PIPELINING is seen"
assert_eq "$(result s1/mail-refused-reaction)" pass "EHLO after a refused MAIL is a fine reaction"
assert_eq "$(result s1/quit-sent)" pass "QUIT is seen"
assert_eq "$(result s1/quit-reply-read)" pass "the client read the 221"

# 3. Refused DATA followed by the content anyway; a refused RCPT repeated.
cat >"$work/refuse.scn" <<'SCN'
reply DATA 1 554 5.3.0 no
reply RCPT 1 550 5.1.1 no such user
SCN
start_bounded --sessions 1 --scenario "$work/refuse.scn" --format json --output "$work/report.json"
client '
read
send EHLO ok.example\r\n
read
send MAIL FROM:<a@b.example>\r\n
read
send RCPT TO:<c@d.example>\r\n
read
send RCPT TO:<c@d.example>\r\n
read
send DATA\r\n
read
send Subject: sent anyway\r\n
read
send QUIT\r\n
read'
finish_listen
assert_eq "$(result s1/no-repeat-after-5xx)" fail "repeating a 550-refused RCPT is seen"
assert_eq "$(result s1/data-refused-reaction)" fail "content after a refused DATA is seen"

# 4. A multi-line reply read only to its first line.
cat >"$work/multi.scn" <<'SCN'
split-delay 400
reply NOOP * 250 2.0.0 one\ntwo\nthree
SCN
start_bounded --sessions 1 --scenario "$work/multi.scn" --format json --output "$work/report.json"
client '
read
send EHLO ok.example\r\n
sleep 0.5
read
send NOOP\r\n
sleep 0.1
send QUIT\r\n
sleep 0.6
read'
finish_listen
assert_eq "$(result s1/multiline-reply-read)" fail "a command inside a split multi-line reply is seen"

# 5. --sessions 2: the report exists after the first session and is rewritten after the
# second; TAP, JUnit and text formats; a 421 greeting.
start_bounded --sessions 2 --format tap --output "$work/report.tap"
client 'read
send QUIT\r\n
read'
for _ in $(seq 100); do [ -s "$work/report.tap" ] && break; sleep 0.05; done
first=$(cat "$work/report.tap")
assert_contains "$first" "1..26" "after session 1 the TAP report holds one session's 26 checks"
client 'read
send QUIT\r\n
read'
finish_listen
assert_eq "$status" 0 "no MUST failed: exit 0"
assert_contains "$(cat "$work/report.tap")" "1..52" "after session 2 the report holds both sessions"
assert_contains "$(cat "$work/report.tap")" "s2/quit-sent" "session 2's checks are named s2/..."

start_bounded --sessions 1 --format junit --output "$work/report.xml"
client 'read
send HELO ok.example\r\n
read
send QUIT\r\n
read'
finish_listen
xml=$(cat "$work/report.xml")
assert_contains "$xml" "<testsuites" "the JUnit report is written"
assert_contains "$xml" "s1/ehlo-used" "HELO instead of EHLO is reported"
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$work/report.xml" ||
  fail "the JUnit report is not well-formed XML"
pass "the JUnit report parses"

printf 'greeting 421 4.3.2 busy\n' >"$work/busy.scn"
start_bounded --sessions 1 --scenario "$work/busy.scn"
client 'read
send EHLO late.example\r\n
read'
finish_listen
text=$(cat "$work/listen.out")
assert_contains "$text" "smtpcheck listen 127.0.0.1:" "the text report names smtpcheck listen"
assert_contains "$text" "26 tests: 0 passed, 0 failed, 26 skipped" "a 421 greeting leaves every check unexercised"

# 6. Usage errors: exit 2 with a message naming the file and line.
printf 'reply RCPT three 452\n' >"$work/bad.scn"
rc=0
err=$("$sc" listen --scenario "$work/bad.scn" 2>&1) || rc=$?
assert_eq "$rc" 2 "a bad scenario is a usage error"
assert_contains "$err" "bad.scn:1: reply needs a count" "the error names file and line"
rc=0
"$sc" listen --tls-cert "$work/nothing.pem" 2>/dev/null || rc=$?
assert_eq "$rc" 2 "--tls-cert without --tls-key is a usage error"

# 7. --help prints the usage and exits 0 without listening (it once went on to listen).
rc=0
out=$(timeout 10 "$sc" listen --help 2>&1) || rc=$?
assert_eq "$rc" 0 "listen --help exits 0 at once"
assert_contains "$out" "usage: smtpcheck listen" "listen --help prints the usage"
