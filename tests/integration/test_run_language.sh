#!/usr/bin/env bash
# test_run_language.sh - the script language's second-round features against refsmtpd:
# silence as an alternative, single-line, !~, '; CODES' conditions, require ext KW=PARAM /
# no-ext / size-limit / domain, $rcpt_local/$rcpt_domain (--domain), $size_limit,
# bdat/bdat-last (counted after expansion) and maildir count alternatives. Each test's id
# says the verdict it must get (pass-, fail-, skip-): every feature is shown both holding
# and failing, so none of the checks can pass vacuously.
set -euo pipefail
BIN=${SMTPCHECK_BIN:?}
SRC=${SMTPCHECK_SRC:?}
source "$SRC/tests/integration/lib_server.sh"
work=$(mktemp -d)
trap 'stop_refsmtpd; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}

mkdir -p "$work/suite" "$work/md"
cat >"$work/suite/language.smtp" <<'SCRIPT'
test pass-helo-single-line
  ref RFC 5321 4.1.1.1
  level MUST
  about a HELO reply is one line
  > HELO $ehlo
  < 250 single-line

test fail-ehlo-single-line
  ref RFC 5321 4.1.1.1
  level MUST
  about an EHLO reply with keywords is not one line
  > EHLO $ehlo
  < 250 single-line

test pass-helo-no-keyword-line
  ref RFC 5321 4.1.1.1
  level MUST
  about no line of the HELO reply names PIPELINING
  > HELO $ehlo
  < 250 !~ PIPELINING

test fail-ehlo-no-keyword-line
  ref RFC 5321 4.1.1.1
  level MUST
  about the EHLO reply does name PIPELINING
  > EHLO $ehlo
  < 250 !~ PIPELINING

test pass-condition-not-applicable
  ref RFC 5321 3.5.2
  level MUST
  about refsmtpd answers VRFY with 252, so the 250 condition does not apply
  ehlo
  > VRFY postmaster
  < 250|252 ; 250 ~ @
  > VRFY postmaster
  < 2xx ; 252 ~ 2.5.0 ; 252 single-line

test fail-condition-applies
  ref RFC 5321 3.5.2
  level MUST
  about a condition on 252 that the reply does not meet
  ehlo
  > VRFY postmaster
  < 250|252 ; 252 ~ @

test pass-silence-alternative-holds
  ref RFC 5321 4.1.1.4
  level MUST
  about nothing arrives while the data is incomplete
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<$rcpt>
  < 250
  > DATA
  < 354
  >> Subject: $token\r\n\r\nno end yet
  < silence 1|5xx|closed
  >> \r\n.\r\n
  < 250

test pass-silence-alternative-reply
  ref RFC 5321 4.1.1.9
  level MUST
  about a reply within the silence is judged by the codes
  ehlo
  > NOOP
  < silence 5|250 ; 250 single-line

test fail-silence-alternative-reply
  ref RFC 5321 4.1.1.9
  level MUST
  about a reply within the silence that no code allows
  ehlo
  > NOOP
  < silence 5|5xx

test pass-silence-alternative-closed
  ref RFC 5321 4.1.1.10
  level MUST
  about after QUIT the close is an allowed alternative
  > QUIT
  < 221
  < silence 5|5xx|closed

test fail-silence-alternative-closed-not-allowed
  ref RFC 5321 4.1.1.10
  level MUST
  about a close is not silence unless closed is listed
  > QUIT
  < 221
  < silence 5|5xx

test pass-size-limit
  ref RFC 1870 6
  level MUST
  about SIZE equal to the advertised limit is accepted, one over it gets 552
  require size-limit
  require ext SIZE=1000
  ehlo
  expect-ext SIZE=1000
  expect-no-ext SIZE=999
  > MAIL FROM:<$from> SIZE=$size_limit
  < 250
  > RSET
  < 250
  > MAIL FROM:<$from> SIZE=$size_over_limit
  < 552 ; 552 !~ $size_over_limit

