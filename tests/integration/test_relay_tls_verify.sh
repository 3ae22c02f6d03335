#!/usr/bin/env bash
# test_relay_tls_verify.sh - --relay-tls verify (RFC 6125, RFC 7672 3.2; Postfix's
# smtp_tls_security_level = verify): A relays only over STARTTLS to a next hop whose
# certificate chains to --relay-ca and matches the host of the route (a DNS name, or the
# IP address of an address literal). Anything else is a temporary failure: the message
# stays queued and is retried, A's log says why (the X509 error), the next hop gets QUIT
# and never a MAIL, and after the queue lifetime the bounce (RFC 3464) says why. A bad
# --relay-ca file stops refsmtpd at start-up with exit status 2.
source "$SMTPCHECK_SRC/tests/integration/lib_relay.sh"
work=$(test_tmpdir)
bin=$(refsmtpd_bin)

# A throwaway CA and the certificates the next hops present (EC keys: quick to make).
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
# issue NAME CN SAN - a certificate NAME.pem (key NAME.key) for CN signed by the CA.
issue() {
  newkey "$work/$1.key"
  openssl req -new -key "$work/$1.key" -subj "/CN=$2" -out "$work/$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" \
    >"$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -CAcreateserial -days 2 -extfile "$work/$1.ext" -out "$work/$1.pem" 2>/dev/null
}
newkey "$work/ca.key"
openssl req -x509 -new -key "$work/ca.key" -subj "/CN=smtpcheck test CA" -days 2 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -out "$work/ca.pem" 2>/dev/null
issue lh localhost DNS:localhost
issue ip localhost DNS:localhost,IP:127.0.0.1
issue other mx.other.test DNS:mx.other.test
newkey "$work/self.key"
openssl req -x509 -new -key "$work/self.key" -subj /CN=localhost -days 2 \
  -addext subjectAltName=DNS:localhost -out "$work/self.pem" 2>/dev/null
for f in ca lh ip other self; do
  [ -s "$work/$f.pem" ] || fail "openssl did not make $f.pem"
done
openssl verify -CAfile "$work/ca.pem" "$work/lh.pem" >/dev/null || fail "the test CA does not sign"

# Where "localhost" may resolve to ::1 too, the next hops listen there as well.
v6=
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  v6=1
fi
# start_b NAME CERT|- - a next hop B_NAME (no STARTTLS when CERT is -) on a port of its own.
start_b() {
  local port tls=() listen=()
  port=$(free_port)
  [ "$2" = - ] || tls=(--tls-cert "$work/$2.pem" --tls-key "$work/$2.key")
  [ -z "$v6" ] || listen=(--listen "[::1]:$port")
  REFSMTPD_LOG=$work/log_$1 start_refsmtpd --listen "127.0.0.1:$port" "${listen[@]}" \
    --maildir "$work/md_$1" --domain "$1.example" --hostname "mx.$1.example" "${tls[@]}" ||
    fail "next hop $1 did not start"
  eval "port_$1=$port"
}
start_b good lh
start_b ip ip
start_b self self
start_b other other
start_b plain -
# ipmiss: an address literal route to a next hop whose certificate names only localhost.
cat >"$work/routes" <<EOF
good.example localhost:$port_good
ip.example 127.0.0.1:$port_ip
self.example localhost:$port_self
other.example localhost:$port_other
plain.example localhost:$port_plain
ipmiss.example 127.0.0.1:$port_good
EOF
pa=$(free_port)
pm=$(free_port)
REFSMTPD_LOG=$work/logA start_refsmtpd --listen "127.0.0.1:$pa" --maildir "$work/mdA" \
  --domain a.example --hostname mx.a.example --queue "$work/qA" --routes "$work/routes" \
  --relay-from 127.0.0.1 --relay-tls verify --relay-ca "$work/ca.pem" \
  --retry-min 1 --retry-max 1 --metrics "127.0.0.1:$pm"
a_pid=$REFSMTPD_PID

