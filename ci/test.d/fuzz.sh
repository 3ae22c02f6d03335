#!/usr/bin/env bash
# ci/test.d/fuzz.sh - the fuzzing step of ci/test: build the fuzz (libFuzzer) and afl
# (AFL++) presets' targets, fuzz every target for ~10 s with libFuzzer and two targets for
# ~15 s with AFL++ and the grammar-aware mutator. Any crash or hang fails the step with
# the minimised input stored in corpus/regressions/<target>/ and the commands that
# reproduce it printed by ci/fuzz. About 3 minutes on 2 cores.
source "$(dirname "$0")/../lib/common.sh"
cd "$SMTPCHECK_ROOT"
export JOBS=2

rc=0
# The whole fuzz preset: every binary (refsmtpd and smtpcheck too) must link with
# -fsanitize=fuzzer-no-link instrumentation; the afl preset's fuzz targets are built by ci/fuzz.
build_preset fuzz
log "fuzz smoke: libFuzzer, every target, 10 s each"
ci/fuzz --engine libfuzzer --seconds 10 || rc=1
log "fuzz smoke: AFL++ persistent mode + custom mutator, server and command, 15 s each"
ci/fuzz --engine afl --seconds 15 server command || rc=1
exit $rc
