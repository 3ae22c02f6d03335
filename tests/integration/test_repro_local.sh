#!/usr/bin/env bash
# test_repro_local.sh - `smtpcheck repro`: transcripts of session files, target guessing,
# a broken invariant and a crash (sanitizer report) shown and turned into exit status 1.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
work=$(test_tmpdir)
bin="$SMTPCHECK_BIN"

# A server session: controls, then a conversation with a pipelined STARTTLS injection.
mkdir -p "$work/corpus/seeds/server"
printf '#0000 0000 0\nEHLO x.example\r\nSTARTTLS\r\nRSET\r\nEHLO x.example\r\nQUIT\r\n' \
  > "$work/corpus/seeds/server/starttls-injection"
out=$("$bin/smtpcheck" repro "$work/corpus/seeds/server/starttls-injection")
assert_contains "$out" "target server" "target guessed from corpus/seeds/server/"
assert_contains "$out" 'C: EHLO x.example\r\n' "client lines shown with their CRLF"
assert_contains "$out" 'S: 220 ' "server replies shown"
assert_contains "$out" "STARTTLS: discarding" "the TLS switch discards pipelined plaintext"
assert_contains "$out" "== ok" "a clean run says ok"

# A client session; target from the file name prefix.
printf '#0000\n220 mx ESMTP\r\n250-mx\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n' \
  > "$work/client-happy"
out=$("$bin/smtpcheck" repro "$work/client-happy")
assert_contains "$out" "target client" "target guessed from the client- prefix"
assert_contains "$out" 'C: MAIL FROM:<sender@example.org>' "client commands shown"
assert_contains "$out" "== ok" "happy client session is ok"

# Parser targets print the decode and run the target's own invariants.
printf 'MAIL FROM:<a@b.example> SIZE=10' > "$work/cmd"
out=$("$bin/smtpcheck" repro --target command "$work/cmd")
assert_contains "$out" "verb: MAIL" "command decode"
assert_contains "$out" "== invariants:" "the fuzz target runs on the file"
assert_contains "$out" "== ok" "clean command"

# A crash: the planted bug, caught in the child, with the sanitizer report shown.
printf 'VRFY bug' > "$work/planted"
set +e
out=$(SMTPCHECK_FUZZ_PLANT=1 "$bin/smtpcheck" repro --target command "$work/planted"); rc=$?
set -e
[ "$rc" = 1 ] || fail "planted crash: exit $rc, want 1"
assert_contains "$out" "wrote to stderr" "the child's stderr is captured"
assert_contains "$out" "fuzz_command.c" "the report names the crashing code"

# Usage.
set +e
"$bin/smtpcheck" repro "$work/cmd" >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "unguessable target: exit $rc, want 2"
pass "unguessable target is a usage error"
