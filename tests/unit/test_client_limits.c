/* test_client_limits.c - the client engine at its edges: configurations it must refuse,
 * replies longer than its 64 KiB input buffer, a reply line past the parser's hard limit,
 * output taken a little at a time (as a socket that takes part of each write), the server
 * closing during STARTTLS. Server bytes are fed whole and one octet at a time, each piece
 * ending at a guard page. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/client.h"
#include "smtp/data.h"

static const char *const one_rcpt[] = {"bob@example.org"};

/* message - one message to bob with the given content. */
static struct smtp_client_message message(const char *content, size_t len) {
  struct smtp_client_message m = {.from = "alice@example.com",
                                  .rcpts = one_rcpt,
                                  .nrcpts = 1,
                                  .content = content,
                                  .content_len = len};
  return m;
}

/* feed - server octets in pieces of `piece` (0: whole), output taken after each. */
static void feed(struct smtp_client *c, const char *in, size_t len, size_t piece) {
  for (size_t pos = 0; pos < len && smtp_client_state(c) == SMTP_CLIENT_RUNNING;) {
    size_t k = piece == 0 || len - pos < piece ? len - pos : piece;
    size_t n = smtp_client_feed(c, guard_copy(in + pos, k), k);
    cr_assert_gt(n, 0, "the client took nothing at offset %zu", pos);
    pos += n;
    size_t out;
    smtp_client_output(c, &out);
    smtp_client_output_done(c, out);
  }
  guard_free_all();
}

Test(client_limits, refuses_every_configuration_it_could_not_send) {
  static const char *const crlf_rcpt[] = {"bob@example.org\r\nRSET"};
  static const char *const null_rcpt[] = {NULL};
  struct smtp_client_config ok = {.ehlo = "client.example"};
  struct smtp_client_config bad_ehlo = {.ehlo = "client\r\nQUIT"};
  struct smtp_client_config no_pass = {.ehlo = "client.example", .auth_user = "u"};
  struct smtp_client_message m = message("x\r\n", 3);
  cr_expect_null(smtp_client_new(NULL, &m, 1, NULL, NULL), "no configuration");
  cr_expect_null(smtp_client_new(&ok, NULL, 1, NULL, NULL), "one message, none given");
  cr_expect_null(smtp_client_new(&bad_ehlo, &m, 1, NULL, NULL), "CRLF in the EHLO name");
  cr_expect_null(smtp_client_new(&no_pass, &m, 1, NULL, NULL), "a user without a password");
  struct smtp_client_message bad[5] = {m, m, m, m, m};
  bad[0].from = NULL;
  bad[1].from = "a@b\nMAIL FROM:<x@y>";
  bad[2].nrcpts = 0; /* RFC 5321 3.3: a transaction needs a recipient */
  bad[3].content = NULL;
  bad[4].rcpts = crlf_rcpt;
  for (size_t i = 0; i < 5; i++)
    cr_expect_null(smtp_client_new(&ok, &bad[i], 1, NULL, NULL), "message %zu accepted", i);
  struct smtp_client_message gap = m;
  gap.rcpts = null_rcpt;
  cr_expect_null(smtp_client_new(&ok, &gap, 1, NULL, NULL), "a NULL recipient");
  gap.rcpts = NULL;
  cr_expect_null(smtp_client_new(&ok, &gap, 1, NULL, NULL), "no recipient list");
}

Test(client_limits, says_ehlo_localhost_when_it_has_no_name) {
  struct smtp_client_config cfgs[2] = {{.ehlo = NULL}, {.ehlo = ""}};
  struct smtp_client_message m = message("x\r\n", 3);
  for (size_t i = 0; i < 2; i++) {
    struct smtp_client *c = smtp_client_new(&cfgs[i], &m, 1, NULL, NULL);
    cr_assert_not_null(c);
    cr_assert_eq(smtp_client_feed(c, "220 mx\r\n", 8), 8);
    size_t n;
    const char *out = smtp_client_output(c, &n);
    cr_expect(n == 16 && memcmp(out, "EHLO localhost\r\n", 16) == 0, "sent %.*s", (int)n, out);
    smtp_client_free(c);
  }
}

Test(client_limits, names_a_step_it_does_not_know_with_a_question_mark) {
  cr_expect_str_eq(smtp_step_name(SMTP_STEP_DONE), "DONE");
  cr_expect_str_eq(smtp_step_name((enum smtp_client_step)(SMTP_STEP_DONE + 1)), "?");
  cr_expect_str_eq(smtp_step_name((enum smtp_client_step)1000), "?");
}

/* long_ehlo - a 250 EHLO reply of `lines` lines of 70 octets each. */
static char *long_ehlo(size_t lines, size_t *len) {
  size_t cap = 16 + lines * 72, at = 0;
  char *buf = malloc(cap);
  cr_assert_not_null(buf);
  at += (size_t)snprintf(buf, cap, "220 mx\r\n");
  for (size_t i = 0; i < lines; i++)
    at += (size_t)snprintf(buf + at, cap - at, "250%cX-%063zu\r\n", i + 1 < lines ? '-' : ' ', i);
  *len = at;
  return buf;
}

