#!/usr/bin/env bash
# test_fuzz_gen.sh - `smtpcheck gen`: same seed same files, every target, usage errors,
# and every generated input runs through its fuzz target without breaking an invariant.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
work=$(test_tmpdir)
bin="$SMTPCHECK_BIN"

targets=$(sed -n 's/^set(SMTPCHECK_FUZZ_TARGETS \(.*\)$/\1/p' "$SMTPCHECK_SRC/targets/CMakeLists.txt")
[ -n "$targets" ] || fail "no target list in targets/CMakeLists.txt"
for t in $targets; do
  "$bin/smtpcheck" gen --target "$t" -n 40 --seed 9 -o "$work/a/$t" >/dev/null
  "$bin/smtpcheck" gen --target "$t" -n 40 --seed 9 -o "$work/b/$t" >/dev/null
  [ "$(ls "$work/a/$t" | wc -l)" = 40 ] || fail "$t: not 40 files"
  diff -r "$work/a/$t" "$work/b/$t" >/dev/null || fail "$t: the same seed gave different files"
  "$bin/smtpcheck" gen --target "$t" -n 40 --seed 10 -o "$work/c/$t" >/dev/null
  if diff -r -q "$work/a/$t" "$work/c/$t" >/dev/null 2>&1; then fail "$t: seeds 9 and 10 gave the same files"; fi
  pass "$t: deterministic per seed"
done

# A larger -n only adds files: input i does not depend on N.
"$bin/smtpcheck" gen --target server -n 5 --seed 9 -o "$work/small" >/dev/null
for f in "$work/small"/*; do
  cmp -s "$f" "$work/a/server/$(basename "$f")" || fail "input $(basename "$f") depends on -n"
done
pass "input i does not depend on -n"

# The targets the usage names are the CMake list, in its order.
help=$("$bin/smtpcheck" gen --help | sed -n 's/^targets: //p')
[ "$help" = "$targets" ] || fail "gen --help lists '$help', targets/CMakeLists.txt '$targets'"
pass "gen --help lists the fuzz targets of targets/CMakeLists.txt"

# Usage errors are exit status 2 with a message.
set +e
out=$("$bin/smtpcheck" gen --target nosuch -o "$work/x" 2>&1); rc=$?
set -e
[ "$rc" = 2 ] || fail "unknown target exit $rc"
assert_contains "$out" "unknown target" "unknown target is named"
set +e
"$bin/smtpcheck" gen -n 3 >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "missing --target/-o exit $rc"
pass "usage errors exit 2"

# Generated inputs replay cleanly through the targets (no open finding in them).
for t in $targets; do
  [ -x "$bin/fuzz_$t" ] || fail "no $bin/fuzz_$t"
  "$bin/fuzz_$t" "$work/a/$t" >"$work/replay.log" 2>&1 || { cat "$work/replay.log"; fail "fuzz_$t broke on generated input"; }
done
pass "generated inputs run through every target"
