#!/usr/bin/env bash
# test_bench_parse_rate.sh - a tiny run of bench/parse_rate (1 MB), so the parser benchmark
# cannot rot: it must build, check that every generated command parses and that the
# unstuffer gives back exactly the stuffed content, and print every rate and ratio.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
bin=${SMTPCHECK_BIN:?}/parse_rate
[ -x "$bin" ] || fail "no parse_rate in $SMTPCHECK_BIN (is bench/ built?)"
out=$("$bin" --megabytes 1) || fail "parse_rate failed: $out"
for key in memchr_mbs command_mbs command_ratio memchr_data_mbs unstuff_mbs unstuff_ratio; do
  value=$(awk -v k="$key" '$1 == k {print $2}' <<<"$out")
  python3 -c 'import sys; v = float(sys.argv[1]); sys.exit(0 if v > 0 else 1)' "$value" 2>/dev/null ||
    fail "parse_rate printed no positive $key: $out"
  pass "$key = $value"
done
"$bin" --megabytes 0 >/dev/null 2>&1 && fail "parse_rate accepted --megabytes 0"
pass "parse_rate refuses a bad --megabytes"
