#!/usr/bin/env bash
# test_suite_refsmtpd.sh - the reference server passes every MUST of the conformance suite.
#
# Runs the embedded suite (smtpcheck run --format json) against refsmtpd on a loopback
# port with STARTTLS, AUTH (after TLS) and a Maildir, then once more with AUTH offered in
# clear (--allow-plain-auth) for the AUTH tests; fails if a MUST test failed, any test
# errored, smtpcheck's exit status is not 0, fewer tests ran than the catalogue holds, or
# refsmtpd did not exit cleanly (status 0 on SIGTERM) after the hostile tests.
set -euo pipefail
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"

SMTPCHECK="$SMTPCHECK_BIN/smtpcheck"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/suite-refsmtpd.XXXXXX")
# cleanup - stop the daemon we started and remove the temp dir.
cleanup() {
  stop_refsmtpd
  rm -rf "$WORK"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
printf 'tester:%s\n' "$(openssl passwd -6 secret)" >"$WORK/users"

# check_report - judge one JSON report: no MUST failed, nothing errored, N tests at least.
check_report() {
  python3 - "$1" "$2" <<'PY'
import json, sys
report, want = sys.argv[1], int(sys.argv[2])
r = json.load(open(report, encoding="utf-8"))
bad = [t for t in r["tests"]
       if t["result"] == "error" or (t["result"] == "fail" and t["level"] == "MUST")]
for t in bad:
    print(f"{t['result'].upper()} {t['id']} [{t['level']} {t['ref']}]: {t.get('reason', '')}")
    for line in t.get("transcript", [])[-10:]:
        print(f"    {line['dir']}: {line['data']!r}")
s = r["summary"]
print(f"{report}: {len(r['tests'])} tests: {s['pass']} passed, {s['fail']} failed, "
      f"{s['skip']} skipped, {s['error']} errored")
if len(r["tests"]) < want:
    print(f"only {len(r['tests'])} tests ran, the catalogue has {want}")
    sys.exit(1)
if s["pass"] == 0:
    print("no test passed at all")
    sys.exit(1)
sys.exit(1 if bad else 0)
PY
}

# run_suite - start refsmtpd with ARGS..., run the suite with SELECT (smtpcheck options),
# stop the daemon and judge the report NAME.
run_suite() {
  local name=$1 select=$2 want=$3 rc=0
  shift 3
  local port
  port=$(free_port)
  rm -rf "$WORK/md"
  mkdir -p "$WORK/md"
  REFSMTPD_LOG="$WORK/$name.log" start_refsmtpd --listen "127.0.0.1:$port" --maildir "$WORK/md" \
    --domain test.example --hostname mx.test.example --quiet "$@"
  # shellcheck disable=SC2086
  "$SMTPCHECK" run $select --format json --output "$WORK/$name.json" --jobs 4 --timeout 10 \
    --ehlo client.smtpcheck.example --from sender@smtpcheck.example \
    --rcpt user@test.example --foreign someone@foreign.example \
    --maildir "$WORK/md" --auth tester:secret "127.0.0.1:$port" || rc=$?
  stop_refsmtpd
  if [ "${REFSMTPD_STATUS:-1}" -ne 0 ]; then
    echo "refsmtpd exited with status ${REFSMTPD_STATUS:-?} after the suite ($name); its log:"
    tail -n 40 "$WORK/$name.log"
    return 1
  fi
  check_report "$WORK/$name.json" "$want"
  if [ "$rc" -ne 0 ]; then
    echo "smtpcheck run exited with $rc (0 expected: no MUST failed, nothing errored)"
    return 1
  fi
}

total=$("$SMTPCHECK" list | tail -1 | awk '{print $1}')
auth_total=$("$SMTPCHECK" list --only 'auth-*' | tail -1 | awk '{print $1}')
run_suite tls "" "$total" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
  --auth-users "$WORK/users"
run_suite plain-auth "--only auth-*" "$auth_total" --tls-cert "$WORK/cert.pem" \
  --tls-key "$WORK/key.pem" --auth-users "$WORK/users" --allow-plain-auth
echo "refsmtpd passes every MUST of the suite"
