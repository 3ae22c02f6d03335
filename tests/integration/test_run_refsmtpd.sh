#!/usr/bin/env bash
# test_run_refsmtpd.sh - the embedded suite against the reference server: the suite is
# calibrated against refsmtpd, so every MUST passes, nothing errors, and the whole run
# (parallel jobs) takes seconds.
set -euo pipefail
BIN=${SMTPCHECK_BIN:?}
SRC=${SMTPCHECK_SRC:?}
source "$SRC/tests/integration/lib_server.sh"
work=$(mktemp -d)
trap 'stop_refsmtpd; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -days 2 -subj /CN=localhost 2>/dev/null
echo "alice:$(openssl passwd -6 secret)" >"$work/users"
mkdir "$work/maildir"
port=$(free_port)
tlsport=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --listen-tls "127.0.0.1:$tlsport" \
  --maildir "$work/maildir" --domain test.example --hostname mx.test.example \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --auth-users "$work/users" --quiet

# judge FILE - print what failed; every MUST passes and nothing errors.
judge() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
bad = [t for t in d["tests"] if t["result"] in ("fail", "error")]
for t in bad:
    print(t["id"], t["level"], t["result"], t["reason"])
    for e in t["transcript"][-6:]:
        print("   ", e["dir"], repr(e["data"][:200]))
print("summary:", d["summary"], "in", d["duration_ms"], "ms")
assert d["summary"]["pass"] > 100, d["summary"]
assert d["summary"]["error"] == 0
assert not [t for t in bad if t["level"] == "MUST"]
PY
}

# Plaintext with STARTTLS, AUTH (offered under TLS), the Maildir and a foreign domain.
start=$(date +%s)
status=0
timeout 120 "$BIN/smtpcheck" run --maildir "$work/maildir" --foreign user@elsewhere.example \
  --rcpt postmaster@test.example --auth alice:secret --timeout 5 --format json \
  --output "$work/run.json" "127.0.0.1:$port" || status=$?
took=$(($(date +%s) - start))
judge "$work/run.json" || fail "results (plaintext)"
[ "$status" = 0 ] || fail "exit $status"
[ "$took" -le 30 ] || fail "the suite took $took s"

# Implicit TLS (RFC 8314): the same suite over --tls.
status=0
timeout 120 "$BIN/smtpcheck" run --tls --maildir "$work/maildir" --rcpt postmaster@test.example \
  --auth alice:secret --timeout 5 --format json --output "$work/tls.json" \
  "127.0.0.1:$tlsport" || status=$?
judge "$work/tls.json" || fail "results (--tls)"
[ "$status" = 0 ] || fail "exit $status (--tls)"
# Delivered messages were checked byte for byte: the Maildir holds them.
[ -n "$(ls -A "$work/maildir/new" 2>/dev/null)" ] || fail "nothing delivered"
echo "test_run_refsmtpd: all passed in $took s"