test fail-expect-ext-param
  ref RFC 1870 4
  level MUST
  about the SIZE line does not carry 2000
  ehlo
  expect-ext SIZE=2000

test skip-auth-plain
  ref RFC 4954 4
  level MUST
  about refsmtpd offers no AUTH without --auth-users
  require ext AUTH=PLAIN
  ehlo

test skip-no-ext-size
  ref RFC 1870 4
  level MUST
  about the test is for servers without SIZE
  require no-ext SIZE
  ehlo

test pass-no-ext-dsn
  ref RFC 3461 4
  level MUST
  about refsmtpd does not offer DSN, so a DSN parameter is not recognized
  require no-ext DSN
  ehlo
  > MAIL FROM:<$from> RET=HDRS
  < 555|501

test domain-source-route
  ref RFC 5321 4.1.1.3
  level MUST
  about a forward-path built from $rcpt_local and $rcpt_domain
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<@relay.example:$rcpt_local@$rcpt_domain>
  < 250 ; 250 ~ 2.1.5

test pass-bdat-counted
  ref RFC 3030 2
  level MUST
  about bdat counts its content after expanding $token, so both chunks are read whole
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<$rcpt>
  < 250
  bdat Subject: $token\r\n\r\n
  < 250
  bdat-last body of $token\r\n.\r\nstill body\r\n
  < 250
  > NOOP
  < 250
  maildir count 1
  maildir has body of $token\r\n.\r\nstill body\r\n

test pass-maildir-count-alternative-largest
  ref RFC 5321 4.1.1.4
  level MUST
  about one delivery: count 0|1 passes once the step timeout has passed
  timeout 1
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<$rcpt>
  < 250
  > DATA
  < 354
  message
  < 250
  maildir count 0|1

test pass-maildir-count-alternative-smaller
  ref RFC 5321 4.1.1.4
  level MUST
  about no delivery: count 0|1 passes once the step timeout has passed
  timeout 1
  ehlo
  maildir count 0|1

test fail-maildir-count-alternative
  ref RFC 5321 4.1.1.4
  level MUST
  about one delivery is neither 0 nor 2
  timeout 1
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<$rcpt>
  < 250
  > DATA
  < 354
  message
  < 250
  maildir count 0|2

test pass-header-steps
  ref RFC 5322 2.2.3
  level MUST
  about the topmost field of a name, unfolded; names in any case; counts of fields
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<$rcpt>
  < 250
  > DATA
  < 354
  >> Subject: $token\r\nX-Test: first\r\n\tfolded  value \r\nx-test: second\r\nX-Tested: third\r\n\r\nX-Test: in the body\r\n.\r\n
  < 250
  maildir header X-Test ~ ^first[[:blank:]]folded  value$
  maildir header x-TEST !~ second|third|body
  maildir header X-Test count 2
  maildir header X-Test count 0|2
  maildir header X-Absent count 0
  maildir header Received ~ ^from smtpcheck\.invalid \(\[127\.0\.0\.1\]\)[[:space:]]+by mx\.test\.example
  maildir header Received !~ for[[:space:]]*<[^>]*>[^;]*<
  maildir header Return-Path count 1

test fail-header-count
  ref RFC 5322 2.2.3
  level MUST
  about two X-Test fields are neither one nor three
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<$rcpt>
  < 250
  > DATA
  < 354
  >> Subject: $token\r\nX-Test: a\r\nX-Test: b\r\n\r\nbody\r\n.\r\n
  < 250
  maildir header X-Test count 1|3

test fail-header-missing
  ref RFC 5322 2.2.3
  level MUST
  about a field the message does not have fails a pattern step, even a !~ one
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<$rcpt>
  < 250
  > DATA
  < 354
  message
  < 250
  maildir header X-Absent !~ anything

