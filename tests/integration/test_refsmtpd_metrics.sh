#!/usr/bin/env bash
# test_refsmtpd_metrics.sh - the live counters (issue 6): HTTP/1.0 GET /metrics on a
# loopback address, Prometheus text format, served from the event loop; a non-loopback
# address is refused at start-up. Also --drain-timeout: SIGTERM ends the daemon within the
# deadline even when a client keeps its transaction open.
source "$SMTPCHECK_SRC/tests/integration/lib_relay.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_smtp_client.sh"
work=$(test_tmpdir)
bin=$(refsmtpd_bin)
port=$(free_port)
pm=$(free_port)

# 1. Only loopback addresses are accepted for --metrics (exit status 2: a usage error).
set +e
"$bin" --listen "127.0.0.1:$port" --no-store --metrics "0.0.0.0:$pm" 2>"$work/err"
st=$?
set -e
assert_eq "$st" "2" "--metrics 0.0.0.0:PORT is refused"
assert_contains "$(cat "$work/err")" "not a loopback address" "the refusal says why"

# 2. A scrape before and after traffic.
start_refsmtpd --listen "127.0.0.1:$port" --maildir "$work/md" --domain test.example \
  --metrics "127.0.0.1:$pm" --drain-timeout 2
curl -fsS -D "$work/headers" -o "$work/m0" --max-time 5 --http1.0 "http://127.0.0.1:$pm/metrics" ||
  fail "scrape failed"
assert_contains "$(cat "$work/headers")" "HTTP/1.0 200" "GET /metrics answers 200 over HTTP/1.0"
assert_contains "$(cat "$work/headers")" "Content-Type: text/plain; version=0.0.4" "the Prometheus text content type"
assert_contains "$(cat "$work/m0")" "# TYPE refsmtpd_sessions_open gauge" "metrics carry TYPE lines"
# Every sample line is "name[{labels}] value" with a numeric value.
bad=$(grep -v '^#' "$work/m0" | grep -Evc '^[a-z_]+(\{[a-z]+="[0-9a-z]+"\})? [0-9]+$' || true)
assert_eq "$bad" "0" "every sample line is well-formed"
assert_eq "$(awk '$1 == "refsmtpd_messages_accepted_total" {print $2}' "$work/m0")" "0" "no messages yet"
printf 'Subject: counted\r\n\r\nx\r\n' >"$work/msg"
submit "$port" a@test.example b@test.example "$work/msg" >/dev/null || fail "submission"
submit "$port" a@test.example b@test.example "$work/msg" >/dev/null || fail "submission"
assert_eq "$(scrape "$pm" refsmtpd_messages_accepted_total)" "2" "messages accepted are counted"
assert_eq "$(scrape "$pm" refsmtpd_sessions_total)" "3" "sessions are counted (the start-up probe too)"
[ "$(scrape "$pm" 'refsmtpd_replies_total{class="2xx"}')" -ge 10 ] || fail "2xx replies not counted"
pass "replies are counted by class"
[ "$(scrape "$pm" refsmtpd_message_bytes_accepted_total)" -gt 0 ] || fail "bytes not counted"
pass "accepted octets are counted"

# 3. Only GET /metrics.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$pm/other")
assert_eq "$code" "404" "another path gets 404"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://127.0.0.1:$pm/metrics")
assert_eq "$code" "405" "POST gets 405"

# 4. A live session is visible, and the endpoint keeps answering while it is open.
exec 3<>"/dev/tcp/127.0.0.1/$port"
read -r -t 5 greeting <&3 || fail "no greeting"
printf 'EHLO open.example\r\nMAIL FROM:<a@test.example>\r\nRCPT TO:<b@test.example>\r\nDATA\r\n' >&3
sleep 0.5
assert_eq "$(scrape "$pm" refsmtpd_sessions_open)" "1" "an open session is a gauge of 1"

# 5. SIGTERM with that transaction still open: the drain deadline (2 s) ends the daemon.
start=$(date +%s%N)
stop_refsmtpd
ms=$((($(date +%s%N) - start) / 1000000))
exec 3>&-
assert_eq "$REFSMTPD_STATUS" "0" "the daemon exits 0 at the drain deadline"
[ "$ms" -lt 5000 ] || fail "the drain took ${ms} ms; --drain-timeout 2 should end it near 2 s"
[ "$ms" -ge 1500 ] || fail "the drain took only ${ms} ms: the open transaction was not waited for"
assert_contains "$(cat "$REFSMTPD_LOG")" "drain timeout (2 s)" "the log says the drain timed out"
pass "--drain-timeout bounds the drain (${ms} ms)"
