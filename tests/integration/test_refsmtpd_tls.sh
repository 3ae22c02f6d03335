#!/usr/bin/env bash
# test_refsmtpd_tls.sh - STARTTLS (RFC 3207) and implicit TLS (RFC 8314) in refsmtpd:
# swaks and openssl s_client complete sessions; plaintext pipelined after STARTTLS is
# discarded (CVE-2011-0411); a garbage handshake costs only its own session; a silent
# TLS client is dropped after --timeout-tls.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
work=$(test_tmpdir)
md=$work/Maildir
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
port=$(free_port)
tport=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --listen-tls "127.0.0.1:$tport" --maildir "$md" \
  --domain test.example --hostname mx.test.example --tls-cert "$work/cert.pem" \
  --tls-key "$work/key.pem" --timeout-tls 2

# 1. swaks --tls (STARTTLS).
out=$(timeout 20 swaks --server "127.0.0.1:$port" --tls --helo tls.example \
  --from a@tls.example --to bob@test.example 2>&1) || fail "swaks --tls: $out"
assert_contains "$out" "=== TLS started with cipher TLSv1." "swaks negotiates TLS after STARTTLS"
assert_contains "$out" "<~  250 2.0.0 Ok: queued as" "the message is accepted over TLS"
file=$(find "$md/new" -type f)
assert_contains "$(head -c 300 "$file")" "with ESMTPS id" "Received: says ESMTPS (RFC 3848)"
rm -f "$md"/new/*

# 2. swaks --tls-on-connect (implicit TLS).
out=$(timeout 20 swaks --server "127.0.0.1:$tport" --tls-on-connect --helo tls.example \
  --from a@tls.example --to bob@test.example 2>&1) || fail "swaks --tls-on-connect: $out"
assert_contains "$out" "<~  220 mx.test.example" "the greeting comes after the TLS handshake"
assert_contains "$out" "<~  250 2.0.0 Ok: queued as" "implicit TLS delivers"
assert_not_contains "$out" "STARTTLS" "STARTTLS is not offered inside TLS"
assert_eq "$(find "$md/new" -type f | wc -l)" 1 "one message stored"

# 3. openssl s_client -starttls smtp; TLS 1.2 explicitly, then EHLO inside TLS.
out=$( (printf 'EHLO s-client.example\r\n'; sleep 1; printf 'QUIT\r\n'; sleep 1) |
  timeout 20 openssl s_client -ign_eof -starttls smtp -tls1_2 -connect "127.0.0.1:$port" \
    -servername localhost 2>&1) || fail "openssl s_client: $out"
assert_contains "$out" "Protocol  : TLSv1.2" "TLS 1.2 is accepted"
assert_contains "$out" "Cipher    : ECDHE-" "TLS 1.2 uses a forward-secret cipher"
assert_contains "$out" "250-mx.test.example" "EHLO works inside TLS"
assert_contains "$out" "221 2.0.0" "QUIT works inside TLS"
if out=$(echo | timeout 10 openssl s_client -starttls smtp -tls1_1 -connect "127.0.0.1:$port" 2>&1); then
  fail "TLS 1.1 was accepted: $out"
fi
pass "TLS 1.1 is refused (RFC 8996)"

# 4. CVE-2011-0411: "STARTTLS\r\nRSET\r\n" in one write; nothing may answer the RSET
# inside TLS, and the session still works.
python3 - "$port" <<'PY' || fail "STARTTLS injection check"
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
def reply(r):
    lines = []
    while True:
        l = r.readline()
        if not l:
            raise SystemExit("closed")
        lines.append(l)
        if l[3:4] != b"-":
            return b"".join(lines)
reply(f)
s.sendall(b"EHLO inject.example\r\n"); reply(f)
s.sendall(b"STARTTLS\r\nRSET\r\n")
r = reply(f)
assert r.startswith(b"220"), r
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s, server_hostname="localhost")
t.settimeout(1.0)
try:
    early = t.recv(4096)
except (socket.timeout, TimeoutError):
    early = b""
assert early == b"", "reply to injected plaintext: %r" % early
t.settimeout(5)
t.sendall(b"EHLO inject.example\r\n")
data = b""
while not data.endswith(b"\r\n") or b"250 " not in data:
    chunk = t.recv(4096)
    assert chunk, "closed after STARTTLS"
    data += chunk
assert data.startswith(b"250-"), data
print("ok")
PY
pass "plaintext pipelined after STARTTLS is discarded (RFC 3207 5, CVE-2011-0411)"

# 5. A garbage handshake on one connection while another delivers.
python3 - "$tport" "$port" <<'PY' &
import socket, sys, time
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
a.sendall(b"\x16\x03\x01\x00\x05garbage-not-a-client-hello" * 20)
b = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5)
b.recv(1000)
b.sendall(b"STARTTLS\r\n")
b.recv(1000)
b.sendall(b"\x00\xff" * 300)
time.sleep(3)
PY
garbage=$!
out=$(timeout 20 swaks --server "127.0.0.1:$port" --tls --from a@tls.example \
  --to bob@test.example 2>&1) || fail "delivery beside a garbage handshake: $out"
assert_contains "$out" "<~  250 2.0.0 Ok: queued as" "a good session delivers beside garbage handshakes"
wait "$garbage" || true
assert_contains "$(cat "$REFSMTPD_LOG")" "TLS handshake failed" "the garbage handshake is logged"
port_accepts 127.0.0.1 "$port" || fail "refsmtpd died"

# 6. A client that never starts its handshake is dropped after --timeout-tls (2 s).
start=$(date +%s)
python3 - "$tport" <<'PY' || fail "silent TLS client was not dropped"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
assert s.recv(100) == b""
PY
elapsed=$(($(date +%s) - start))
[ "$elapsed" -le 6 ] || fail "handshake timeout took ${elapsed}s"
pass "a silent TLS client is closed after the handshake timeout (${elapsed}s)"

stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 after SIGTERM"
echo "all passed"
