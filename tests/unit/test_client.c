/* test_client.c - the sans-I/O client engine, driven by scripted server bytes (no sockets).
 *
 * Every conversation runs twice, the server bytes fed whole and one octet at a time (each
 * piece ending at a guard page), and both runs must agree octet for octet. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/client.h"
#include "smtp/ext.h"

/* What one conversation produced. */
struct client_run {
  char *sent; /* every octet the client wrote, "[TLS]" where the handshake happened */
  size_t sent_len;
  char log[4096]; /* one "STEP code" line per reply the client consumed */
  enum smtp_client_state state;
  char error[256];
  unsigned offers;
  struct smtp_client_result results[8];
};
static void client_run_free(struct client_run *r);

/* log_reply - on_reply callback: append "STEP code" to the run's log. */
static void log_reply(void *ctx, enum smtp_client_step step, const struct smtp_reply *r) {
  struct client_run *run = ctx;
  size_t used = strlen(run->log);
  snprintf(run->log + used, sizeof run->log - used, "%s %d\n", smtp_step_name(step), r->code);
}

/* append_sent - keep what the client wrote. */
static void append_sent(struct client_run *run, const char *p, size_t n) {
  char *grown = realloc(run->sent, run->sent_len + n + 1);
  cr_assert_not_null(grown);
  run->sent = grown;
  memcpy(run->sent + run->sent_len, p, n);
  run->sent_len += n;
  run->sent[run->sent_len] = '\0';
}

/* drain - take all output, in pieces of at most 1000 octets to exercise partial sends. */
static void drain(struct smtp_client *c, struct client_run *run) {
  for (int guard = 0; guard < 1000000; guard++) {
    size_t n;
    const char *p = smtp_client_output(c, &n);
    if (n == 0)
      return;
    if (n > 1000)
      n = 1000;
    append_sent(run, p, n);
    smtp_client_output_done(c, n);
  }
  cr_assert_fail("client output never drained");
}

/* client_converse - the loop a daemon-side caller would run, minus the sockets. */
static void client_converse(const struct smtp_client_config *cfg,
                            const struct smtp_client_message *msgs, size_t nmsgs,
                            const char *server, size_t server_len, bool bytewise, bool eof,
                            struct client_run *out) {
  memset(out, 0, sizeof *out);
  append_sent(out, "", 0);
  struct smtp_client *c = smtp_client_new(cfg, msgs, nmsgs, log_reply, out);
  cr_assert_not_null(c, "smtp_client_new refused a valid configuration");
  size_t pos = 0;
  int stalls = 0;
  drain(c, out);
  while (pos < server_len) {
    enum smtp_client_state st = smtp_client_state(c);
    if (st == SMTP_CLIENT_STARTTLS) {
      append_sent(out, "[TLS]", 5);
      smtp_client_tls_started(c);
      drain(c, out);
      continue;
    }
    if (st != SMTP_CLIENT_RUNNING)
      break;
    size_t piece = bytewise ? 1 : server_len - pos;
    const char *in = guard_copy(server + pos, piece);
    size_t n = smtp_client_feed(c, in, piece);
    cr_assert_leq(n, piece);
    /* After STARTTLS's 220 the engine stops taking input; the rest of the script is
     * what the server says over TLS, fed once the loop has called tls_started. */
    pos += n;
    stalls = n == 0 && smtp_client_state(c) == SMTP_CLIENT_RUNNING ? stalls + 1 : 0;
    cr_assert_lt(stalls, 3, "the client stopped taking input while running");
    drain(c, out);
  }
  if (smtp_client_state(c) == SMTP_CLIENT_STARTTLS) {
    append_sent(out, "[TLS]", 5);
    smtp_client_tls_started(c);
    drain(c, out);
  }
  if (eof)
    smtp_client_eof(c);
  drain(c, out);
  out->state = smtp_client_state(c);
  snprintf(out->error, sizeof out->error, "%s", smtp_client_error(c));
  out->offers = smtp_client_offers(c);
  for (size_t i = 0; i < nmsgs && i < 8; i++)
    out->results[i] = *smtp_client_result(c, i);
  cr_assert_null(smtp_client_result(c, nmsgs));
  smtp_client_free(c);
  guard_free_all();
}