test fail-header-no-match
  ref RFC 5321 4.4
  level MUST
  about the topmost Received: field starts with from, not by
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<$rcpt>
  < 250
  > DATA
  < 354
  message
  < 250
  maildir header Received ~ ^by

test fail-header-match
  ref RFC 5321 4.4
  level MUST
  about the topmost Received: field names the server, so !~ its name fails
  ehlo
  > MAIL FROM:<$from>
  < 250
  > RCPT TO:<$rcpt>
  < 250
  > DATA
  < 354
  message
  < 250
  maildir header Received !~ by[[:space:]]+MX\.test

test fail-header-not-delivered
  ref RFC 5321 4.4
  level MUST
  about no message with the token: the header step fails at the step timeout
  timeout 1
  ehlo
  maildir header Received ~ .

test pass-skip-unless-not-taken
  ref RFC 5321 4.1.1.9
  level MUST
  about the reply matches skip-unless, so the test goes on (and passes)
  ehlo
  > NOOP
  < 250
  skip-unless 2xx NOOP was refused
  > NOOP
  < 250

test skip-unless-taken
  ref RFC 5321 3.3
  level MUST
  about the reply is not among skip-unless's codes: a skip, and no step after it runs
  ehlo
  > RCPT TO:<$rcpt>
  < 503|250
  skip-unless 250 RCPT without MAIL is refused here
  > NOOP
  < 550

test fail-skip-unless-spec-first
  ref RFC 5321 4.1.1.9
  level MUST
  about the spec is judged before skip-unless: a reply it does not allow fails
  ehlo
  > NOOP
  < 5xx
  skip-unless 5xx never
SCRIPT

port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$work/md" --domain test.example \
  --hostname mx.test.example --max-size 1000 --quiet

# judge FILE DOMAIN - every test got the verdict its id names; tests named domain-* pass
# when DOMAIN is "yes" and are skipped otherwise; specific reasons are what they say.
judge() {
  python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
with_domain = sys.argv[2] == "yes"
bad = []
reasons = {
    "fail-ehlo-single-line": "as a single-line reply, got ",
    "fail-ehlo-no-keyword-line": 'with no line containing "PIPELINING"',
    "fail-condition-applies": 'expected a 252 with a line containing "@"',
    "fail-silence-alternative-reply": "expected 5xx|silence 5, got 250",
    "fail-silence-alternative-closed-not-allowed": "closed the connection",
    "fail-expect-ext-param": "does not list SIZE=2000",
    "skip-auth-plain": "not offered: AUTH=PLAIN",
    "skip-no-ext-size": "offered: SIZE",
    "fail-maildir-count-alternative": "expected 0|2 delivered message(s)",
    "fail-header-count": "expected 1|3 X-Test: field(s) in the header of the delivered message, found 2",
    "fail-header-missing": "the delivered message has no X-Absent: field",
    "fail-header-no-match": "the first Received: field of the delivered message does not match /^by/: \"from smtpcheck.invalid ([127.0.0.1])\\tby mx.test.example",
    "fail-header-match": "the first Received: field of the delivered message matches /by[[:space:]]+MX\\.test/",
    "fail-header-not-delivered": "no delivered message with the test's token",
    "skip-unless-taken": "RCPT without MAIL is refused here (got 503)",
    "fail-skip-unless-spec-first": "expected 5xx, got 250",
}
for t in d["tests"]:
    tid = t["id"]
    want = tid.split("-")[0]
    if want == "domain":
        want = "pass" if with_domain else "skip"
    if t["result"] != want:
        bad.append(f"{tid}: {t['result']} ({t.get('reason', '')}), want {want}")
    elif tid in reasons and reasons[tid] not in t.get("reason", ""):
        bad.append(f"{tid}: reason {t.get('reason')!r} lacks {reasons[tid]!r}")
    if tid == "pass-bdat-counted":
        sent = [e["data"] for e in t["transcript"] if e["dir"] == "C" and e["data"].startswith("BDAT")]
        if len(sent) != 2:
            bad.append(f"{tid}: {len(sent)} BDAT writes, want 2")
        for w in sent:
            head, _, body = w.partition("\r\n")
            if int(head.split()[1]) != len(body.encode("utf-8")):
                bad.append(f"{tid}: {head!r} announces a size that is not the {len(body)} octets sent")
        if not sent[-1].split("\r\n")[0].endswith(" LAST"):
            bad.append(f"{tid}: the bdat-last chunk lacks LAST")
if with_domain and not any(t["id"] == "domain-source-route" for t in d["tests"]):
    bad.append("domain-source-route did not run")
for b in bad:
    print("  " + b)
print("summary:", d["summary"])
sys.exit(1 if bad else 0)
PY
}