Test(client_limits, fails_on_a_reply_longer_than_its_64_kib_input_buffer_whole_and_bytewise) {
  /* 1000 continuation lines of 70 octets: 70000 octets, more than SMTPC_IN_CAP (65536). */
  size_t len;
  char *in = long_ehlo(1000, &len);
  struct smtp_client_config cfg = {.ehlo = "client.example"};
  struct smtp_client_message m = message("x\r\n", 3);
  for (size_t piece = 0; piece <= 1; piece++) {
    struct smtp_client *c = smtp_client_new(&cfg, &m, 1, NULL, NULL);
    feed(c, in, len, piece == 0 ? 0 : 4096);
    cr_expect_eq(smtp_client_state(c), SMTP_CLIENT_FAILED);
    cr_expect_str_eq(smtp_client_error(c), "reply longer than 65536 octets");
    smtp_client_free(c);
  }
  free(in);
}

Test(client_limits, takes_a_reply_of_900_lines_that_fits_its_input_buffer) {
  size_t len;
  char *in = long_ehlo(900, &len); /* 8 + 63000 octets */
  struct smtp_client_config cfg = {.ehlo = "client.example"};
  struct smtp_client_message m = message("x\r\n", 3);
  struct smtp_client *c = smtp_client_new(&cfg, &m, 1, NULL, NULL);
  smtp_client_feed(c, in, len);
  cr_expect_eq(smtp_client_state(c), SMTP_CLIENT_RUNNING, "%s", smtp_client_error(c));
  size_t n;
  const char *out = smtp_client_output(c, &n);
  static const char want[] = "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n";
  cr_expect(n == sizeof want - 1 && memcmp(out, want, n) == 0, "sent %.*s", (int)n, out);
  smtp_client_free(c);
  free(in);
}

Test(client_limits, fails_without_quoting_a_line_past_the_hard_limit_inside_a_reply) {
  /* The second line of the reply has no LF within 4096 octets: not SMTP. The error
   * quotes the start of the reply, never octets from the middle of the bad line. */
  size_t len = 8 + 8 + 5000;
  char *in = malloc(len);
  cr_assert_not_null(in);
  memcpy(in, "220 mx\r\n250-mx\r\n", 16);
  memset(in + 16, 'x', 5000);
  struct smtp_client_config cfg = {.ehlo = "client.example"};
  struct smtp_client_message m = message("x\r\n", 3);
  for (size_t piece = 0; piece <= 1; piece++) {
    struct smtp_client *c = smtp_client_new(&cfg, &m, 1, NULL, NULL);
    feed(c, in, len, piece);
    cr_expect_eq(smtp_client_state(c), SMTP_CLIENT_FAILED);
    cr_expect_str_eq(smtp_client_error(c), "malformed reply from the server: \"\"");
    cr_expect_eq(smtp_client_result(c, 0)->failed_step, SMTP_STEP_EHLO);
    smtp_client_free(c);
  }
  free(in);
}

/* content_of - n octets of text with lines to dot-stuff. */
static char *content_of(size_t n) {
  char *s = malloc(n);
  cr_assert_not_null(s);
  for (size_t i = 0; i < n; i++)
    s[i] = i % 50 == 0 ? '.' : i % 50 == 49 ? '\n' : (char)('a' + i % 26);
  return s;
}