/* client_converse_both - whole and byte by byte must be indistinguishable. */
static void client_converse_both(const struct smtp_client_config *cfg,
                                 const struct smtp_client_message *msgs, size_t nmsgs,
                                 const char *server, bool eof, struct client_run *out) {
  struct client_run bytewise;
  size_t len = strlen(server);
  client_converse(cfg, msgs, nmsgs, server, len, false, eof, out);
  client_converse(cfg, msgs, nmsgs, server, len, true, eof, &bytewise);
  cr_assert_eq(out->sent_len, bytewise.sent_len, "whole: %zu octets sent, bytewise: %zu",
               out->sent_len, bytewise.sent_len);
  cr_assert(memcmp(out->sent, bytewise.sent, out->sent_len) == 0,
            "whole and bytewise runs sent different octets:\n%s\n---\n%s", out->sent,
            bytewise.sent);
  cr_assert_str_eq(out->log, bytewise.log);
  cr_assert_eq(out->state, bytewise.state);
  cr_assert_str_eq(out->error, bytewise.error);
  for (size_t i = 0; i < nmsgs && i < 8; i++) {
    cr_assert_eq(out->results[i].final_code, bytewise.results[i].final_code);
    cr_assert_eq(out->results[i].failed_step, bytewise.results[i].failed_step);
    cr_assert_eq(out->results[i].rcpts_accepted, bytewise.results[i].rcpts_accepted);
  }
  client_run_free(&bytewise);
}

/* client_run_free - the sent buffer is the only allocation. */
static void client_run_free(struct client_run *r) {
  free(r->sent);
  r->sent = NULL;
}

/* Fixtures: one message, two recipients, a content with a line to dot-stuff. */
static const char *const one_rcpt[] = {"bob@example.org"};
static const char *const two_rcpts[] = {"bob@example.org", "carol@example.org"};
static const char hello_content[] = "Subject: hi\r\n\r\nHello\r\n";

/* config - the usual settings: no TLS, no AUTH, PIPELINING and CHUNKING as asked. */
static struct smtp_client_config config(bool pipelining, bool chunking) {
  struct smtp_client_config cfg = {
      .ehlo = "client.example", .use_pipelining = pipelining, .use_chunking = chunking};
  return cfg;
}

/* message - one message from alice with the given recipients and content. */
static struct smtp_client_message message(const char *const *rcpts, size_t n, const char *text) {
  struct smtp_client_message m = {.from = "alice@example.com",
                                  .rcpts = rcpts,
                                  .nrcpts = n,
                                  .content = text,
                                  .content_len = strlen(text)};
  return m;
}

/* expect_sent - the client wrote exactly these octets. */
static void expect_sent(const struct client_run *r, const char *want) {
  cr_assert_eq(r->sent_len, strlen(want), "sent %zu octets, wanted %zu:\n%s", r->sent_len,
               strlen(want), r->sent);
  cr_assert_str_eq(r->sent, want);
}

#define GREET "220 mx.example ESMTP\r\n"
#define EHLO_PLAIN "250 mx.example\r\n"
#define EHLO_PIPE "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"

Test(client, delivers_one_message_with_ehlo_mail_rcpt_data_and_quit) {
  struct smtp_client_config cfg = config(true, true);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET EHLO_PLAIN "250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n"
                                        "250 2.0.0 queued\r\n221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nDATA\r\n"
                  "Subject: hi\r\n\r\nHello\r\n.\r\nQUIT\r\n");
  cr_assert_str_eq(r.log, "GREETING 220\nEHLO 250\nMAIL 250\nRCPT 250\nDATA 354\nDOT 250\n"
                          "QUIT 221\n");
  cr_assert_eq(r.state, SMTP_CLIENT_DONE);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  cr_assert_eq(r.results[0].final_code, 250);
  cr_assert_eq(r.results[0].rcpts_accepted, 1);
  cr_assert_str_eq(r.error, "");
  client_run_free(&r);
}

