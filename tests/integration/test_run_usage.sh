#!/usr/bin/env bash
# test_run_usage.sh - exit statuses and messages of `smtpcheck run` and `smtpcheck list`:
# 2 for usage and script errors (FILE:LINE, nothing run), 3 for an unreachable server;
# list as a table and as COVERAGE.md markdown with UNCHECKABLE.md appended.
set -euo pipefail
BIN=${SMTPCHECK_BIN:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# expect_status WANT CMD... - run CMD, check its exit status, keep stderr in $work/err.
expect_status() {
  local want=$1 status=0
  shift
  timeout 30 "$@" >"$work/out" 2>"$work/err" || status=$?
  if [ "$status" != "$want" ]; then
    cat "$work/out" "$work/err"
    fail "'$*' exited $status, want $want"
  fi
}

# A port nothing listens on.
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

expect_status 2 "$BIN/smtpcheck" run
grep -q '^usage: smtpcheck run' "$work/err" || fail "no usage line"
expect_status 2 "$BIN/smtpcheck" run --format xml 127.0.0.1
expect_status 2 "$BIN/smtpcheck" run --jobs 0 127.0.0.1
expect_status 2 "$BIN/smtpcheck" run --timeout -1 127.0.0.1
expect_status 2 "$BIN/smtpcheck" run --auth nocolon 127.0.0.1
expect_status 2 "$BIN/smtpcheck" run --bogus 127.0.0.1
expect_status 2 "$BIN/smtpcheck" run 127.0.0.1 127.0.0.2
expect_status 2 "$BIN/smtpcheck" run --only 'no-such-test-*' "127.0.0.1:$dead"
expect_status 0 "$BIN/smtpcheck" run --help

# Unreachable: exit 3 with the reason.
expect_status 3 "$BIN/smtpcheck" run --timeout 2 "127.0.0.1:$dead"
grep -q "cannot reach 127.0.0.1:$dead" "$work/err" || { cat "$work/err"; fail "no reason for exit 3"; }

# Script errors: FILE:LINE: message for each, exit 2, nothing run (the dead port is not
# even tried: the status would be 3).
mkdir -p "$work/bad/sub"
printf 'test ok-one\n ref R 1\n level MUST\n about x\n ehlo\n' >"$work/bad/a.smtp"
printf 'test two\n ref R\n level MUST\n about y\n > $nosuch\n < 99\n' >"$work/bad/sub/b.smtp"
printf 'test ok-one\n ref R\n level MAY\n about z\n close\n' >"$work/bad/sub/c.smtp"
expect_status 2 "$BIN/smtpcheck" run --suite "$work/bad" "127.0.0.1:$dead"
grep -qx "sub/b.smtp:5: unknown variable '\$nosuch'" "$work/err" || { cat "$work/err"; fail "variable error"; }
grep -q "^sub/b.smtp:6: bad reply spec '99'" "$work/err" || { cat "$work/err"; fail "spec error"; }
grep -qx "sub/c.smtp:1: duplicate test id 'ok-one' (first at a.smtp:1)" "$work/err" ||
  { cat "$work/err"; fail "duplicate error"; }
[ -s "$work/out" ] && fail "a report was written despite script errors"
expect_status 2 "$BIN/smtpcheck" list --suite "$work/bad"
expect_status 2 "$BIN/smtpcheck" run --suite "$work/nonexistent" "127.0.0.1:$dead"

# list: the embedded catalogue as a table, and as markdown grouped by RFC and section.
expect_status 0 "$BIN/smtpcheck" list
head -n 1 "$work/out" | grep -q '^ID  *LEVEL  *REF  *ABOUT$' || fail "list header"
tail -n 1 "$work/out" | grep -Eq '^[0-9]+ tests?$' || fail "list count"
expect_status 2 "$BIN/smtpcheck" list --format html
mkdir "$work/good"
printf 'test b-test\n ref RFC 5321 4.1.10\n level MUST\n about b | pipe\n close\n' >"$work/good/x.smtp"
printf 'test a-test\n ref RFC 5321 4.1.9\n level SHOULD\n about a\n close\n' >>"$work/good/x.smtp"
printf 'test c-test\n ref RFC 1870 6\n level MAY\n about c\n close\n' >>"$work/good/x.smtp"
printf '## Not checkable from outside\n\n- RFC 5321 4.4: trace fields\n' >"$work/good/UNCHECKABLE.md"
expect_status 0 "$BIN/smtpcheck" list --format markdown --suite "$work/good"
python3 - "$work/out" <<'PY' || { cat "$work/out"; fail "markdown"; }
import sys
text = open(sys.argv[1]).read()
order = [text.index(s) for s in ("## RFC 1870", "`c-test`", "## RFC 5321", "### RFC 5321 4.1.9",
                                 "`a-test`", "### RFC 5321 4.1.10", "`b-test`",
                                 "## Not checkable from outside")]
assert order == sorted(order), order
assert "| `b-test` | MUST | b \\| pipe | x.smtp:1 |" in text
assert "3 tests (1 MUST, 1 SHOULD, 1 MAY)" in text
PY
echo "test_run_usage: all passed"
