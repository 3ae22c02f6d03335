#!/usr/bin/env bash
# test_run_reports.sh - the four report formats of `smtpcheck run` read by the tools that
# consume them: TAP by prove, JUnit by xmllint (or python's XML parser), JSON by python,
# text with its countable summary; --output, -v and --only/--skip.
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
fail() { echo "FAIL: $*"; exit 1; }

mkdir "$work/pass" "$work/mixed"
cat >"$work/pass/a.smtp" <<'SCRIPT'
test noop-works
  ref   RFC 5321 4.1.1.9
  level MUST
  about NOOP gets 250
  ehlo
  > NOOP
  < 250

test chunking-bdat
  ref   RFC 3030 2
  level MAY
  about BDAT LAST ends a message
  require ext CHUNKING
  ehlo
  > BDAT 0 LAST
  < 250
SCRIPT
cp "$work/pass/a.smtp" "$work/mixed/a.smtp"
cat >"$work/mixed/b.smtp" <<'SCRIPT'
# The fake server answers 250 to RSET: this SHOULD test fails on purpose, with octets that
# need escaping in every format.
test rset-wants-503
  ref   RFC 5321 4.1.1.5
  level SHOULD
  about A test that fails: <&> "quotes" and a control octet \x01
  > RSET <&>"\x01\xff
  < 503
SCRIPT

python3 "$SRC/tests/integration/run_fake_server.py" good 60 >"$work/port" &
server_pid=$!
for _ in $(seq 1 200); do grep -q '^[0-9][0-9]*$' "$work/port" 2>/dev/null && break; sleep 0.1; done
target=127.0.0.1:$(cat "$work/port")

# TAP: prove accepts the passing run and reports the failing one.
"$BIN/smtpcheck" run --suite "$work/pass" --format tap --output "$work/pass.tap" "$target"
grep -q '^TAP version 13$' "$work/pass.tap" || fail "no TAP version line"
grep -q '^ok 2 - chunking-bdat (RFC 3030 2, MAY) # SKIP not offered: CHUNKING$' "$work/pass.tap" ||
  fail "no SKIP directive"
prove -e cat "$work/pass.tap" >"$work/prove.out" 2>&1 || { cat "$work/prove.out"; fail "prove rejected a passing run"; }
status=0
"$BIN/smtpcheck" run --suite "$work/mixed" --format tap --output "$work/mixed.tap" "$target" || status=$?
[ "$status" = 0 ] || fail "a SHOULD failure must exit 0, got $status"
if prove -e cat "$work/mixed.tap" >"$work/prove.out" 2>&1; then
  cat "$work/prove.out"
  fail "prove accepted a run with a failure"
fi
grep -q 'Failed test:  3' "$work/prove.out" || { cat "$work/prove.out"; fail "prove did not name test 3"; }

# JUnit: valid against a JUnit schema (tests/integration/data/junit.xsd, the Jenkins/Ant
# shape), with the failure and the skip; -v adds system-out to passing cases, still valid.
# The schema is shown to reject a broken report, so a pass here means something.
"$BIN/smtpcheck" run --suite "$work/mixed" --format junit --output "$work/mixed.xml" "$target"
"$BIN/smtpcheck" run -v --suite "$work/mixed" --format junit --output "$work/mixed-v.xml" "$target"
xsd="$SRC/tests/integration/data/junit.xsd"
command -v xmllint >/dev/null || fail "xmllint is missing (libxml2-utils; ci/lib/common.sh installs it)"
for x in mixed mixed-v; do
  xmllint --noout --schema "$xsd" "$work/$x.xml" 2>"$work/xmllint.err" ||
    { cat "$work/xmllint.err"; fail "the JUnit report $x.xml does not validate against junit.xsd"; }
done
grep -q '<system-out>' "$work/mixed-v.xml" || fail "-v JUnit has no system-out for passing tests"
sed -e 's/ tests="[0-9]*"//' -e 's/<testcase name="[^"]*"/<testcase/' "$work/mixed.xml" >"$work/broken.xml"
if xmllint --noout --schema "$xsd" "$work/broken.xml" 2>/dev/null; then
  fail "junit.xsd accepted a report without tests= and testcase names"
fi
python3 - "$work/mixed.xml" <<'PY' || fail "JUnit content"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("tests") == "3", root.attrib
suite = root.find("testsuite")
cases = {c.get("name"): c for c in suite.findall("testcase")}
assert cases["chunking-bdat"].find("skipped") is not None
f = cases["rset-wants-503"].find("failure")
assert f is not None and f.get("type") == "SHOULD", f
assert "expected 503, got 250" in f.get("message"), f.get("message")
assert 'C: RSET <&>"\\x01\\xff\\r\\n' in f.text, f.text
assert cases["noop-works"].find("failure") is None
PY

# JSON: the documented names, every octet escaped, parseable by a strict parser.
"$BIN/smtpcheck" run --suite "$work/mixed" --format json "$target" >"$work/mixed.json"
python3 - "$work/mixed.json" <<'PY' || fail "JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"target", "duration_ms", "summary", "tests"}, d.keys()
assert d["summary"] == {"pass": 1, "fail": 1, "skip": 1, "error": 0}, d["summary"]
t = [t for t in d["tests"] if t["id"] == "rset-wants-503"][0]
assert set(t) == {"id", "ref", "level", "result", "reason", "duration_ms", "transcript"}, t.keys()
assert t["level"] == "SHOULD" and t["result"] == "fail" and t["ref"] == "RFC 5321 4.1.1.5"
sent = [e["data"] for e in t["transcript"] if e["dir"] == "C"]
assert sent == ['RSET <&>"\x01\u00ff\r\n'], sent
assert all(e["dir"] in ("C", "S") for e in t["transcript"])
PY

# Text: a table, the failure with its transcript, the countable summary; -v adds passes.
"$BIN/smtpcheck" run --suite "$work/mixed" "$target" >"$work/mixed.txt"
tail -n 1 "$work/mixed.txt" | grep -qx '3 tests: 1 passed, 1 failed (1 SHOULD), 1 skipped (not offered: CHUNKING)' ||
  { cat "$work/mixed.txt"; fail "text summary"; }
grep -q '^    C: RSET <&>"\\x01\\xff\\r\\n$' "$work/mixed.txt" || { cat "$work/mixed.txt"; fail "text transcript"; }
grep -q '^pass noop-works' "$work/mixed.txt" && fail "passing transcript shown without -v"
"$BIN/smtpcheck" run -v --suite "$work/mixed" "$target" | grep -q '^pass noop-works' || fail "-v"

# --only / --skip select by id glob.
"$BIN/smtpcheck" run --suite "$work/mixed" --only 'rset-*' --only 'noop-*' --skip 'noop-*' \
  --format json "$target" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [t["id"] for t in d["tests"]] == ["rset-wants-503"], d' || fail "--only/--skip"
echo "test_run_reports: all passed"