Test(client, dot_stuffs_leading_dots_and_ends_unterminated_content_with_crlf_dot_crlf) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, ".hidden\r\n..two\r\nlast line");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n", true,
                       &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nDATA\r\n"
                  "..hidden\r\n...two\r\nlast line\r\n.\r\nQUIT\r\n");
  client_run_free(&r);
}

Test(client, falls_back_to_helo_when_ehlo_gets_a_5xx) {
  struct smtp_client_config cfg = config(true, false);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET "502 5.5.1 no EHLO here\r\n250 mx.example\r\n250 ok\r\n250 ok\r\n"
                             "354 go\r\n250 ok\r\n221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nHELO client.example\r\n"
                  "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
                  "Subject: hi\r\n\r\nHello\r\n.\r\nQUIT\r\n");
  cr_assert_str_eq(r.log, "GREETING 220\nEHLO 502\nHELO 250\nMAIL 250\nRCPT 250\nDATA 354\n"
                          "DOT 250\nQUIT 221\n");
  cr_assert_eq(r.offers, 0);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  client_run_free(&r);
}

Test(client, gives_up_when_both_ehlo_and_helo_are_refused) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET "500 no\r\n501 no either\r\n221 bye\r\n", true, &r);
  expect_sent(&r, "EHLO client.example\r\nHELO client.example\r\nQUIT\r\n");
  cr_assert_eq(r.state, SMTP_CLIENT_FAILED);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_HELO);
  cr_assert_eq(r.results[0].final_code, 501);
  client_run_free(&r);
}

