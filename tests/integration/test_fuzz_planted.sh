#!/usr/bin/env bash
# test_fuzz_planted.sh - the whole finding pipeline on a planted bug: ci/fuzz (libFuzzer)
# finds the crash fuzz_command plants under SMTPCHECK_FUZZ_PLANT=1, minimises it, stores
# it (here in a temp regressions folder), prints the reproduce commands, exits non-zero;
# the printed replay command reproduces it, and the file is harmless without the plant.
# Builds the fuzz preset's fuzz_command (and asan's) when missing: allow a few minutes.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
work=$(test_tmpdir)
cd "$SMTPCHECK_SRC"

command -v clang >/dev/null || fail "clang is needed for the fuzz preset"
set +e
out=$(SMTPCHECK_FUZZ_PLANT=1 JOBS=2 ci/fuzz --seconds 60 --regressions "$work/reg" command 2>&1); rc=$?
set -e
echo "$out" | tail -8
[ "$rc" = 1 ] || fail "ci/fuzz exit $rc with a planted bug, want 1"
assert_contains "$out" "fuzz_command found a crash" "the crash is reported"
file=$(ls "$work/reg/command"/* | head -1)
[ -s "$file" ] || fail "no stored regression file"
size=$(wc -c < "$file")
[ "$size" -le 16 ] || fail "not minimised: $size octets ($(cat -A "$file"))"
pass "minimised to $size octets: $(cat "$file")"

# The printed command, as printed, reproduces it.
cmd=$(echo "$out" | sed -n 's/^  reproduce:  //p' | head -1)
[ -n "$cmd" ] || fail "no reproduce command printed"
set +e
rep=$(eval "$cmd" 2>&1); rc=$?
set -e
[ "$rc" != 0 ] || fail "the printed command did not reproduce the crash: $cmd"
assert_contains "$rep" "fuzz_command.c" "the printed command reproduces the planted read past the block"

# Without the plant the same input is harmless.
build/asan/bin/fuzz_command "$file" >/dev/null 2>&1 || fail "the input crashes without the plant"
pass "harmless without SMTPCHECK_FUZZ_PLANT"
