#!/usr/bin/env bash
# test_refsmtpd_auth.sh - AUTH in refsmtpd (RFC 4954): PLAIN and LOGIN against a users
# file under TLS; not offered in clear unless --allow-plain-auth; submission needs AUTH
# (RFC 6409); failures are answered late and then the session is closed.
source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_smtp_client.sh"
work=$(test_tmpdir)
md=$work/Maildir
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
printf '# test users\nalice:%s\n' "$(openssl passwd -6 's3cret pass')" >"$work/users"
port=$(free_port)
sport=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --listen-submission "127.0.0.1:$sport" \
  --maildir "$md" --domain test.example --hostname mx.test.example \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --auth-users "$work/users"

# 1. PLAIN and LOGIN on submission, under STARTTLS; any recipient domain is accepted.
for mech in PLAIN LOGIN; do
  out=$(timeout 20 swaks --server "127.0.0.1:$sport" --tls --auth "$mech" --auth-user alice \
    --auth-password 's3cret pass' --from alice@test.example --to far@elsewhere.example 2>&1) ||
    fail "swaks --auth $mech: $out"
  assert_contains "$out" "235 2.7.0" "AUTH $mech with the right password gets 235"
  assert_contains "$out" "<~  250 2.0.0 Ok: queued as" "an authenticated client may send anywhere ($mech)"
done
file=$(find "$md/new" -type f | head -n 1)
assert_contains "$(head -c 300 "$file")" "with ESMTPSA id" "Received: says ESMTPSA (RFC 3848)"

# 2. A wrong password: 535 5.7.8, answered only after a delay.
start=$(date +%s%N)
out=$(timeout 20 swaks --server "127.0.0.1:$sport" --tls --auth PLAIN --auth-user alice \
  --auth-password wrong --from alice@test.example --to bob@test.example 2>&1) &&
  fail "a wrong password was accepted: $out"
ms=$((($(date +%s%N) - start) / 1000000))
assert_contains "$out" "535 5.7.8" "a wrong password gets 535 5.7.8"
[ "$ms" -ge 900 ] || fail "the 535 came after ${ms} ms, expected a delay of about 1 s"
pass "the 535 is delayed (${ms} ms)"

# 3. Submission without AUTH: MAIL gets 530 5.7.0 (RFC 4954 6).
out=$(smtp_talk "$sport" <<'S'
< 220
> EHLO noauth.example
< 250
> MAIL FROM:<alice@test.example>
< 530
> QUIT
< 221
S
) || fail "submission without AUTH: $out"
pass "submission refuses MAIL before AUTH with 530"

# 4. Port 25 in clear: AUTH is not offered, and refused when tried (RFC 4954 4: 538).
out=$(smtp_talk "$port" <<'S'
< 220
> EHLO clear.example
< 250
> AUTH PLAIN AGFsaWNlAHMzY3JldCBwYXNz
< 538
> MAIL FROM:<x@clear.example>
< 250
> RCPT TO:<far@elsewhere.example>
< 550
> QUIT
< 221
S
) || fail "AUTH in clear: $out"
assert_not_contains "$out" "AUTH" "AUTH is not advertised before STARTTLS"
pass "AUTH in clear is refused with 538; unauthenticated relaying is refused"

# 5. Three failures in one session: each 535 slower than the last, then the session ends.
start=$(date +%s)
python3 - "$sport" <<'PY' || fail "repeated AUTH failures"
import socket, ssl, sys, time, base64
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
def reply(r):
    lines = []
    while True:
        l = r.readline()
        if not l:
            return b"".join(lines) or b"(closed)"
        lines.append(l)
        if l[3:4] != b"-":
            return b"".join(lines)
reply(f); s.sendall(b"EHLO x\r\n"); reply(f)
s.sendall(b"STARTTLS\r\n"); assert reply(f).startswith(b"220")
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s, server_hostname="localhost"); g = t.makefile("rb")
t.sendall(b"EHLO x\r\n"); assert b"AUTH" in reply(g)
times = []
bad = base64.b64encode(b"\0alice\0nope")
for i in range(3):
    t0 = time.time()
    t.sendall(b"AUTH PLAIN " + bad + b"\r\n")
    r = reply(g)
    times.append(time.time() - t0)
    assert r.startswith(b"535"), r
rest = reply(g)
assert rest.startswith(b"421") or rest == b"(closed)", rest
assert times[1] > times[0] + 0.5 and times[2] > times[1] + 0.5, times
print("delays", ["%.1f" % x for x in times], "then", rest[:20])
PY
pass "repeated AUTH failures slow down and end the session ($(($(date +%s) - start)) s)"
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" 0 "refsmtpd exits 0"

# 6. --allow-plain-auth offers AUTH without TLS.
port=$(free_port)
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$md" --domain test.example \
  --auth-users "$work/users" --allow-plain-auth
out=$(timeout 20 swaks --server "127.0.0.1:$port" --auth PLAIN --auth-user alice \
  --auth-password 's3cret pass' --from alice@test.example --to far@elsewhere.example 2>&1) ||
  fail "swaks --auth without TLS: $out"
grep -qE '^<-  250[- ]AUTH PLAIN LOGIN' <<<"$out" || fail "AUTH not offered in clear: $out"
pass "AUTH is offered in clear with --allow-plain-auth"
assert_contains "$out" "235 2.7.0" "AUTH PLAIN works in clear with --allow-plain-auth"
stop_refsmtpd
echo "all passed"
