#!/usr/bin/env bash
# test_send_refsmtpd.sh - `smtpcheck send` against refsmtpd on loopback: the Maildir holds
# exactly the bytes sent (dot-stuffing, CRLF, DATA and BDAT), pipelining and --count,
# STARTTLS with certificate and name checks, implicit TLS, AUTH, and the exit statuses
# (0 delivered, 1 refused, 2 usage, 3 unreachable).
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
work=$(test_tmpdir)
md=$work/Maildir
send=$SMTPCHECK_BIN/smtpcheck
[ -x "$send" ] || fail "no smtpcheck at $send"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
printf 'alice:%s\n' "$(openssl passwd -6 'pa:ss word')" >"$work/users"
port=$(free_port)
tport=$(free_port)
sport=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --listen-tls "127.0.0.1:$tport" \
  --listen-submission "127.0.0.1:$sport" --maildir "$md" --domain test.example \
  --hostname mx.test.example --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --auth-users "$work/users"

# stored_body FILE - the message without refsmtpd's Return-Path:/Received: trace lines.
stored_body() {
  python3 - "$1" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
m = re.match(rb"Return-Path: <[^>]*>\r\nReceived: [^\r]*\r\n(\t[^\r]*\r\n)*", data)
assert m, data[:300]
sys.stdout.buffer.write(data[m.end():])
PY
}

# only_message - the single file in new/ (fail unless exactly one).
only_message() {
  local files
  files=$(find "$md/new" -type f)
  [ "$(grep -c . <<<"$files")" = 1 ] || fail "expected one message in new/, found: $files"
  echo "$files"
}

# run_send ARGS... - run smtpcheck send (bounded), keep output in $out and status in $rc.
run_send() {
  rc=0
  out=$(timeout 30 "$send" send --timeout 10 --ehlo client.example "$@" 2>&1) || rc=$?
}

# expect_rc WANT WHAT - the last run_send exited WANT, else fail showing its output.
expect_rc() {
  [ "$rc" = "$1" ] || fail "$2: exit $rc, wanted $1; output:
$out"
  pass "$2"
}

# 1. DATA: leading dots, bare LF line ends, no final line end: stored as CRLF, unstuffed.
printf 'Subject: dots\n\n.leading dot\n..two dots\n.\nlast line' >"$work/msg"
run_send --server "127.0.0.1:$port" --from alice@client.example --to bob@test.example \
  --data "$work/msg" -v
