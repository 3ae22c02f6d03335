/* test_daemon_line_pending.c - smtp_server_line_pending(), which refsmtpd's per-line
 * deadline (--command-deadline) relies on: true exactly while part of a command line, an
 * over-long line or a SASL response line is held without its CRLF; never inside DATA. */
#include <criterion/criterion.h>
#include <string.h>

#include "smtp/server.h"

/* An engine with AUTH PLAIN offered in plaintext, the hooks all defaulted. */
static const struct smtp_server_config cfg = {
    .hostname = "mx.test",
    .extensions = SMTP_EXT_AUTH,
    .auth_mechanisms = "PLAIN",
};
static const struct smtp_server_hooks hooks = {0};

/* feed_all - feed text in writes of `step` octets, sending all output; expect is the
 * answer of smtp_server_line_pending() wanted after each octet (NULL: not checked),
 * '1' or '0' per octet of text. */
static void feed_all(struct smtp_server *s, const char *text, size_t step, const char *expect) {
  size_t len = strlen(text);
  for (size_t at = 0; at < len;) {
    size_t n = len - at < step ? len - at : step;
    size_t took = smtp_server_feed(s, text + at, n);
    size_t out;
    smtp_server_output(s, &out);
    smtp_server_output_done(s, out);
    cr_assert_gt(took, 0, "the engine took nothing at offset %zu", at);
    at += took;
    if (expect != NULL)
      cr_assert_eq(smtp_server_line_pending(s), expect[at - 1] == '1',
                   "after %zu octets of %s (writes of %zu)", at, text, step);
  }
}

/* fresh - a new engine whose greeting was sent. */
static struct smtp_server *fresh(void) {
  struct smtp_server *s = smtp_server_new(&cfg, &hooks, NULL, false);
  size_t out;
  cr_assert_not_null(s);
  smtp_server_output(s, &out);
  smtp_server_output_done(s, out);
  cr_assert_not(smtp_server_line_pending(s), "nothing is pending after the greeting");
  return s;
}

Test(daemon_line_pending, a_command_line_is_pending_from_its_first_octet_to_its_crlf) {
  /* One flag per octet: "NOOP\r" pending, "\n" ends it; a bare LF does not (RFC 5321
   * 2.3.8: only CRLF ends a line). */
  static const char text[] = "NOOP\r\nNO\nOP\r\n";
  static const char want[] = "1111101111110";
  for (size_t step = 1; step <= sizeof(text); step++) {
    struct smtp_server *s = fresh();
    feed_all(s, text, step, step == 1 ? want : NULL);
    cr_assert_not(smtp_server_line_pending(s), "whole lines leave nothing pending");
    smtp_server_free(s);
  }
}

Test(daemon_line_pending, a_line_begun_after_a_complete_one_in_the_same_write_is_pending) {
  struct smtp_server *s = fresh();
  feed_all(s, "NOOP\r\nNO", 8, NULL);
  cr_assert(smtp_server_line_pending(s));
  feed_all(s, "OP\r\n", 4, NULL);
  cr_assert_not(smtp_server_line_pending(s));
  smtp_server_free(s);
}

Test(daemon_line_pending, an_over_long_line_stays_pending_while_it_is_skipped) {
  /* RFC 5321 4.5.3.1.4: past 512 octets the rest of the line is discarded up to CRLF. */
  char line[2001];
  struct smtp_server *s = fresh();
  memset(line, 'x', sizeof(line) - 1);
  line[sizeof(line) - 1] = '\0';
  feed_all(s, line, 1, NULL);
  cr_assert(smtp_server_line_pending(s), "2000 octets without CRLF are still one line");
  feed_all(s, line, 700, NULL);
  cr_assert(smtp_server_line_pending(s));
  feed_all(s, "\r\n", 1, NULL);
  cr_assert_not(smtp_server_line_pending(s), "the CRLF ends the skipped line");
  smtp_server_free(s);
}

Test(daemon_line_pending, message_content_is_never_a_pending_line) {
  struct smtp_server *s = fresh();
  feed_all(s, "EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n", 64, NULL);
  cr_assert_eq(smtp_server_phase(s), SMTP_PHASE_DATA);
  feed_all(s, "Subject: slow", 1, NULL);
  cr_assert_not(smtp_server_line_pending(s), "content has the per-block timeout only");
  feed_all(s, "\r\n.\r\nNO", 1, NULL);
  cr_assert_eq(smtp_server_phase(s), SMTP_PHASE_COMMAND);
  cr_assert(smtp_server_line_pending(s), "the command after the content is a line again");
  smtp_server_free(s);
}

Test(daemon_line_pending, a_sasl_response_line_is_pending_until_its_crlf) {
  /* RFC 4954 4: after "334 " the client sends one base64 line. */
  struct smtp_server *s = fresh();
  feed_all(s, "EHLO c.test\r\nAUTH PLAIN\r\n", 64, NULL);
  cr_assert_not(smtp_server_line_pending(s), "waiting for the response, none begun");
  feed_all(s, "AGEA", 1, NULL);
  cr_assert(smtp_server_line_pending(s));
  feed_all(s, "Yg==\r", 1, NULL);
  cr_assert(smtp_server_line_pending(s));
  feed_all(s, "\n", 1, NULL);
  cr_assert_not(smtp_server_line_pending(s));
  smtp_server_free(s);
}
