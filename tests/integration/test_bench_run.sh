#!/usr/bin/env bash
# test_bench_run.sh - bench/run --quick (tiny counts, Postfix included): every benchmark of
# the real run is exercised, so none can rot. Checks the one table: each throughput row
# and ratio has a number in every column, the idle-memory, parser and suite rows are
# filled in. Figures are never judged (the machine is shared); only that they exist.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
work=$(test_tmpdir)
[ "$(id -u)" = 0 ] || fail "bench/run needs root for its private Postfix instance"
out=$(TMPDIR=$work timeout 300 "$SMTPCHECK_SRC/bench/run" --quick --bin "$SMTPCHECK_BIN" 2>"$work/err") || {
  cat "$work/err" >&2
  fail "bench/run --quick failed: $out"
}
echo "$out"

# numeric_row - the row starting with LABEL has a number in each of its N value cells.
numeric_row() {
  local label=$1 n=$2 line
  line=$(grep -F -- "| $label" <<<"$out" | head -1)
  [ -n "$line" ] || fail "no row '$label' in the table"
  python3 - "$line" "$n" <<'PY' || fail "row '$label' lacks numbers: $line"
import re, sys
cells = [c.strip() for c in sys.argv[1].strip().strip("|").split("|")][1:]
n = int(sys.argv[2])
ok = len(cells) >= n and all(re.match(r"^[0-9]+(\.[0-9]+)?\b", c) for c in cells[:n])
sys.exit(0 if ok else 1)
PY
  pass "row '$label' has $n numbers"
}

numeric_row "refsmtpd, Maildir + fsync" 2
numeric_row "refsmtpd group commit" 2
numeric_row "refsmtpd --no-store" 2
numeric_row "Postfix smtp-sink" 2
numeric_row "Postfix 3" 2
numeric_row "ratio refsmtpd Maildir / Postfix Maildir" 2
numeric_row "ratio refsmtpd --no-store / smtp-sink" 2
numeric_row "refsmtpd RSS per idle connection" 1
numeric_row "memchr CRLF line splitter" 1
numeric_row "smtp_command_parse" 1
numeric_row "smtp_unstuff" 1
numeric_row "conformance suite wall time" 1
assert_contains "$out" "Machine: " "the table says which machine it was measured on"
left=$(find "$work" -maxdepth 1 -name 'smtpcheck-bench.*' | wc -l)
assert_eq "$left" 0 "bench/run removed its work folder (and with it the Postfix instance)"
