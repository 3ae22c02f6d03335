#!/usr/bin/env bash
# test_refsmtpd_options.sh - refsmtpd's start-up errors: bad options exit 2 with usage;
# a port in use and an unwritable Maildir exit 1 with a message a user can act on.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
bin=$(refsmtpd_bin)
work=$(test_tmpdir)

# run_refsmtpd - run refsmtpd to completion; sets out (stdout+stderr) and status.
run_refsmtpd() {
  set +e
  out=$(timeout 10 "$bin" "$@" 2>&1)
  status=$?
  set -e
}

run_refsmtpd --help
assert_eq "$status" 0 "--help exits 0"
assert_contains "$out" "usage: refsmtpd" "--help prints usage"

run_refsmtpd --listen 127.0.0.1:2525
assert_eq "$status" 2 "a missing --maildir exits 2"
assert_contains "$out" "refsmtpd: give --maildir DIR" "a missing --maildir is named"
assert_contains "$out" "usage: refsmtpd" "usage follows the error"

run_refsmtpd --listen 127.0.0.1:2525 --maildir "$work/m" --frobnicate
assert_eq "$status" 2 "an unknown option exits 2"
assert_contains "$out" "unknown option '--frobnicate'" "the unknown option is named"

run_refsmtpd --listen localhost:25 --maildir "$work/m"
assert_eq "$status" 2 "a host name instead of an address exits 2"
assert_contains "$out" "'localhost:25' is not ADDR:PORT" "the bad address is named"

run_refsmtpd --listen 127.0.0.1:25 --maildir "$work/m" --max-recipients 5
assert_eq "$status" 2 "fewer than 100 recipients exits 2 (RFC 5321 4.5.3.1.8)"

run_refsmtpd --listen-tls 127.0.0.1:465 --maildir "$work/m"
assert_eq "$status" 2 "implicit TLS without a certificate exits 2"

# A port in use: hold one with a plain listening socket from python.
port=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(8)' "$port" &
holder=$!
for _ in $(seq 50); do port_accepts 127.0.0.1 "$port" && break; sleep 0.1; done
run_refsmtpd --listen "127.0.0.1:$port" --maildir "$work/m"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
assert_eq "$status" 1 "a port in use exits 1"
assert_contains "$out" "refsmtpd: cannot listen on 127.0.0.1:$port: Address already in use" \
  "a port in use is explained"

# A bad certificate: exit 1 naming the file.
echo "not a certificate" >"$work/bad.pem"
run_refsmtpd --listen "127.0.0.1:$(free_port)" --maildir "$work/m" \
  --tls-cert "$work/bad.pem" --tls-key "$work/bad.pem"
assert_eq "$status" 1 "an unreadable certificate exits 1"
assert_contains "$out" "cannot load --tls-cert $work/bad.pem" "the certificate file is named"

# An unwritable Maildir: root ignores permissions, so run as nobody when we are root.
mkdir -p "$work/ro/tmp" "$work/ro/new" "$work/ro/cur"
chmod 555 "$work/ro" "$work/ro/tmp"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
set +e
out=$(timeout 10 "${as_user[@]}" "$bin" --listen "127.0.0.1:$(free_port)" --maildir "$work/ro" 2>&1)
status=$?
set -e
assert_eq "$status" 1 "an unwritable Maildir exits 1"
assert_contains "$out" "refsmtpd: cannot write to Maildir $work/ro/tmp: Permission denied" \
  "an unwritable Maildir is explained"
echo "all passed"