status=0
timeout 120 "$BIN/smtpcheck" run --suite "$work/suite" --maildir "$work/md" --rcpt postmaster \
  --domain test.example --timeout 5 --jobs 8 -v --format json --output "$work/a.json" \
  "127.0.0.1:$port" || status=$?
[ "$status" = 1 ] || fail "exit status $status with MUST failures (want 1)"
judge "$work/a.json" yes || fail "verdicts with --domain"

# Without --domain (and --rcpt without one) $rcpt_domain has no value: skipped, not errored.
status=0
timeout 60 "$BIN/smtpcheck" run --suite "$work/suite" --only 'domain-*' --timeout 5 -v \
  --format json --output "$work/b.json" "127.0.0.1:$port" || status=$?
[ "$status" = 0 ] || fail "exit status $status for skipped tests (want 0)"
judge "$work/b.json" no || fail "verdicts without --domain"
grep -q 'needs a recipient domain' "$work/b.json" || fail "skip reason does not name --domain"

# The domain of --rcpt wins; --domain is for a --rcpt without one.
status=0
timeout 60 "$BIN/smtpcheck" run --suite "$work/suite" --only 'domain-*' --timeout 5 -v \
  --rcpt user@test.example --format json --output "$work/c.json" "127.0.0.1:$port" || status=$?
[ "$status" = 0 ] || fail "exit status $status with --rcpt user@test.example"
grep -q 'RCPT TO:<@relay.example:user@test.example>' "$work/c.json" ||
  fail "\$rcpt_local@\$rcpt_domain is not user@test.example"

# A bad --domain is a usage error.
status=0
"$BIN/smtpcheck" run --domain a@b "127.0.0.1:$port" >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "--domain a@b exited $status (want 2)"

