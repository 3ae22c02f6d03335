#!/usr/bin/env bash
# test_refsmtpd_deliver.sh - refsmtpd delivers into the Maildir byte for byte (swaks and a
# raw client), with Return-Path:/Received: first; refuses relaying and smuggled content;
# listens on IPv6; exits 0 after SIGTERM.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_smtp_client.sh"
work=$(test_tmpdir)
md=$work/Maildir
port=$(free_port)
listen=(--listen "127.0.0.1:$port")
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
  port6=$(free_port)
  listen+=(--listen "[::1]:$port6")
fi
start_refsmtpd "${listen[@]}" --maildir "$md" --domain test.example --domain second.example \
  --hostname mx.test.example

# only_message - print the path of the single file in new/ (fail unless exactly one).
only_message() {
  local files
  files=$(find "$md/new" -type f)
  [ "$(grep -c . <<<"$files")" = 1 ] || fail "expected one message in new/, found: $files"
  echo "$files"
}

# 1. swaks, the everyday client.
printf 'Subject: swaks test\n\n..leading dot\nbody line\n' >"$work/msg"
out=$(timeout 20 swaks --server "127.0.0.1:$port" --helo client.example \
  --from alice@client.example --to bob@test.example --data @"$work/msg" 2>&1) ||
  fail "swaks failed: $out"
assert_contains "$out" "<-  250 2.0.0 Ok: queued as" "swaks gets 250 after the message is stored"
file=$(only_message)
python3 - "$file" <<'PY' || fail "stored bytes differ"
import re, sys
data = open(sys.argv[1], "rb").read()
head = re.match(rb"Return-Path: <alice@client\.example>\r\n"
                rb"Received: from client\.example \(\[127\.0\.0\.1\]\)\r\n"
                rb"\tby mx\.test\.example with ESMTP id ([0-9a-zA-Z]+)\r\n"
                rb"\tfor <bob@test\.example>;\r\n"
                rb"\t[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n", data)
assert head, data[:400]
body = data[head.end():]
# swaks sends one extra CRLF before the final dot; the dot-stuffed "..." line is unstuffed.
assert body == b"Subject: swaks test\r\n\r\n..leading dot\r\nbody line\r\n\r\n", body
PY
pass "the Maildir file holds Return-Path:, Received: and the unstuffed content"
assert_eq "$(find "$md/tmp" -type f | wc -l)" 0 "tmp/ is empty after delivery"
rm -f "$md"/new/*

# 2. Raw bytes: 8-bit content, dot-stuffing, two recipients (one file, no "for").
out=$(smtp_talk "$port" <<'S'
< 220
> EHLO raw.example
< 250
> MAIL FROM:<> BODY=8BITMIME
< 250
> RCPT TO:<Bob@TEST.example>
< 250
> RCPT TO:<carol@second.example>
< 250
> DATA
< 354
>raw Subject: raw\r\n\r\n\xe9t\xe9\r\n..\r\n...two\r\n.\r\n
< 250
> QUIT
< 221
close
S
) || fail "raw session: $out"
file=$(only_message)
python3 - "$file" <<'PY' || fail "raw message bytes differ"
import sys
data = open(sys.argv[1], "rb").read()
assert data.startswith(b"Return-Path: <>\r\nReceived: from raw.example ([127.0.0.1])\r\n"), data[:200]
assert b"\tfor <" not in data, "two recipients must not be listed"
assert data.endswith(b"\r\n\r\nSubject: raw\r\n\r\n\xe9t\xe9\r\n.\r\n..two\r\n"[4:]), data
PY
pass "8-bit content and dot-stuffing are stored exactly, once for two recipients"
rm -f "$md"/new/*

# 3. Relaying is refused; postmaster without a domain is accepted (RFC 5321 4.5.1).
out=$(smtp_talk "$port" <<'S'
< 220
> EHLO relay.example
< 250
> MAIL FROM:<x@relay.example>
< 250
> RCPT TO:<victim@elsewhere.example>
< 550
> RCPT TO:<postmaster>
< 250
> RSET
< 250
> QUIT
< 221
S
) || fail "relay session: $out"
assert_contains "$out" "550 5.7.1" "relaying is denied with 550 5.7.1"
assert_eq "$(find "$md" -type f | wc -l)" 0 "an aborted transaction leaves no file"

# 4. SMTP smuggling: a bare-LF end-of-data is content, and the message is refused.
out=$(smtp_talk "$port" <<'S'
< 220
> EHLO smuggle.example
< 250
> MAIL FROM:<a@smuggle.example>
< 250
> RCPT TO:<bob@test.example>
< 250
> DATA
< 354
>raw Subject: s\r\n\r\nhello\n.\nMAIL FROM:<evil@x>\r\nRCPT TO:<bob@test.example>\r\nDATA\r\n\r\n.\r\n
< 554
> QUIT
< 221
S
) || fail "smuggling session: $out"
assert_contains "$out" "554 5.6.0" "a message with bare LF is refused (RFC 5321 2.3.8)"
assert_eq "$(grep -c '^354' <<<"$out")" 1 "the smuggled DATA got no 354"
assert_eq "$(find "$md" -type f | wc -l)" 0 "nothing is stored from a smuggling attempt"

# 5. IPv6.
if [ -n "${port6:-}" ]; then
  out=$(timeout 20 swaks --server "::1" --port "$port6" --from a@v6.example --to bob@test.example \
    --helo v6.example 2>&1) || fail "swaks over IPv6: $out"
  file=$(only_message)
  assert_contains "$(head -c 200 "$file")" "Received: from v6.example ([IPv6:::1])" \
    "IPv6 clients are traced as IPv6 address literals"
fi

# 6. SIGTERM: exit 0.
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0 after SIGTERM"
assert_contains "$(cat "$REFSMTPD_LOG")" "message" "transactions are logged"

# 7. --no-store accepts and discards.
rm -rf "$md"
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --no-store --domain test.example
out=$(timeout 20 swaks --server "127.0.0.1:$port" --from a@x.example --to bob@test.example 2>&1) ||
  fail "swaks with --no-store: $out"
assert_contains "$out" "<-  250 2.0.0" "--no-store answers 250"
[ ! -e "$md" ] || fail "--no-store wrote $md"
stop_refsmtpd
assert_contains "$(cat "$REFSMTPD_LOG")" "accepted and discarded (--no-store)" "--no-store logs the discard"
echo "all passed"