# msg NAME - a message for rcpt@NAME.example, with a leading dot and a long line kept.
msg() {
  python3 - "$work/msg_$1" "$1" <<'PY'
import sys
name = sys.argv[2].encode()
body = (b"From: alice@a.example\r\nTo: rcpt@" + name + b".example\r\nSubject: verify " + name +
        b"\r\n\r\n.a line that starts with a dot\r\n" + b"y" * 998 + b"\r\nend\r\n")
open(sys.argv[1], "wb").write(body)
PY
  submit "$pa" alice@a.example "rcpt@$1.example" "$work/msg_$1" >/dev/null ||
    fail "submission to A for $1.example"
}
for n in good ip self other plain ipmiss; do
  msg "$n"
done

# 1. A CA-signed certificate for the route's name (and one for its IP address): delivered.
for n in good ip; do
  wait_for '[ "$(maildir_count "$work/md_$n")" -ge 1 ]' || fail "nothing reached next hop $n"
  strip_trace "$(find "$work/md_$n/new" -type f)" >"$work/got_$n"
  cmp "$work/msg_$n" "$work/got_$n" || fail "next hop $n's copy differs from what was submitted"
  assert_contains "$(head -c 800 "$(find "$work/md_$n/new" -type f)")" "by mx.$n.example with ESMTPS" \
    "$n: relayed over STARTTLS (RFC 3207)"
done
pass "a verified next hop (name, and IP address in subjectAltName) gets the message byte for byte"

# 2-4 and the IP mismatch: each refused next hop is tried at least twice (retried, not
# bounced), and A's log names the reason every time.
# deferred_count NAME - how many attempts to next hop NAME ended deferred.
deferred_count() {
  local hop
  case $1 in
  ipmiss) hop="127.0.0.1:$port_good" ;;
  *) hop="localhost:$(eval echo "\$port_$1")" ;;
  esac
  grep -cF "via $hop: 0 delivered, 1 deferred, 0 bounced" "$work/logA" || true
}
for n in self other plain ipmiss; do
  wait_for '[ "$(deferred_count "$n")" -ge 2 ]' || fail "$n: A did not defer and retry"
done
pass "every refused next hop is deferred and retried (backoff --retry-min 1)"
log=$(cat "$work/logA")
assert_contains "$log" "via localhost:$port_self: 0 delivered, 1 deferred, 0 bounced: TLS with localhost:$port_self not verified: certificate verify failed: self-signed certificate" \
  "self-signed: A's log names the X509 error"
assert_contains "$log" "TLS with localhost:$port_other not verified: certificate verify failed: hostname mismatch" \
  "a CA-signed certificate for mx.other.test: hostname mismatch"
assert_contains "$log" "/CN=mx.other.test" "the log shows whose certificate it was"
assert_contains "$log" "via localhost:$port_plain: 0 delivered, 1 deferred, 0 bounced: STARTTLS required but not offered" \
  "no STARTTLS: not delivered in verify mode"
assert_contains "$log" "TLS with 127.0.0.1:$port_good not verified: certificate verify failed: IP address mismatch" \
  "an address-literal route needs the IP address in the certificate"
assert_not_contains "$log" ">: bounced:" "nothing bounced for a verification failure"
for n in self other plain; do
  assert_eq "$(maildir_count "$work/md_$n")" "0" "$n: the next hop's Maildir is empty"
  assert_not_contains "$(cat "$work/log_$n")" " message " "$n: the next hop saw no message"
done
# Next hop good took one message (good.example), none over the IP route.
assert_eq "$(maildir_count "$work/md_good")" "1" "ipmiss: nothing delivered to 127.0.0.1 with a name-only certificate"
# After a failed verification the next hop got QUIT over TLS and answered it: sessions
# with a TLS handshake end with the server's close after 221, four 2xx replies (greeting,
# EHLO, 220 to STARTTLS, 221) to three commands (EHLO STARTTLS QUIT). A retries all the
# while, so a session may still be under way: no count has to match another exactly.
quit_closes=$(grep -cE "close \(closed by server\) [0-9.]+s commands=3 messages=0 octets=0 replies=4/0/0/0 " \
  "$work/log_self" || true)