Test(client, sends_mail_rcpts_and_data_as_one_group_when_pipelining_is_offered) {
  struct smtp_client_config cfg = config(true, false);
  struct smtp_client_message m = message(two_rcpts, 2, hello_content);
  struct client_run r;
  /* Only the greeting and the EHLO reply: the whole group must already be out. */
  client_converse_both(&cfg, &m, 1, GREET EHLO_PIPE, false, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n");
  cr_assert_eq(r.offers, SMTP_EXT_PIPELINING | SMTP_EXT_8BITMIME);
  cr_assert_eq(r.state, SMTP_CLIENT_RUNNING);
  client_run_free(&r);
}

Test(client, waits_for_354_before_sending_content_after_a_pipelined_group) {
  struct smtp_client_config cfg = config(true, false);
  struct smtp_client_message m = message(two_rcpts, 2, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET EHLO_PIPE "250 ok\r\n250 ok\r\n250 ok\r\n", false, &r);
  cr_assert_eq(strstr(r.sent, "Hello"), NULL, "content went out before 354");
  client_run_free(&r);
  client_converse_both(&cfg, &m, 1,
                       GREET EHLO_PIPE "250 ok\r\n250 ok\r\n550 no carol\r\n354 go\r\n"
                                       "250 ok\r\n221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n"
                  "Subject: hi\r\n\r\nHello\r\n.\r\nQUIT\r\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  cr_assert_eq(r.results[0].rcpts_accepted, 1);
  client_run_free(&r);
}

Test(client, sends_commands_one_at_a_time_without_pipelining) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(two_rcpts, 2, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET EHLO_PIPE "250 ok\r\n", false, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\n");
  client_run_free(&r);
}

Test(client, resets_after_a_refused_mail_and_delivers_the_next_message) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m[2] = {message(one_rcpt, 1, "one\r\n"),
                                     message(one_rcpt, 1, "two\r\n")};
  struct client_run r;
  client_converse_both(&cfg, m, 2,
                       GREET EHLO_PLAIN "550 5.7.1 not you\r\n250 reset\r\n250 ok\r\n250 ok\r\n"
                                        "354 go\r\n250 ok\r\n221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\nRSET\r\n"
                  "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
                  "two\r\n.\r\nQUIT\r\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_MAIL);
  cr_assert_eq(r.results[0].final_code, 550);
  cr_assert_eq(r.results[1].failed_step, SMTP_STEP_DONE);
  cr_assert_eq(r.state, SMTP_CLIENT_DONE);
  client_run_free(&r);
}

Test(client, consumes_the_rest_of_a_pipelined_group_after_a_refused_mail_then_resets) {
  struct smtp_client_config cfg = config(true, false);
  struct smtp_client_message m[2] = {message(one_rcpt, 1, "one\r\n"),
                                     message(one_rcpt, 1, "two\r\n")};
  struct client_run r;
  client_converse_both(&cfg, m, 2,
                       GREET EHLO_PIPE "451 try later\r\n503 no mail\r\n503 no rcpt\r\n"
                                       "250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"
                                       "221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nDATA\r\nRSET\r\n"
                  "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
                  "two\r\n.\r\nQUIT\r\n");
  cr_assert_str_eq(r.log, "GREETING 220\nEHLO 250\nMAIL 451\nRCPT 503\nDATA 503\nRSET 250\n"
                          "MAIL 250\nRCPT 250\nDATA 354\nDOT 250\nQUIT 221\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_MAIL);
  cr_assert_eq(r.results[0].final_code, 451);
  cr_assert_eq(r.results[1].failed_step, SMTP_STEP_DONE);
  client_run_free(&r);
}

Test(client, resets_when_every_recipient_is_refused) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(two_rcpts, 2, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET EHLO_PLAIN "250 ok\r\n550 no bob\r\n450 carol busy\r\n221 bye\r\n",
                       true, &r);
  /* One message: no RSET before QUIT is needed. */
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nQUIT\r\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_RCPT);
  cr_assert_eq(r.results[0].final_code, 450);
  cr_assert_eq(r.results[0].rcpts_accepted, 0);
  cr_assert_eq(r.state, SMTP_CLIENT_DONE);
  client_run_free(&r);
}

Test(client, sends_only_the_end_mark_when_354_follows_a_pipelined_group_with_no_recipient) {
  struct smtp_client_config cfg = config(true, false);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET EHLO_PIPE "250 ok\r\n550 no\r\n354 go anyway\r\n554 empty\r\n"
                                       "221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nDATA\r\n.\r\nQUIT\r\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_RCPT);
  cr_assert_eq(r.results[0].final_code, 550);
  client_run_free(&r);
}

Test(client, reports_a_refused_data_command_and_a_refused_message) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m[2] = {message(one_rcpt, 1, "one\r\n"),
                                     message(one_rcpt, 1, "two\r\n")};
  struct client_run r;
  client_converse_both(&cfg, m, 2,
                       GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n554 no data\r\n250 reset\r\n"
                                        "250 ok\r\n250 ok\r\n354 go\r\n552 too big\r\n221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nDATA\r\nRSET\r\n"
                  "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
                  "two\r\n.\r\nQUIT\r\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DATA);
  cr_assert_eq(r.results[0].final_code, 554);
  cr_assert_eq(r.results[1].failed_step, SMTP_STEP_DOT);
  cr_assert_eq(r.results[1].final_code, 552);
  cr_assert_eq(r.state, SMTP_CLIENT_DONE);
  client_run_free(&r);
}

Test(client, stops_at_once_on_421_without_sending_quit) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m[2] = {message(one_rcpt, 1, "one\r\n"),
                                     message(one_rcpt, 1, "two\r\n")};
  struct client_run r;
  client_converse_both(&cfg, m, 2, GREET EHLO_PLAIN "250 ok\r\n421 4.3.2 shutting down\r\n", true,
                       &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\n");
  cr_assert_eq(r.state, SMTP_CLIENT_DONE);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_RCPT);
  cr_assert_eq(r.results[0].final_code, 421);
  cr_assert_eq(r.results[1].failed_step, SMTP_STEP_RCPT);
  cr_assert_eq(r.results[1].final_code, 421);
  cr_assert_neq(strstr(r.error, "421"), NULL);
  client_run_free(&r);
}

Test(client, sends_only_quit_after_a_554_greeting) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1, "554 go away\r\n221 bye\r\n", true, &r);
  expect_sent(&r, "QUIT\r\n");
  cr_assert_eq(r.state, SMTP_CLIENT_FAILED);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_GREETING);
  cr_assert_eq(r.results[0].final_code, 554);
  client_run_free(&r);
}

Test(client, fails_when_the_server_closes_mid_transaction) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET EHLO_PLAIN "250 ok\r\n", true, &r);
  cr_assert_eq(r.state, SMTP_CLIENT_FAILED);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_RCPT);
  cr_assert_eq(r.results[0].final_code, 0);
  cr_assert_neq(strstr(r.error, "RCPT"), NULL, "error: %s", r.error);
  client_run_free(&r);
}

