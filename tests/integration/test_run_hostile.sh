#!/usr/bin/env bash
# test_run_hostile.sh - `smtpcheck run` against hostile fake servers (silent, closing in the
# middle of a reply, flooding, bare LF, binary garbage, mixed codes): every run ends within
# a bounded time with sane results and the documented exit status.
set -euo pipefail
BIN=${SMTPCHECK_BIN:?}
SRC=${SMTPCHECK_SRC:?}
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/suite"
cat >"$work/suite/basic.smtp" <<'SCRIPT'
test rcpt-without-mail
  ref   RFC 5321 3.3
  level MUST
  about RCPT before MAIL is refused with 503
  ehlo
  > RCPT TO:<$rcpt>
  < 503

test unknown-command
  ref   RFC 5321 4.2.4
  level MUST
  about An unknown command gets 500 and the session goes on
  ehlo
  > XYZZY
  < 500|502
  > NOOP
  < 250

test pipelined-transaction
  ref   RFC 2920 3.1
  level MUST
  about Pipelined MAIL, RCPT and DATA are answered in order
  require ext PIPELINING
  ehlo
  >+ MAIL FROM:<$from>
  >+ RCPT TO:<$rcpt>
  > DATA
  < 250
  < 250
  < 354
  message
  < 250
  > QUIT
  < 221
  < closed

test chunking-bdat
  ref   RFC 3030 2
  level MAY
  about BDAT LAST ends a message
  require ext CHUNKING
  ehlo
  > BDAT 0 LAST
  < 250
SCRIPT
mkdir "$work/crash"
cat >"$work/crash/crash.smtp" <<'SCRIPT'
test survives-crash-command
  ref   RFC 5321 4.2.4
  level SHOULD
  about An unknown command is refused and the server goes on serving
  ehlo
  > CRASH
  < 500|502|closed
  reconnect
  ehlo
SCRIPT

# start_fake MODE - start the fake server, set server_pid and port.
start_fake() {
  # A file per server: the shell truncates it only once the child runs, so a shared
  # file could still show the previous server's port.
  local file="$work/port.$1"
  python3 "$SRC/tests/integration/run_fake_server.py" "$1" 60 >"$file" &
  server_pid=$!
  for _ in $(seq 1 200); do
    grep -q '^[0-9][0-9]*$' "$file" 2>/dev/null && break
    sleep 0.1
  done
  port=$(cat "$file")
  [ -n "$port" ] || { echo "fake server $1 did not start"; exit 1; }
}

# stop_fake - stop the fake server started by start_fake.
stop_fake() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

# run_mode MODE WANT_EXIT CHECK - run the suite with a 1 s step timeout, bounded to 30 s
# in all; CHECK is python code judging the JSON report `d` (the file is $work/MODE.json).
run_mode() {
  local mode=$1 want=$2 check=$3 suite=${4:-$work/suite} status=0 start end
  start_fake "$mode"
  start=$(date +%s)
  timeout 30 "$BIN/smtpcheck" run --suite "$suite" --timeout 1 --jobs 4 \
    --format json --output "$work/$mode.json" "127.0.0.1:$port" || status=$?
  end=$(date +%s)
  stop_fake
  if [ "$status" != "$want" ]; then
    echo "FAIL $mode: exit $status, want $want"
    cat "$work/$mode.json" 2>/dev/null || true
    exit 1
  fi
  if [ $((end - start)) -gt 15 ]; then
    echo "FAIL $mode: took $((end - start)) s"
    exit 1
  fi
  python3 - "$work/$mode.json" "$check" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {t["id"]: t for t in d["tests"]}
ok = eval(sys.argv[2], {"d": d, "by": by, "s": d["summary"], "json": json})
if not ok:
    print("FAIL check:", sys.argv[2])
    print(json.dumps(d, indent=1)[:4000])
    sys.exit(1)
PY
  echo "ok $mode ($((end - start)) s)"
}

run_mode good 0 's == {"pass": 3, "fail": 0, "skip": 1, "error": 0} and by["chunking-bdat"]["reason"] == "not offered: CHUNKING"'
run_mode silent 1 's["error"] == 4 and all("probe" in t["reason"] for t in d["tests"])'
run_mode midreply 1 's["error"] == 4'
run_mode garbage 1 's["error"] == 4 and "not an SMTP reply" in by["rcpt-without-mail"]["reason"]'
run_mode flood 1 'by["rcpt-without-mail"]["result"] == "fail" and "without a complete reply" in by["rcpt-without-mail"]["reason"] and len(json.dumps(d)) < 2000000'
run_mode barelf 1 's["fail"] == 3 and all("LF without CR" in by[i]["reason"] for i in ("rcpt-without-mail", "unknown-command"))'
run_mode closer 1 'by["rcpt-without-mail"]["result"] == "fail" and "closed the connection" in by["rcpt-without-mail"]["reason"]'
run_mode mixed 1 '"different codes" in by["rcpt-without-mail"]["reason"]'
# A server that dies after what a test sent fails that test (it does not merely error);
# a SHOULD test, so the exit status stays 0.
run_mode dies 0 'by["survives-crash-command"]["result"] == "fail" and by["survives-crash-command"]["reason"].startswith("reconnect: ")' "$work/crash"
run_mode good 0 's["pass"] == 1' "$work/crash"

# Postfix's smtp-sink with a fault, where it is installed: -Q rcpt answers RCPT with 421
# and disconnects; the runner must judge that (a failure), not hang.
if command -v smtp-sink >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  sinkport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  smtp-sink -u nobody -Q rcpt "127.0.0.1:$sinkport" 10 &
  server_pid=$!
  for _ in $(seq 1 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $sinkport), 1).close()" 2>/dev/null && break
    sleep 0.1
  done
  status=0
  timeout 30 "$BIN/smtpcheck" run --suite "$work/suite" --timeout 1 --format json \
    --output "$work/sink.json" "127.0.0.1:$sinkport" || status=$?
  stop_fake
  [ "$status" = 1 ] || { echo "FAIL smtp-sink -Q rcpt: exit $status"; cat "$work/sink.json"; exit 1; }
  python3 -c "
import json, sys
d = json.load(open('$work/sink.json'))
t = [t for t in d['tests'] if t['id'] == 'rcpt-without-mail'][0]
sys.exit(0 if t['result'] == 'fail' and '421' in t['reason'] else 1)" || { echo "FAIL smtp-sink verdict"; cat "$work/sink.json"; exit 1; }
  echo "ok smtp-sink -Q rcpt"
fi
echo "test_run_hostile: all passed"