# The suite's own trace and recipient-limit tests against a server that gets them wrong
# (bad_server.py below): it appends, after the message's own header fields, a Received:
# field without a BY clause, with a two-digit year and an alphabetic zone and a FOR clause
# naming every recipient; with a LIMIT it answers 452 to the recipients over it and then
# says 250 to the message but drops it. Each of those tests must fail for its own reason.
cat >"$work/bad_server.py" <<'PY'
import socket, sys, threading, time, os
maildir, limit = sys.argv[1], int(sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
srv.settimeout(1)
print(srv.getsockname()[1], flush=True)

def serve(c):
    f = c.makefile("rb")
    c.sendall(b"220 bad.test ESMTP\r\n")
    rcpts, over = [], False
    while True:
        line = f.readline(4096)
        if not line:
            return
        verb = line[:4].upper()
        if verb == b"EHLO":
            c.sendall(b"250-bad.test\r\n250 8BITMIME\r\n")
        elif verb == b"MAIL":
            rcpts, over = [], False
            c.sendall(b"250 ok\r\n")
        elif verb == b"RCPT" and limit and len(rcpts) >= limit:
            over = True
            c.sendall(b"452 4.5.3 too many recipients\r\n")
        elif verb == b"RCPT":
            rcpts.append(line[8:].strip().decode())
            c.sendall(b"250 ok\r\n")
        elif verb == b"DATA":
            c.sendall(b"354 go\r\n")
            data = b""
            while True:
                l = f.readline(100000)
                if not l or l == b".\r\n":
                    break
                data += l[1:] if l.startswith(b".") else l
            head, _, body = data.partition(b"\r\n\r\n")
            rec = ("Received: from client ([127.0.0.1]) with ESMTP id 1 for %s;\r\n"
                   "\tSun, 22 Nov 26 19:32:17 GMT\r\n" % ", ".join(rcpts)).encode()
            name = "%d.%d.bad" % (time.time_ns(), threading.get_ident())
            if not over:
                with open(os.path.join(maildir, "tmp", name), "wb") as out:
                    out.write(head + b"\r\n" + rec + b"\r\n" + body)
                os.rename(os.path.join(maildir, "tmp", name), os.path.join(maildir, "new", name))
            c.sendall(b"250 stored\r\n")
        elif verb == b"QUIT":
            c.sendall(b"221 bye\r\n")
            return
        else:
            c.sendall(b"250 ok\r\n")

end = time.time() + 60
while time.time() < end:
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    threading.Thread(target=lambda c=c: (serve(c), c.close()), daemon=True).start()
PY

# run_bad LIMIT NAME ONLY - run the tests matching ONLY against a fresh bad server with
# recipient LIMIT (0: none) into $work/NAME.json; the exit status must be 1 or 0 as $4 says.
run_bad() {
  local dir="$work/$2" port="" pid status=0
  mkdir -p "$dir/new" "$dir/cur" "$dir/tmp"
  python3 "$work/bad_server.py" "$dir" "$1" >"$dir.port" &
  pid=$!
  for _ in $(seq 1 50); do
    [ -s "$dir.port" ] && break
    sleep 0.1
  done
  port=$(head -1 "$dir.port")
  [ -n "$port" ] || fail "the bad server did not start"
  timeout 60 "$BIN/smtpcheck" run --only "$3" --maildir "$dir" --timeout 3 \
    --format json --output "$work/$2.json" "127.0.0.1:$port" || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "$status" = "$4" ] || fail "exit status $status against the bad server $2 (want $4)"
}
run_bad 100 bad 'trace-received-*' 1
run_bad 100 badlimit 'recipients-over-limit-*' 1
run_bad 0 nolimit 'recipients-over-limit-accepted-delivered' 0

# verdicts FILE ID=RESULT:REASON... - each test got RESULT with REASON in its reason.
verdicts() {
  python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
got = {t["id"]: t for t in d["tests"]}
bad = []
for arg in sys.argv[2:]:
    tid, _, rest = arg.partition("=")
    result, _, reason = rest.partition(":")
    t = got.get(tid)
    if t is None:
        bad.append(f"{tid} did not run")
    elif t["result"] != result or reason not in t.get("reason", ""):
        bad.append(f"{tid}: {t['result']} ({t.get('reason', '')}), want {result} with {reason!r}")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
}
verdicts "$work/bad.json" trace-received-added=pass: trace-received-from-clause=pass: \
  'trace-received-by-clause=fail:does not match' \
  'trace-received-date-time=fail:Sun, 22 Nov 26 19:32:17 GMT' \
  'trace-received-for-one-path=fail:matches' \
  'trace-received-prepended=fail:from old.example' ||
  fail "trace verdicts against the bad server"
verdicts "$work/badlimit.json" recipients-over-limit-orderly=pass: \
  "recipients-over-limit-accepted-delivered=fail:no delivered message with the test's token" ||
  fail "recipient-limit verdicts against the bad server that drops the message"
verdicts "$work/nolimit.json" \
  'recipients-over-limit-accepted-delivered=skip:no recipient limit reached within 250 RCPT commands (got 250)' ||
  fail "recipient-limit verdict against a server without a limit (a skip)"
echo "test_run_language: all verdicts as named"