expect_rc 0 "send exits 0 when the message is delivered"
assert_contains "$out" "-> ..leading dot" "the transcript shows the dot-stuffed line"
assert_contains "$out" "-> MAIL FROM:<alice@client.example>" "the transcript shows MAIL"
assert_contains "$out" "<- 250 2.0.0" "the transcript shows the final 250"
printf 'Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast line\r\n' >"$work/want"
stored_body "$(only_message)" >"$work/got"
cmp "$work/want" "$work/got" || fail "stored bytes differ: $(od -c "$work/got" | head -20)"
pass "the Maildir holds the message byte for byte (DATA, dot-stuffing undone)"
rm -f "$md"/new/*

# 2. BDAT (RFC 3030) when refsmtpd offers CHUNKING: the same bytes arrive.
ehlo=$(printf 'EHLO x\r\nQUIT\r\n' | timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.stdin.buffer.read()); data = b""
while True:
    d = s.recv(4096)
    if not d: break
    data += d
print(data.decode("latin-1"))' "$port")
if grep -q CHUNKING <<<"$ehlo"; then
  run_send --server "127.0.0.1:$port" --from alice@client.example --to bob@test.example \
    --data "$work/msg" --chunking -v
  expect_rc 0 "send --chunking delivers"
  assert_contains "$out" "-> BDAT " "BDAT is used when CHUNKING is offered"
  stored_body "$(only_message)" >"$work/got"
  cmp "$work/want" "$work/got" || fail "BDAT stored bytes differ"
  pass "the Maildir holds the BDAT message byte for byte"
  rm -f "$md"/new/*
else
  echo "skip: refsmtpd does not offer CHUNKING"
fi

# 3. Pipelining, two recipients, --count 3, 8-bit content, a large body from stdin.
python3 -c '
import sys
sys.stdout.buffer.write(b"Subject: big\n\n" + b"".join(b"line %06d caf\xc3\xa9\n" % i for i in range(20000)))' \
  >"$work/big"
rc=0
out=$(timeout 60 "$send" send --timeout 10 --server "127.0.0.1:$port" --from '' \
  --to bob@test.example --to carol@test.example --count 3 -v <"$work/big" 2>&1) || rc=$?
expect_rc 0 "three pipelined copies are delivered"
assert_contains "$out" "=== 3 of 3 messages delivered" "the summary counts messages"
assert_contains "$out" "BODY=8BITMIME" "8-bit content is declared (RFC 6152)"
assert_eq "$(find "$md/new" -type f | wc -l)" 3 "three files in new/"
sed 's/$/\r/' "$work/big" >"$work/want"
for f in "$md"/new/*; do
  stored_body "$f" >"$work/got"
  cmp -s "$work/want" "$work/got" || fail "large message $f differs"
done
pass "every copy of the 400 KB message is stored byte for byte"
rm -f "$md"/new/*

# 4. --header-auto adds the headers a message without them lacks.
rc=0
out=$(printf 'just a body\n' | timeout 30 "$send" send --server "127.0.0.1:$port" \
  --from alice@client.example --to bob@test.example --header-auto 2>&1) || rc=$?
expect_rc 0 "--header-auto delivers"
body=$(stored_body "$(only_message)")
for h in "Date: " "From: <alice@client.example>" "To: <bob@test.example>" "Subject: " \
  "Message-ID: <"; do
  assert_contains "$body" "$h" "--header-auto adds $h"
done
assert_contains "$body" "just a body" "the body follows the added headers"
rm -f "$md"/new/*

# 5. STARTTLS required, certificate verified against the CA file and the name.
run_send --server "localhost:$port" --from a@client.example --to bob@test.example \
  --starttls require --tls-verify --ca-file "$work/cert.pem" -v </dev/null
expect_rc 0 "STARTTLS with a verified certificate delivers"
assert_contains "$out" "-> STARTTLS" "STARTTLS is sent"
assert_contains "$out" "=== TLS started: TLSv1." "the handshake is reported"
[ "$(grep -c -- '-> EHLO' <<<"$out")" = 2 ] || fail "EHLO must be sent again after TLS: $out"
pass "EHLO is sent again over TLS (RFC 3207 4.2)"
assert_contains "$(head -c 400 "$(only_message)")" "ESMTPS" "refsmtpd saw the message over TLS"
rm -f "$md"/new/*

# 6. Without the CA file the self-signed certificate cannot be verified: nothing is sent,
# exit 1. With it, an IP address is checked against the certificate's IP names.
run_send --server "127.0.0.1:$port" --from a@client.example --to bob@test.example \
  --starttls require --tls-verify </dev/null
expect_rc 1 "an unverifiable certificate is a failure"
assert_contains "$out" "certificate verification failed" "the reason is given"
assert_eq "$(find "$md/new" -type f | wc -l)" 0 "nothing is delivered without verified TLS"
run_send --server "127.0.0.1:$port" --from a@client.example --to bob@test.example \
  --starttls require --tls-verify --ca-file "$work/cert.pem" </dev/null
expect_rc 0 "the certificate verifies for its IP address 127.0.0.1"
rm -f "$md"/new/*

# 7. Implicit TLS (RFC 8314) on the TLS port.
run_send --tls --server "127.0.0.1:$tport" --from a@client.example --to bob@test.example -v \
  </dev/null
expect_rc 0 "implicit TLS delivers"
assert_not_contains "$out" "-> STARTTLS" "no STARTTLS inside implicit TLS"
rm -f "$md"/new/*

# 8. AUTH on the submission port, after STARTTLS, with a ':' and a space in the password.
run_send --server "127.0.0.1:$sport" --from alice@client.example --to someone@elsewhere.example \
  --starttls require --auth 'alice:pa:ss word' -v </dev/null
expect_rc 0 "authenticated submission delivers"
assert_contains "$out" "-> AUTH PLAIN " "AUTH PLAIN is used"
assert_contains "$out" "<- 235" "the credentials are accepted"
rm -rf "$md"/new/*
run_send --server "127.0.0.1:$sport" --from alice@client.example --to someone@elsewhere.example \
  --starttls require --auth 'alice:wrong' </dev/null
expect_rc 1 "a wrong password is a refusal"
assert_contains "$out" "AUTH failed with 535" "the AUTH failure is reported with its code"

# 9. Refused recipient: exit 1, and the reason.
run_send --server "127.0.0.1:$port" --from a@client.example --to victim@elsewhere.example \
  </dev/null
expect_rc 1 "a refused recipient gives exit 1"
assert_contains "$out" "RCPT failed with 550" "the refusal names the step and code"
assert_eq "$(find "$md/new" -type f | wc -l)" 0 "nothing was stored"

# 10. Unreachable: exit 3. Usage errors: exit 2.
closed=$(free_port)
run_send --server "127.0.0.1:$closed" --from a@b.example --to c@d.example </dev/null
expect_rc 3 "a closed port gives exit 3"
assert_contains "$out" "Connection refused" "the connect error is shown"
run_send --server "127.0.0.1:$port" --to c@d.example </dev/null
expect_rc 2 "a missing --from is a usage error"
assert_contains "$out" "usage: smtpcheck send" "the usage line is shown"
run_send --server "127.0.0.1:$port" --from a@b.example --to c@d.example --starttls maybe \
  </dev/null
expect_rc 2 "a bad --starttls mode is a usage error"
run_send --server "127.0.0.1:99999" --from a@b.example --to c@d.example </dev/null
expect_rc 2 "a bad port is a usage error"

stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 after SIGTERM"
