#!/usr/bin/env bash
# test_coverage_smoke.sh - ci/coverage end to end in a few seconds: builds the fuzz and
# coverage presets (into this build's folder, not the shared build/fuzz), fuzzes for 5 s
# in all, replays seeds + corpus, and prints a line per reference-server/lib file and a
# total with line and branch percentages. Figures only: no coverage threshold here.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
work=$(test_tmpdir)
cd "$SMTPCHECK_SRC"

command -v clang >/dev/null || fail "clang is needed for the fuzz and coverage presets"
touch "$work/stamp"
sleep 1
set +e
out=$(JOBS=2 ci/coverage --seconds 5 --build-dir "$SMTPCHECK_BUILD/coverage-smoke" \
  --keep "$work/keep" 2>&1); rc=$?
set -e
echo "$out" | tail -25
[ "$rc" = 0 ] || fail "ci/coverage exit $rc"
total=$(echo "$out" | grep -E '^TOTAL reference-server/lib +lines +[0-9.]+% .* branches +[0-9.]+% ' || true)
[ -n "$total" ] || fail "no total line with line and branch percentages"
pass "total printed: $total"
for f in server_input.c server_sasl.c command.c; do
  echo "$out" | grep -qE "^$f +lines +[0-9.]+%" || fail "no line for $f"
done
pass "per-file lines printed"
# The campaign wrote its corpus to the --keep folder, never to corpus/seeds.
[ -d "$work/keep/corpus/server" ] || fail "no campaign corpus in the work folder"
written=$(find corpus/seeds corpus/regressions -newer "$work/stamp" -type f | head -5)
[ -z "$written" ] || fail "ci/coverage wrote into the repository's corpus: $written"
pass "corpus/seeds and corpus/regressions untouched"
lines=$(echo "$total" | sed -E 's/.*lines +([0-9.]+)%.*/\1/')
awk -v l="$lines" 'BEGIN { exit !(l > 0 && l <= 100) }' || fail "line coverage $lines% out of range"
pass "line coverage $lines% after a 5 s campaign"
