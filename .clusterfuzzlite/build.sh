#!/bin/bash -eu
# .clusterfuzzlite/build.sh - build every fuzz target the OSS-Fuzz way: compile with $CC
# and $CFLAGS (the sanitizer and coverage flags the infrastructure chooses), link with
# $LIB_FUZZING_ENGINE, and write to $OUT, for each target T of targets/CMakeLists.txt:
#   fuzz_T                    the fuzzer (with the grammar-aware custom mutator)
#   fuzz_T_seed_corpus.zip    corpus/seeds/T and corpus/regressions/T
#   fuzz_T.dict               corpus/dict/smtp.dict
#   fuzz_T.options            targets/fuzz_T.options ([libfuzzer] max_len ...)
# ci/oss-fuzz-check runs this script locally with the same variables.
set -euo pipefail
: "${CC:?}" "${CFLAGS:=}" "${LIB_FUZZING_ENGINE:?}" "${OUT:?}"
ROOT=${SMTPCHECK_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
[ -f "$ROOT/targets/CMakeLists.txt" ] || ROOT="$SRC/smtpcheck"
BUILD=${WORK:-/tmp}/smtpcheck-ossfuzz
rm -rf "$BUILD"
mkdir -p "$BUILD/obj" "$OUT"
cd "$ROOT"

FLAGS="$CFLAGS -std=c11 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
  -Ireference-server/include -Ireference-server/lib -Iharness/src -Itargets"

# compile_lib NAME SOURCES... - compile into a static archive (only what a target uses
# is linked from it).
compile_lib() {
  local name=$1 src obj
  shift
  local objs=()
  for src in "$@"; do
    obj="$BUILD/obj/$name-$(basename "${src%.c}").o"
    # shellcheck disable=SC2086
    $CC $FLAGS -c "$src" -o "$obj"
    objs+=("$obj")
  done
  ar rcs "$BUILD/lib$name.a" "${objs[@]}"
}

compile_lib smtp reference-server/lib/*.c
compile_lib fuzzsupport harness/src/gen_*.c harness/src/repro_server.c harness/src/repro_client.c
compile_lib script harness/src/script.c harness/src/script_spec.c harness/src/vars.c
# shellcheck disable=SC2086
$CC $FLAGS -c targets/fuzz_check.c -o "$BUILD/obj/fuzz_check.o"

TARGETS=$(sed -n 's/^set(SMTPCHECK_FUZZ_TARGETS \(.*\)$/\1/p' targets/CMakeLists.txt)
[ -n "$TARGETS" ] || { echo "build.sh: no target list in targets/CMakeLists.txt" >&2; exit 1; }
for t in $TARGETS; do
  # shellcheck disable=SC2086
  $CC $FLAGS -c "targets/fuzz_$t.c" -o "$BUILD/obj/fuzz_$t.o"
  # shellcheck disable=SC2086
  $CC $FLAGS "-DSMTPCHECK_MUTATOR_TARGET=\"$t\"" -c targets/mutator.c -o "$BUILD/obj/mutator_$t.o"
  libs=("$BUILD/libfuzzsupport.a" "$BUILD/libsmtp.a")
  [ "$t" = script ] && libs=("$BUILD/libscript.a" "$BUILD/libfuzzsupport.a" "$BUILD/libsmtp.a")
  # shellcheck disable=SC2086
  $CC $CFLAGS "$BUILD/obj/fuzz_$t.o" "$BUILD/obj/fuzz_check.o" "$BUILD/obj/mutator_$t.o" \
    "${libs[@]}" $LIB_FUZZING_ENGINE -o "$OUT/fuzz_$t"

  rm -f "$OUT/fuzz_${t}_seed_corpus.zip"
  files=()
  for f in "corpus/seeds/$t"/* "corpus/regressions/$t"/*; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || { echo "build.sh: no seeds for $t" >&2; exit 1; }
  zip -q -j "$OUT/fuzz_${t}_seed_corpus.zip" "${files[@]}"
  cp corpus/dict/smtp.dict "$OUT/fuzz_$t.dict"
  cp "targets/fuzz_$t.options" "$OUT/fuzz_$t.options"
done
echo "build.sh: built $(echo $TARGETS | wc -w) fuzzers into $OUT"