Test(client, treats_a_close_after_quit_without_reply_as_done) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n",
                       true, &r);
  cr_assert_eq(r.state, SMTP_CLIENT_DONE);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  client_run_free(&r);
}

Test(client, fails_on_a_reply_that_is_not_smtp) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET "HTTP/1.1 400 Bad Request\r\n\r\n", false, &r);
  cr_assert_eq(r.state, SMTP_CLIENT_FAILED);
  cr_assert_neq(strstr(r.error, "malformed reply"), NULL, "error: %s", r.error);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_EHLO);
  client_run_free(&r);
}

Test(client, fails_on_a_reply_code_whose_first_digit_is_not_2_to_5) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1, "054\r\n", false, &r);
  cr_assert_eq(r.state, SMTP_CLIENT_FAILED);
  cr_assert_neq(strstr(r.error, "malformed reply"), NULL, "error: %s", r.error);
  cr_assert_eq(r.results[0].final_code, 0);
  client_run_free(&r);
}

Test(client, stops_reading_once_quit_is_answered) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, hello_content);
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n"
                                        "250 extra\r\n",
                       false, &r);
  cr_assert_eq(r.state, SMTP_CLIENT_DONE, "the session was over before the extra reply");
  cr_assert_eq(strstr(r.log, "extra"), NULL);
  cr_assert_str_eq(r.log, "GREETING 220\nEHLO 250\nMAIL 250\nRCPT 250\nDATA 354\nDOT 250\n"
                          "QUIT 221\n");
  client_run_free(&r);
}

Test(client, uses_bdat_when_chunking_is_offered_and_asked_for) {
  struct smtp_client_config cfg = config(true, true);
  struct smtp_client_message m = message(one_rcpt, 1, ".x\nbare lf\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET "250-mx\r\n250-CHUNKING\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n"
                             "250 got it\r\n221 bye\r\n",
                       true, &r);
  /* RFC 3030: BDAT content is sent as is, no stuffing, no line-ending repair. */
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nBDAT 12 LAST\r\n.x\nbare lf\r\nQUIT\r\n");
  cr_assert_str_eq(r.log, "GREETING 220\nEHLO 250\nMAIL 250\nRCPT 250\nBDAT 250\nQUIT 221\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  client_run_free(&r);
}

Test(client, uses_data_when_chunking_is_offered_but_not_asked_for) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET "250-mx\r\n250 CHUNKING\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"
                             "221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
  client_run_free(&r);
}

Test(client, adds_size_and_body_parameters_only_when_offered) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, "caf\xc3\xa9\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET "250-mx\r\n250-SIZE 1000\r\n250 8BITMIME\r\n", false, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com> SIZE=7 BODY=8BITMIME\r\n");
  client_run_free(&r);
  client_converse_both(&cfg, &m, 1, GREET "250 mx\r\n", false, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n");
  client_run_free(&r);
}

Test(client, issues_starttls_and_says_ehlo_again_over_tls) {
  struct smtp_client_config cfg = config(true, false);
  cfg.starttls = SMTP_CLIENT_TLS_REQUIRE;
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET "250-mx\r\n250-STARTTLS\r\n250 SIZE\r\n220 go ahead\r\n"
                             "250-mx\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"
                             "221 bye\r\n",
                       true, &r);
  /* RFC 3207 4.2: the second EHLO's offers replace the first (no SIZE= any more). */
  expect_sent(&r, "EHLO client.example\r\nSTARTTLS\r\n[TLS]EHLO client.example\r\n"
                  "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
                  "x\r\n.\r\nQUIT\r\n");
  cr_assert_eq(r.offers, SMTP_EXT_PIPELINING);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  client_run_free(&r);
}