[ "$quit_closes" -ge 2 ] || fail "the self-signed next hop saw $quit_closes sessions end with QUIT, not 2 or more"
pass "each refused attempt ended with QUIT over TLS and the next hop's 221"
most=$(sed -n 's/.* close (.*) .* commands=\([0-9]*\) .*/\1/p' "$work/log_self" | sort -n | tail -1)
[ -n "$most" ] && [ "$most" -le 3 ] || fail "a session with the self-signed next hop sent $most commands"
pass "no session with the self-signed next hop got more than EHLO, STARTTLS and QUIT"
assert_eq "$(find "$work/qA/new" -type f | wc -l)" "4" "the four refused messages stay queued at A"
assert_eq "$(scrape "$pm" refsmtpd_relay_delivered_total)" "2" "two deliveries counted"
# self, other and ipmiss fail verification (plain offers no STARTTLS), each at least twice.
refused=$(scrape "$pm" refsmtpd_relay_tls_refused_total)
[ -n "$refused" ] && [ "$refused" -ge 6 ] ||
  fail "refsmtpd_relay_tls_refused_total is '$refused', not 6 or more"
pass "every failed verification is counted in refsmtpd_relay_tls_refused_total"
assert_eq "$(maildir_count "$work/mdA")" "0" "no bounce to the sender while retrying"
stop_refsmtpd_pid "$a_pid"
assert_eq "$REFSMTPD_STATUS" "0" "A exits 0 with the messages still queued"

# After the queue lifetime the bounce says why (RFC 3464, Status 4.4.7).
REFSMTPD_LOG=$work/logA2 start_refsmtpd --listen "127.0.0.1:$pa" --maildir "$work/mdA2" \
  --domain a.example --hostname mx.a.example --queue "$work/qA2" \
  --relay-host "localhost:$port_self" --relay-from 127.0.0.1 --relay-tls verify \
  --relay-ca "$work/ca.pem" --retry-min 1 --retry-max 1 --queue-lifetime 3
submit "$pa" alice@a.example far@self.example "$work/msg_self" >/dev/null || fail "submission to A2"
wait_for '[ "$(maildir_count "$work/mdA2")" -ge 1 ]' || fail "no bounce after the lifetime"
dsn=$(cat "$(find "$work/mdA2/new" -type f)")
assert_contains "$dsn" "Final-Recipient: rfc822; far@self.example" "the bounce names the recipient"
assert_contains "$dsn" "Action: failed" "Action: failed after expiry"
assert_contains "$dsn" "self-signed certificate" "the bounce says the certificate was not verified"
assert_eq "$(maildir_count "$work/md_self")" "0" "the self-signed next hop still got nothing"
stop_refsmtpd_pid "$REFSMTPD_PID"

# 5. A missing or garbage --relay-ca: exit 2 at start-up, the file named, usage printed.
# start_bad CA... - run refsmtpd with --relay-ca ARGS; print its status and stderr.
start_bad() {
  local rc=0
  timeout 10 "$bin" --listen "127.0.0.1:$pa" --maildir "$work/mdX" --queue "$work/qX" \
    --relay-host "localhost:$port_good" "$@" 2>"$work/bad.err" >/dev/null || rc=$?
  echo "$rc"
}
printf 'not a certificate\n' >"$work/garbage.pem"
assert_eq "$(start_bad --relay-tls verify --relay-ca "$work/missing.pem")" "2" "a missing --relay-ca: exit 2"
assert_contains "$(cat "$work/bad.err")" "--relay-ca $work/missing.pem: cannot read it: No such file" \
  "the message names the missing file"
assert_contains "$(cat "$work/bad.err")" "usage:" "usage follows the message"
assert_eq "$(start_bad --relay-tls verify --relay-ca "$work/garbage.pem")" "2" "a garbage --relay-ca: exit 2"
assert_contains "$(cat "$work/bad.err")" "--relay-ca $work/garbage.pem: no PEM CA certificate" \
  "the message names the garbage file"
assert_eq "$(start_bad --relay-tls verify --relay-ca "$work/lh.key")" "2" "a key instead of certificates: exit 2"
assert_eq "$(start_bad --relay-tls require --relay-ca "$work/ca.pem")" "2" "--relay-ca without verify: exit 2"
assert_contains "$(cat "$work/bad.err")" "needs --relay-tls verify" "the message says what is missing"
[ ! -e "$work/qX" ] || fail "refsmtpd created its queue before refusing the options"
pass "bad --relay-ca files are refused before anything is opened"
