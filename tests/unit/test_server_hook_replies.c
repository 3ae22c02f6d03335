/* test_server_hook_replies.c - what the server engine sends when a daemon's hook answers
 * with a reply of its own (server_reply.c): enhanced codes that are not RFC 3463 2
 * "class.subject.detail", codes of another class than the default, and the one 421 a
 * session gets when two limits are reached by the same reply. Each conversation runs
 * whole and one octet at a time (each piece ending at a guard page); both must agree. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_bytes.h"
#include "helper_guard.h"
#include "smtp/server.h"

/* The reply every RCPT hook call gives, and what the session sent. */
struct hook_run {
  enum smtp_hook_status status;
  struct smtp_hook_reply reply;
  struct bytes out;
};

/* rcpt_hook - answer every RCPT with the run's reply. */
static enum smtp_hook_status rcpt_hook(void *ctx, const struct smtp_command *cmd,
                                       struct smtp_hook_reply *reply) {
  const struct hook_run *run = ctx;
  (void)cmd;
  *reply = run->reply;
  return run->status;
}

/* auth_hook - refuse every credential. */
static enum smtp_hook_status auth_hook(void *ctx, const char *mech, const char *user,
                                       size_t user_len, const char *pass, size_t pass_len,
                                       struct smtp_hook_reply *reply) {
  (void)ctx, (void)mech, (void)user, (void)user_len, (void)pass, (void)pass_len, (void)reply;
  return SMTP_HOOK_REJECT;
}

/* take_output - append the engine's replies to the run. */
static void take_output(struct smtp_server *s, struct hook_run *run) {
  size_t n;
  const char *p = smtp_server_output(s, &n);
  bytes_add(&run->out, p, n);
  smtp_server_output_done(s, n);
}

/* converse - feed in whole (piece 0) or in pieces of `piece` octets; stop at CLOSING. */
static void converse(const struct smtp_server_config *cfg, struct hook_run *run, const char *in,
                     size_t piece) {
  struct smtp_server_hooks hooks = {.rcpt = rcpt_hook, .auth = auth_hook};
  struct smtp_server *s = smtp_server_new(cfg, &hooks, run, false);
  cr_assert_not_null(s);
  bytes_free(&run->out);
  take_output(s, run);
  size_t len = strlen(in), pos = 0;
  while (pos < len && smtp_server_state(s) == SMTP_SERVER_RUNNING) {
    size_t k = piece == 0 || len - pos < piece ? len - pos : piece;
    size_t n = smtp_server_feed(s, guard_copy(in + pos, k), k);
    cr_assert_gt(n, 0, "the engine stalled at offset %zu", pos);
    pos += n;
    take_output(s, run);
  }
  smtp_server_free(s);
  guard_free_all();
}

/* expect_replies - whole and octet by octet, the session sends exactly want. */
static void expect_replies(const struct smtp_server_config *cfg, struct hook_run *run,
                           const char *in, const char *want) {
  converse(cfg, run, in, 0);
  cr_assert_str_eq(run->out.p, want);
  converse(cfg, run, in, 1);
  cr_assert_str_eq(run->out.p, want, "one octet at a time");
  bytes_free(&run->out);
}

/* config - ENHANCEDSTATUSCODES and AUTH PLAIN offered. */
static struct smtp_server_config config(void) {
  struct smtp_server_config cfg = {.hostname = "mx.test",
                                   .extensions = SMTP_EXT_ENHANCEDSTATUSCODES | SMTP_EXT_AUTH,
                                   .auth_mechanisms = "PLAIN"};
  return cfg;
}

#define GREETING "220 mx.test ESMTP refsmtpd\r\n"
#define EHLO_REPLY "250-mx.test\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN\r\n"
#define TO_RCPT "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"
#define MAIL_OK "250 2.1.0 OK\r\n"

/* rcpt_reply - the session's replies when the RCPT hook answers status/code/enhanced. */
static void rcpt_reply(enum smtp_hook_status status, int code, const char *enhanced,
                       const char *want_rcpt_reply) {
  struct smtp_server_config cfg = config();
  struct hook_run run = {.status = status, .reply = {code, enhanced, "Hook says so"}};
  char want[512];
  snprintf(want, sizeof want, "%s%s%s%s", GREETING, EHLO_REPLY, MAIL_OK, want_rcpt_reply);
  expect_replies(&cfg, &run, TO_RCPT, want);
}

Test(server_hook_replies, keep_a_well_formed_enhanced_code_of_the_hook) {
  rcpt_reply(SMTP_HOOK_REJECT, 550, "5.7.123", "550 5.7.123 Hook says so\r\n");
}

Test(server_hook_replies, replace_a_malformed_enhanced_code_by_the_default_one) {
  /* RFC 3463 2: class "." subject "." detail, subject and detail of 1 to 3 digits. */
  static const char *const bad[] = {"5.1234.1", "5.1.1000", "5.1-1", "5.1.1 x", "5..1", "5.1."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    rcpt_reply(SMTP_HOOK_REJECT, 550, bad[i], "550 5.1.1 Hook says so\r\n");
}

Test(server_hook_replies, use_the_generic_4_0_0_for_a_4xx_whose_enhanced_code_is_malformed) {
  /* The default refusal is 550 5.1.1; a 4xx cannot borrow a class 5 code (RFC 3463 3.1). */
  rcpt_reply(SMTP_HOOK_REJECT, 450, "4.x.1", "450 4.0.0 Hook says so\r\n");
  rcpt_reply(SMTP_HOOK_REJECT, 451, NULL, "451 4.0.0 Hook says so\r\n");
}

Test(server_hook_replies, use_the_generic_code_when_the_enhanced_class_is_another_than_the_reply) {
  rcpt_reply(SMTP_HOOK_REJECT, 450, "5.1.1", "450 4.0.0 Hook says so\r\n");
  rcpt_reply(SMTP_HOOK_ACCEPT, 251, "5.1.1", "251 2.1.5 Hook says so\r\n");
}

Test(server_hook_replies, send_one_421_when_the_error_and_auth_failure_limits_fall_together) {
  /* The 535 is the first 5xx allowed (max_errors 1) and the first AUTH failure allowed
   * (max_auth_failures 1): both close the session, but only one 421 may go out. */
  struct smtp_server_config cfg = config();
  cfg.max_errors = 1;
  cfg.max_auth_failures = 1;
  struct hook_run run = {0};
  expect_replies(&cfg, &run, "EHLO c\r\nAUTH PLAIN AHUAcA==\r\nNOOP\r\n",
                 GREETING EHLO_REPLY "535 5.7.8 Error: authentication credentials invalid\r\n"
                                     "421 4.7.0 mx.test Error: too many errors\r\n");
}