Test(client, stops_in_the_starttls_state_and_leaves_stray_plaintext_unconsumed) {
  struct smtp_client_config cfg = config(false, false);
  cfg.starttls = SMTP_CLIENT_TLS_OPPORTUNISTIC;
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  const char *script = GREET "250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n250 injected\r\n";
  size_t len = strlen(script);
  struct smtp_client *c = smtp_client_new(&cfg, &m, 1, NULL, NULL);
  cr_assert_not_null(c);
  size_t n = smtp_client_feed(c, script, len);
  cr_assert_eq(smtp_client_state(c), SMTP_CLIENT_STARTTLS);
  cr_assert_eq(n, len - strlen("250 injected\r\n"), "consumed %zu of %zu", n, len);
  size_t out_len;
  const char *out = smtp_client_output(c, &out_len);
  cr_assert_eq(out_len, strlen("EHLO client.example\r\nSTARTTLS\r\n"));
  cr_assert(memcmp(out, "EHLO client.example\r\nSTARTTLS\r\n", out_len) == 0);
  cr_assert_eq(smtp_client_feed(c, "250 more\r\n", 10), 0, "fed while in STARTTLS state");
  smtp_client_output_done(c, out_len);
  smtp_client_tls_started(c);
  out = smtp_client_output(c, &out_len);
  cr_assert_eq(out_len, strlen("EHLO client.example\r\n"));
  cr_assert_eq(smtp_client_state(c), SMTP_CLIENT_RUNNING);
  smtp_client_free(c);
}

Test(client, refuses_to_go_on_when_starttls_is_required_but_not_offered) {
  struct smtp_client_config cfg = config(false, false);
  cfg.starttls = SMTP_CLIENT_TLS_REQUIRE;
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET EHLO_PIPE "221 bye\r\n", true, &r);
  expect_sent(&r, "EHLO client.example\r\nQUIT\r\n");
  cr_assert_eq(r.state, SMTP_CLIENT_FAILED);
  cr_assert_neq(strstr(r.error, "STARTTLS"), NULL, "error: %s", r.error);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_STARTTLS);
  client_run_free(&r);
}

Test(client, goes_on_in_clear_when_opportunistic_starttls_is_refused) {
  struct smtp_client_config cfg = config(false, false);
  cfg.starttls = SMTP_CLIENT_TLS_OPPORTUNISTIC;
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET "250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n250 ok\r\n"
                             "250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nSTARTTLS\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  client_run_free(&r);
}

Test(client, does_not_try_starttls_when_opportunistic_and_not_offered) {
  struct smtp_client_config cfg = config(false, false);
  cfg.starttls = SMTP_CLIENT_TLS_OPPORTUNISTIC;
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET EHLO_PLAIN, false, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n");
  client_run_free(&r);
}

Test(client, authenticates_with_plain_and_an_initial_response) {
  struct smtp_client_config cfg = config(false, false);
  cfg.auth_user = "user";
  cfg.auth_pass = "pass";
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET "250-mx\r\n250 AUTH LOGIN PLAIN\r\n235 2.7.0 ok\r\n250 ok\r\n"
                             "250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n",
                       true, &r);
  /* RFC 4616: base64("\0user\0pass") */
  expect_sent(&r, "EHLO client.example\r\nAUTH PLAIN AHVzZXIAcGFzcw==\r\n"
                  "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
                  "x\r\n.\r\nQUIT\r\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  client_run_free(&r);
}

Test(client, authenticates_with_login_when_plain_is_not_offered) {
  struct smtp_client_config cfg = config(false, false);
  cfg.auth_user = "user";
  cfg.auth_pass = "pass";
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET "250-mx\r\n250 AUTH=LOGIN\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
                             "235 ok\r\n250 ok\r\n",
                       false, &r);
  expect_sent(&r, "EHLO client.example\r\nAUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\n"
                  "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\n");
  cr_assert_str_eq(r.log, "GREETING 220\nEHLO 250\nAUTH 334\nAUTH 334\nAUTH 235\nMAIL 250\n");
  client_run_free(&r);
}

Test(client, quits_when_authentication_fails) {
  struct smtp_client_config cfg = config(false, false);
  cfg.auth_user = "user";
  cfg.auth_pass = "wrong";
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET "250-mx\r\n250 AUTH PLAIN\r\n535 5.7.8 bad credentials\r\n221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nAUTH PLAIN AHVzZXIAd3Jvbmc=\r\nQUIT\r\n");
  cr_assert_eq(r.state, SMTP_CLIENT_FAILED);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_AUTH);
  cr_assert_eq(r.results[0].final_code, 535);
  client_run_free(&r);
}

