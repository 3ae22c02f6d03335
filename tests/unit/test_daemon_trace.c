/* test_daemon_trace.c - the Return-Path: and Received: lines refsmtpd writes (RFC 5321 4.4). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace.h"

/* base - a typical ESMTP transaction over IPv4 with one recipient, at a fixed time. */
static struct trace_info base(void) {
  struct trace_info t;
  memset(&t, 0, sizeof(t));
  t.reverse_path = "alice@client.example";
  t.helo = "client.example";
  t.client_ip = "192.0.2.7";
  t.hostname = "mx.test.example";
  t.esmtp = true;
  t.id = "ID1";
  t.for_rcpt = "bob@test.example";
  t.date = 1700000000;
  return t;
}

/* in_utc - run formatting with TZ=UTC so the date is predictable. */
static void in_utc(void) {
  setenv("TZ", "UTC", 1);
  tzset();
}

Test(daemon_trace, the_header_block_is_exactly_return_path_then_received, .init = in_utc) {
  struct trace_info t = base();
  char buf[1024];
  int n = trace_format(&t, buf, sizeof(buf));
  const char *want = "Return-Path: <alice@client.example>\r\n"
                     "Received: from client.example ([192.0.2.7])\r\n"
                     "\tby mx.test.example with ESMTP id ID1\r\n"
                     "\tfor <bob@test.example>;\r\n"
                     "\tTue, 14 Nov 2023 22:13:20 +0000\r\n";
  cr_assert_eq(n, (int)strlen(want));
  cr_assert_str_eq(buf, want);
}

Test(daemon_trace, the_null_reverse_path_gives_empty_brackets, .init = in_utc) {
  struct trace_info t = base();
  char buf[1024];
  t.reverse_path = "";
  cr_assert_gt(trace_format(&t, buf, sizeof(buf)), 0);
  cr_assert(strncmp(buf, "Return-Path: <>\r\n", 17) == 0, "%s", buf);
}

Test(daemon_trace, several_recipients_are_not_listed, .init = in_utc) {
  struct trace_info t = base();
  char buf[1024];
  t.for_rcpt = NULL;
  cr_assert_gt(trace_format(&t, buf, sizeof(buf)), 0);
  cr_assert_null(strstr(buf, "for <"), "%s", buf);
  cr_assert_not_null(strstr(buf, "id ID1;\r\n\tTue"), "%s", buf);
}

Test(daemon_trace, ipv6_clients_appear_as_ipv6_address_literals, .init = in_utc) {
  struct trace_info t = base();
  char buf[1024];
  t.client_ip = "::1";
  t.client_ipv6 = true;
  cr_assert_gt(trace_format(&t, buf, sizeof(buf)), 0);
  cr_assert_not_null(strstr(buf, "([IPv6:::1])"), "%s", buf);
}

Test(daemon_trace, the_protocol_follows_rfc_3848) {
  cr_assert_str_eq(trace_protocol(false, false, false), "SMTP");
  cr_assert_str_eq(trace_protocol(true, false, false), "ESMTP");
  cr_assert_str_eq(trace_protocol(true, true, false), "ESMTPS");
  cr_assert_str_eq(trace_protocol(true, false, true), "ESMTPA");
  cr_assert_str_eq(trace_protocol(true, true, true), "ESMTPSA");
}

Test(daemon_trace, peer_text_cannot_inject_header_lines_or_break_the_comment, .init = in_utc) {
  struct trace_info t = base();
  char buf[1024];
  t.helo = "evil\r\nX-Injected: yes (x)";
  t.reverse_path = "a>\r\nX: y";
  cr_assert_gt(trace_format(&t, buf, sizeof(buf)), 0);
  cr_assert_null(strstr(buf, "\r\nX-Injected"), "%s", buf);
  cr_assert_null(strstr(buf, "\r\nX: y"), "%s", buf);
  cr_assert_not_null(strstr(buf, "from evil??X-Injected:?yes??x? ([192.0.2.7])"), "%s", buf);
  cr_assert_not_null(strstr(buf, "Return-Path: <a???X: y>\r\n"), "%s", buf);
}

Test(daemon_trace, an_empty_helo_reads_unknown, .init = in_utc) {
  struct trace_info t = base();
  char buf[1024];
  t.helo = "";
  cr_assert_gt(trace_format(&t, buf, sizeof(buf)), 0);
  cr_assert_not_null(strstr(buf, "from unknown ("), "%s", buf);
}

Test(daemon_trace, a_too_small_buffer_is_refused_not_truncated) {
  struct trace_info t = base();
  char buf[40];
  cr_assert_eq(trace_format(&t, buf, sizeof(buf)), -1);
}
