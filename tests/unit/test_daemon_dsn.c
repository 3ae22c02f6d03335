/* test_daemon_dsn.c - RFC 3464 bounces: the status of a reply, the header section
 * returned, and the parts of the multipart/report. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"

Test(daemon_dsn, status_comes_from_the_enhanced_code_of_the_same_class) {
  char s[16];
  dsn_status(550, "5.1.1 No such user", s, sizeof(s));
  cr_assert_str_eq(s, "5.1.1");
  dsn_status(554, "5.7.1", s, sizeof(s));
  cr_assert_str_eq(s, "5.7.1", "an enhanced code alone");
  dsn_status(550, "No such user", s, sizeof(s));
  cr_assert_str_eq(s, "5.0.0", "no enhanced code: the class");
  dsn_status(550, "4.1.1 mismatched class", s, sizeof(s));
  cr_assert_str_eq(s, "5.0.0", "RFC 3463 2: the class must match the reply");
  dsn_status(451, "4.3.0 try later", s, sizeof(s));
  cr_assert_str_eq(s, "4.3.0");
  dsn_status(0, NULL, s, sizeof(s));
  cr_assert_str_eq(s, "5.0.0");
  dsn_status(550, "5.1.1x", s, sizeof(s));
  cr_assert_str_eq(s, "5.0.0", "not followed by a space");
}

Test(daemon_dsn, the_header_section_ends_before_the_empty_line) {
  const char *m = "A: 1\r\nB: 2\r\n\r\nbody\r\n";
  cr_assert_eq(dsn_header_len(m, strlen(m)), strlen("A: 1\r\nB: 2\r\n"));
  cr_assert_eq(dsn_header_len("\r\nbody", 6), 0, "an empty header section");
  cr_assert_eq(dsn_header_len("A: 1\r\n", 6), 6, "no body: all of it");
}

Test(daemon_dsn, the_report_has_every_required_field_and_only_the_headers) {
  struct dsn_rcpt rcpts[] = {
      {"nobody@d.example", "5.1.1", "550 5.1.1 No such user", true},
      {"far@e.example", "4.4.7", "connect to 127.0.0.1:9 failed: Connection refused", false},
  };
  const char *orig = "From: alice@a.example\r\nSubject: hello\r\n\r\nSECRET BODY\r\n";
  struct dsn_info d = {"mx.a.example", "alice@a.example", "Q1",  "Q1B1",
                       1700000000,     1700000100,        rcpts, 2,
                       orig,           strlen(orig)};
  size_t len;
  char *m = dsn_format(&d, &len);
  cr_assert_not_null(m);
  cr_assert_eq(strlen(m), len);
  cr_assert_not_null(strstr(m, "To: <alice@a.example>\r\n"));
  cr_assert_not_null(strstr(m, "Auto-Submitted: auto-replied\r\n"), "RFC 3834 5");
  cr_assert_not_null(strstr(m, "Content-Type: multipart/report; report-type=delivery-status;"));
  cr_assert_not_null(strstr(m, "boundary=\"Q1B1/mx.a.example\""));
  cr_assert_not_null(strstr(m, "\r\n--Q1B1/mx.a.example\r\nContent-Description: Delivery report"
                               "\r\nContent-Type: message/delivery-status\r\n\r\n"
                               "Reporting-MTA: dns; mx.a.example\r\n"));
  cr_assert_not_null(strstr(m, "Final-Recipient: rfc822; nobody@d.example\r\nAction: failed\r\n"
                               "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 No such user"));
  cr_assert_not_null(strstr(m, "Final-Recipient: rfc822; far@e.example\r\nAction: failed\r\n"
                               "Status: 4.4.7\r\nDiagnostic-Code: X-refsmtpd; connect to"));
  cr_assert_not_null(strstr(m, "Content-Type: text/rfc822-headers\r\n\r\n"
                               "From: alice@a.example\r\nSubject: hello\r\n\r\n"
                               "--Q1B1/mx.a.example--\r\n"));
  cr_assert_null(strstr(m, "SECRET BODY"), "the body is not returned");
  for (size_t i = 0; i < len; i++) {
    cr_assert((unsigned char)m[i] < 0x80, "7-bit only");
    if (m[i] == '\n')
      cr_assert(i > 0 && m[i - 1] == '\r', "CRLF line endings only (offset %zu)", i);
  }
  free(m);
}

Test(daemon_dsn, peer_text_cannot_add_header_lines) {
  struct dsn_rcpt rcpts[] = {{"x@y", "5.0.0", "550 evil\r\nX-Injected: yes", true}};
  struct dsn_info d = {"mx", "a@b\r\nBcc: c@d", "I", "B", 0, 0, rcpts, 1, "", 0};
  size_t len;
  char *m = dsn_format(&d, &len);
  cr_assert_not_null(m);
  cr_assert_null(strstr(m, "\r\nX-Injected"));
  cr_assert_null(strstr(m, "\r\nBcc:"));
  free(m);
}