Test(client, cancels_plain_when_the_server_asks_for_more) {
  struct smtp_client_config cfg = config(false, false);
  cfg.auth_user = "u";
  cfg.auth_pass = "p";
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       GREET "250-mx\r\n250 AUTH PLAIN\r\n334 \r\n501 cancelled\r\n221 bye\r\n",
                       true, &r);
  expect_sent(&r, "EHLO client.example\r\nAUTH PLAIN AHUAcA==\r\n*\r\nQUIT\r\n");
  cr_assert_eq(r.state, SMTP_CLIENT_FAILED);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_AUTH);
  client_run_free(&r);
}

Test(client, refuses_auth_when_the_server_does_not_offer_it) {
  struct smtp_client_config cfg = config(false, false);
  cfg.auth_user = "user";
  cfg.auth_pass = "pass";
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1, GREET EHLO_PIPE "221 bye\r\n", true, &r);
  expect_sent(&r, "EHLO client.example\r\nQUIT\r\n");
  cr_assert_eq(r.state, SMTP_CLIENT_FAILED);
  cr_assert_neq(strstr(r.error, "AUTH"), NULL);
  client_run_free(&r);
}

Test(client, streams_content_larger_than_its_output_buffer) {
  size_t len = 300000;
  char *content = malloc(len + 1);
  char *want = malloc(2 * len + 200);
  cr_assert(content && want);
  for (size_t i = 0; i < len; i++)
    content[i] = (i % 61 == 60) ? '\n' : (i % 61 == 0 ? '.' : (char)('a' + i % 26));
  content[len] = '\0';
  size_t w = (size_t)sprintf(want, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                                   "RCPT TO:<bob@example.org>\r\nDATA\r\n");
  for (size_t i = 0; i < len; i++) {
    if (content[i] == '.' && (i == 0 || content[i - 1] == '\n'))
      want[w++] = '.';
    if (content[i] == '\n')
      want[w++] = '\r';
    want[w++] = content[i];
  }
  w += (size_t)sprintf(want + w, "\r\n.\r\nQUIT\r\n");
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, content);
  struct client_run r;
  const char *script = GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n";
  client_converse(&cfg, &m, 1, script, strlen(script), false, true, &r);
  cr_assert_eq(r.sent_len, w);
  cr_assert(memcmp(r.sent, want, w) == 0);
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  client_run_free(&r);
  free(content);
  free(want);
}

