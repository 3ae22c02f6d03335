# tests/integration/lib_assert.sh - small assertions and a per-test temp folder (sourced).
#
#   source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
#   work=$(test_tmpdir)            # removed on exit, with refsmtpd stopped first
#   assert_contains "$text" "needle" "what this checks"
#   fail "message"

set -euo pipefail

# fail - print a failure and exit 1.
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# pass - print a passed check.
pass() {
  echo "ok: $*"
}

# assert_contains - TEXT contains NEEDLE (fixed string), else fail with WHAT and TEXT.
assert_contains() {
  if ! grep -qF -- "$2" <<<"$1"; then
    printf 'FAIL: %s: expected to find [%s] in:\n%s\n' "$3" "$2" "$1" >&2
    exit 1
  fi
  pass "$3"
}

# assert_not_contains - TEXT does not contain NEEDLE.
assert_not_contains() {
  if grep -qF -- "$2" <<<"$1"; then
    printf 'FAIL: %s: did not expect [%s] in:\n%s\n' "$3" "$2" "$1" >&2
    exit 1
  fi
  pass "$3"
}

# assert_eq - two strings are equal.
assert_eq() {
  if [ "$1" != "$2" ]; then
    printf 'FAIL: %s: expected [%s], got [%s]\n' "$3" "$2" "$1" >&2
    exit 1
  fi
  pass "$3"
}

# _assert_cleanup - stop refsmtpd (if lib_server.sh started one) and remove the temp dir.
_assert_cleanup() {
  local rc=$?
  if declare -F stop_refsmtpd >/dev/null; then
    stop_refsmtpd || true
  fi
  if declare -F stop_all_refsmtpd >/dev/null; then
    stop_all_refsmtpd || true
  fi
  if [ $rc -ne 0 ] && [ -n "${REFSMTPD_LOG:-}" ] && [ -f "$REFSMTPD_LOG" ]; then
    echo "--- refsmtpd log ---" >&2
    tail -n 50 "$REFSMTPD_LOG" >&2
  fi
  [ -n "${_ASSERT_TMP:-}" ] && rm -rf "$_ASSERT_TMP"
  return $rc
}

# test_tmpdir - print a fresh temp folder removed when the test exits.
test_tmpdir() {
  echo "$_ASSERT_TMP"
}

_ASSERT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpcheck-it.XXXXXX")
chmod 755 "$_ASSERT_TMP"
trap _assert_cleanup EXIT

# refsmtpd_bin - the refsmtpd binary under test.
refsmtpd_bin() {
  echo "${REFSMTPD:-${SMTPCHECK_BIN:?set SMTPCHECK_BIN}/refsmtpd}"
}
