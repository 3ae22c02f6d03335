#!/usr/bin/env bash
# test_relay_loop.sh - RFC 5321 6.3: a message with more than 100 Received: fields is a
# mail loop and is refused with 554 5.4.6 (RFC 3463 5.4.6 "routing loop detected"),
# counted while the content streams in; 100 is still accepted.
source "$SMTPCHECK_SRC/tests/integration/lib_relay.sh"
work=$(test_tmpdir)
pa=$(free_port)
pm=$(free_port)
REFSMTPD_LOG=$work/logA start_refsmtpd --listen "127.0.0.1:$pa" --maildir "$work/mdA" \
  --domain a.example --hostname mx.a.example --metrics "127.0.0.1:$pm"

# send_with - N Received: fields (the last one folded, one in lower case) then a body;
# prints the reply to the end of data.
send_with() {
  python3 - "$pa" "$1" <<'PY'
import smtplib, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
fields = b"".join(b"Received: from hop%d.example by hop%d.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n" % (i, i + 1)
                  for i in range(n - 2))
fields += b"received : from x by y;\r\n\tMon, 1 Jan 2024 00:00:00 +0000\r\n" if n >= 2 else b""
fields += b"RECEIVED: from x by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n" if n >= 1 else b""
msg = fields + b"Subject: loop?\r\n\r\nReceived: in the body does not count\r\n" * 1
s = smtplib.SMTP("127.0.0.1", port, timeout=20)
s.ehlo("client.example")
s.mail("alice@a.example")
s.rcpt("bob@a.example")
code, text = s.data(msg)
print(code, text.decode())
s.quit()
PY
}
out=$(send_with 100) || fail "100 Received: fields: $out"
assert_contains "$out" "250" "100 Received: fields are accepted"
out=$(send_with 101) || fail "101 Received: fields: $out"
assert_contains "$out" "554 5.4.6" "101 Received: fields are refused as a loop (554 5.4.6)"
assert_eq "$(maildir_count "$work/mdA")" "1" "the looping message is not stored"
assert_eq "$(scrape "$pm" refsmtpd_loops_refused_total)" "1" "the refusal is counted"
stop_refsmtpd
assert_eq "$REFSMTPD_STATUS" "0" "the daemon exits 0"