Test(client, splits_large_content_into_bdat_chunks) {
  size_t len = 1024 * 1024 + 10;
  char *content = malloc(len + 1);
  cr_assert_not_null(content);
  memset(content, 'z', len);
  content[len] = '\0';
  struct smtp_client_config cfg = config(false, true);
  struct smtp_client_message m = message(one_rcpt, 1, content);
  struct client_run r;
  const char *script = GREET "250-mx\r\n250 CHUNKING\r\n250 ok\r\n250 ok\r\n250 chunk\r\n"
                             "250 done\r\n221 bye\r\n";
  client_converse(&cfg, &m, 1, script, strlen(script), false, true, &r);
  cr_assert_neq(strstr(r.sent, "BDAT 1048576\r\n"), NULL);
  cr_assert_neq(strstr(r.sent, "BDAT 10 LAST\r\nzzzzzzzzzzQUIT\r\n"), NULL);
  cr_assert_str_eq(r.log, "GREETING 220\nEHLO 250\nMAIL 250\nRCPT 250\nBDAT 250\nBDAT 250\n"
                          "QUIT 221\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_DONE);
  client_run_free(&r);
  free(content);
}

Test(client, reads_multiline_replies_and_their_extensions) {
  struct smtp_client_config cfg = config(false, false);
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  struct client_run r;
  client_converse_both(&cfg, &m, 1,
                       "220-mx.example\r\n220-second line\r\n220 ESMTP\r\n"
                       "250-mx.example\r\n250-size 100\r\n250-Pipelining\r\n250-STARTTLS\r\n"
                       "250-AUTH PLAIN\r\n250-X-UNKNOWN\r\n250-DSN\r\n250 SMTPUTF8\r\n",
                       false, &r);
  cr_assert_eq(r.offers, SMTP_EXT_SIZE | SMTP_EXT_PIPELINING | SMTP_EXT_STARTTLS | SMTP_EXT_AUTH |
                             SMTP_EXT_DSN | SMTP_EXT_SMTPUTF8);
  cr_assert_str_eq(r.log, "GREETING 220\nEHLO 250\n");
  client_run_free(&r);
}

Test(client, refuses_addresses_that_would_inject_commands) {
  struct smtp_client_config cfg = config(false, false);
  const char *const evil[] = {"bob@example.org>\r\nRCPT TO:<eve@example.net"};
  struct smtp_client_message m = message(evil, 1, "x\r\n");
  cr_assert_null(smtp_client_new(&cfg, &m, 1, NULL, NULL));
  struct smtp_client_message none = message(one_rcpt, 0, "x\r\n");
  cr_assert_null(smtp_client_new(&cfg, &none, 1, NULL, NULL));
  cfg.ehlo = "a\nb";
  struct smtp_client_message ok = message(one_rcpt, 1, "x\r\n");
  cr_assert_null(smtp_client_new(&cfg, &ok, 1, NULL, NULL));
}

Test(client, names_every_step) {
  cr_assert_str_eq(smtp_step_name(SMTP_STEP_MAIL), "MAIL");
  cr_assert_str_eq(smtp_step_name(SMTP_STEP_DOT), "DOT");
  cr_assert_str_eq(smtp_step_name(SMTP_STEP_DONE), "DONE");
  cr_assert_str_eq(smtp_step_name((enum smtp_client_step)99), "?");
}

Test(client, fails_at_starttls_when_the_server_closes_before_the_handshake) {
  struct smtp_client_config cfg = config(false, false);
  cfg.starttls = SMTP_CLIENT_TLS_REQUIRE;
  struct smtp_client_message m = message(one_rcpt, 1, "x\r\n");
  const char *script = GREET "250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n";
  struct smtp_client *c = smtp_client_new(&cfg, &m, 1, NULL, NULL);
  cr_assert_not_null(c);
  cr_assert_eq(smtp_client_feed(c, script, strlen(script)), strlen(script));
  cr_assert_eq(smtp_client_state(c), SMTP_CLIENT_STARTTLS);
  smtp_client_eof(c);
  cr_assert_eq(smtp_client_state(c), SMTP_CLIENT_FAILED);
  cr_assert_str_eq(smtp_client_error(c),
                   "connection closed by the server before the TLS handshake");
  cr_assert_eq(smtp_client_result(c, 0)->failed_step, SMTP_STEP_STARTTLS);
  smtp_client_free(c);
}

Test(client, skips_a_message_with_utf8_addresses_when_smtputf8_is_not_offered) {
  struct smtp_client_config cfg = config(false, false);
  const char *const utf8_rcpt[] = {"j\xc3\xb6rg@example.org"};
  struct smtp_client_message m[2] = {message(utf8_rcpt, 1, "x\r\n"), message(one_rcpt, 1, "y\r\n")};
  struct client_run r;
  client_converse_both(
      &cfg, m, 2, GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n", true, &r);
  /* RFC 6531 3.2: the first message is not attempted; the second goes through. */
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                  "RCPT TO:<bob@example.org>\r\nDATA\r\ny\r\n.\r\nQUIT\r\n");
  cr_assert_eq(r.results[0].failed_step, SMTP_STEP_MAIL);
  cr_assert_eq(r.results[0].final_code, 0);
  cr_assert_eq(r.results[1].failed_step, SMTP_STEP_DONE);
  cr_assert_neq(strstr(r.error, "SMTPUTF8"), NULL, "%s", r.error);
  client_run_free(&r);
  client_converse_both(&cfg, m, 1, GREET "250-mx\r\n250 SMTPUTF8\r\n", false, &r);
  expect_sent(&r, "EHLO client.example\r\nMAIL FROM:<alice@example.com> SMTPUTF8\r\n");
  client_run_free(&r);
}