Test(client_limits, sends_the_same_octets_when_its_output_is_taken_a_little_at_a_time) {
  /* 100000 octets through a 16 KiB output buffer: taken whole, every write refills it;
   * taken 1, 7 or 1000 octets at a time, unsent output is kept at the buffer's start. */
  static const char server[] = "220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n";
  size_t clen = 100000;
  char *content = content_of(clen);
  struct smtp_client_config cfg = {.ehlo = "client.example"};
  struct smtp_client_message m = message(content, clen);
  static const size_t takes[] = {(size_t)-1, 1, 7, 1000};
  char *first = NULL;
  size_t first_len = 0;
  for (size_t t = 0; t < 4; t++) {
    struct smtp_client *c = smtp_client_new(&cfg, &m, 1, NULL, NULL);
    char *sent = malloc(3 * clen);
    size_t sent_len = 0;
    cr_assert_not_null(sent);
    for (size_t pos = 0; pos < sizeof server - 1; pos++) {
      cr_assert_eq(smtp_client_feed(c, server + pos, 1), 1);
      size_t n;
      const char *out = smtp_client_output(c, &n);
      for (int guard = 0; n > 0 && guard < 1000000; guard++) {
        size_t k = n < takes[t] ? n : takes[t];
        cr_assert_leq(sent_len + k, 3 * clen);
        memcpy(sent + sent_len, out, k);
        sent_len += k;
        smtp_client_output_done(c, k);
        out = smtp_client_output(c, &n);
      }
    }
    cr_assert_eq(smtp_client_state(c), SMTP_CLIENT_RUNNING);
    /* What went out after "DATA\r\n" unstuffs to the content, bare LF sent as CRLF. */
    const char *data = strstr(sent, "DATA\r\n");
    cr_assert_not_null(data);
    data += 6;
    size_t data_len = (size_t)(sent + sent_len - data), got = 0;
    struct smtp_unstuffer u = {0};
    char *back = malloc(data_len + 2), *want = malloc(2 * clen);
    cr_assert(back != NULL && want != NULL);
    bool done = false;
    cr_expect_eq(smtp_unstuff(&u, data, data_len, back, &got, &done), data_len);
    cr_expect(done, "take %zu: no end of data", takes[t]);
    size_t want_len = 0;
    for (size_t i = 0; i < clen; i++) {
      if (content[i] == '\n')
        want[want_len++] = '\r';
      want[want_len++] = content[i];
    }
    cr_expect(got == want_len && memcmp(back, want, want_len) == 0,
              "take %zu: %zu octets back, want %zu", takes[t], got, want_len);
    free(want);
    if (first == NULL) {
      first = sent;
      first_len = sent_len;
    } else {
      cr_expect_eq(sent_len, first_len, "take %zu: %zu octets sent, whole: %zu", takes[t], sent_len,
                   first_len);
      cr_expect(memcmp(sent, first, first_len) == 0, "take %zu: other octets", takes[t]);
      free(sent);
    }
    free(back);
    smtp_client_free(c);
  }
  free(first);
  free(content);
}

Test(client_limits, counts_no_more_sent_octets_than_it_has_output) {
  struct smtp_client_config cfg = {.ehlo = "client.example"};
  struct smtp_client_message m = message("x\r\n", 3);
  struct smtp_client *c = smtp_client_new(&cfg, &m, 1, NULL, NULL);
  smtp_client_feed(c, "220 mx\r\n", 8);
  size_t n;
  smtp_client_output(c, &n);
  cr_assert_eq(n, 21); /* "EHLO client.example\r\n" */
  smtp_client_output_done(c, 1000);
  smtp_client_output(c, &n);
  cr_expect_eq(n, 0, "output after saying more was sent than there was");
  smtp_client_feed(c, "250 mx\r\n", 8);
  const char *out = smtp_client_output(c, &n);
  cr_expect(n == 31 && memcmp(out, "MAIL FROM:<alice@example.com>\r\n", 31) == 0, "%.*s", (int)n,
            out);
  smtp_client_free(c);
}

Test(client_limits, fails_at_starttls_when_the_server_closes_before_the_handshake) {
  struct smtp_client_config cfg = {.ehlo = "client.example", .starttls = SMTP_CLIENT_TLS_REQUIRE};
  struct smtp_client_message msgs[2] = {message("x\r\n", 3), message("y\r\n", 3)};
  static const char server[] = "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n";
  for (size_t piece = 0; piece <= 1; piece++) {
    struct smtp_client *c = smtp_client_new(&cfg, msgs, 2, NULL, NULL);
    feed(c, server, sizeof server - 1, piece);
    cr_assert_eq(smtp_client_state(c), SMTP_CLIENT_STARTTLS);
    smtp_client_eof(c);
    cr_expect_eq(smtp_client_state(c), SMTP_CLIENT_FAILED);
    cr_expect_str_eq(smtp_client_error(c),
                     "connection closed by the server before the TLS handshake");
    for (size_t i = 0; i < 2; i++) {
      cr_expect_eq(smtp_client_result(c, i)->failed_step, SMTP_STEP_STARTTLS);
      cr_expect_eq(smtp_client_result(c, i)->final_code, 0);
    }
    smtp_client_eof(c); /* a second close changes nothing */
    cr_expect_eq(smtp_client_state(c), SMTP_CLIENT_FAILED);
    smtp_client_free(c);
  }
}

Test(client_limits, ignores_tls_started_when_no_starttls_is_under_way) {
  struct smtp_client_config cfg = {.ehlo = "client.example"};
  struct smtp_client_message m = message("x\r\n", 3);
  struct smtp_client *c = smtp_client_new(&cfg, &m, 1, NULL, NULL);
  smtp_client_feed(c, "220 mx\r\n", 8);
  size_t before, after;
  smtp_client_output(c, &before);
  smtp_client_tls_started(c); /* the caller got confused: no STARTTLS was sent */
  smtp_client_output(c, &after);
  cr_expect_eq(after, before, "a second EHLO went out");
  cr_expect_eq(smtp_client_state(c), SMTP_CLIENT_RUNNING);
  smtp_client_output_done(c, after);
  smtp_client_feed(c, "250 mx\r\n", 8);
  const char *out = smtp_client_output(c, &after);
  cr_expect(after > 10 && memcmp(out, "MAIL FROM:", 10) == 0, "%.*s", (int)after, out);
  smtp_client_free(c);
}
