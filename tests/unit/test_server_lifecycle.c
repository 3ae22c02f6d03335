/* test_server_lifecycle.c - the server engine's life-cycle calls made at the wrong time
 * or with nothing to work on (server.c): they refuse or change nothing, never crash. */
#include <criterion/criterion.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/server.h"

/* output_len - octets of output the session has queued. */
static size_t output_len(const struct smtp_server *s) {
  size_t n;
  smtp_server_output(s, &n);
  return n;
}

Test(server_lifecycle, refuses_to_start_a_session_without_a_configuration) {
  cr_expect_null(smtp_server_new(NULL, NULL, NULL, false));
}

Test(server_lifecycle, frees_a_null_session_as_a_no_op) {
  smtp_server_free(NULL);
}

Test(server_lifecycle, ignores_a_resume_when_no_hook_is_pending) {
  struct smtp_server_config cfg = {.hostname = "mx.test"};
  struct smtp_server *s = smtp_server_new(&cfg, NULL, NULL, false);
  cr_assert_not_null(s);
  size_t greeting = output_len(s);
  struct smtp_hook_reply r = {550, "5.7.1", "no"};
  smtp_server_resume(s, SMTP_HOOK_REJECT, &r);
  smtp_server_resume(s, SMTP_HOOK_ACCEPT, NULL);
  cr_expect_eq(output_len(s), greeting, "a resume out of turn queued a reply");
  cr_expect_eq(smtp_server_state(s), SMTP_SERVER_RUNNING);
  static const char noop[] = "NOOP\r\n";
  cr_expect_eq(smtp_server_feed(s, guard_copy(noop, 6), 6), 6);
  cr_expect_gt(output_len(s), greeting, "the session no longer answers");
  smtp_server_free(s);
  guard_free_all();
}

/* pending_mail - the MAIL hook always decides later. */
static enum smtp_hook_status pending_mail(void *ctx, const struct smtp_command *cmd,
                                          struct smtp_hook_reply *reply) {
  (void)ctx, (void)cmd, (void)reply;
  return SMTP_HOOK_PENDING;
}

Test(server_lifecycle, keeps_a_pending_hook_pending_when_resumed_with_pending) {
  struct smtp_server_config cfg = {.hostname = "mx.test"};
  struct smtp_server_hooks hooks = {.mail = pending_mail};
  struct smtp_server *s = smtp_server_new(&cfg, &hooks, NULL, false);
  cr_assert_not_null(s);
  static const char in[] = "HELO c\r\nMAIL FROM:<a@b.example>\r\n";
  size_t n;
  smtp_server_output(s, &n);
  smtp_server_output_done(s, n);
  cr_expect_eq(smtp_server_feed(s, guard_copy(in, sizeof in - 1), sizeof in - 1), sizeof in - 1);
  cr_assert_eq(smtp_server_state(s), SMTP_SERVER_PENDING);
  size_t before = output_len(s);
  smtp_server_resume(s, SMTP_HOOK_PENDING, NULL);
  cr_expect_eq(smtp_server_state(s), SMTP_SERVER_PENDING);
  cr_expect_eq(output_len(s), before);
  smtp_server_resume(s, SMTP_HOOK_ACCEPT, NULL);
  cr_expect_eq(smtp_server_state(s), SMTP_SERVER_RUNNING);
  const char *out = smtp_server_output(s, &n);
  cr_expect(n >= before + 4 && memcmp(out + before, "250 ", 4) == 0, "%.*s", (int)n, out);
  smtp_server_free(s);
  guard_free_all();
}

Test(server_lifecycle, reads_nothing_once_closing) {
  struct smtp_server_config cfg = {.hostname = "mx.test"};
  struct smtp_server *s = smtp_server_new(&cfg, NULL, NULL, false);
  cr_assert_not_null(s);
  smtp_server_shutdown(s);
  cr_expect_eq(smtp_server_state(s), SMTP_SERVER_CLOSING);
  size_t before = output_len(s);
  static const char noop[] = "NOOP\r\n";
  cr_expect_eq(smtp_server_feed(s, guard_copy(noop, 6), 6), 0);
  smtp_server_timeout(s); /* a second reason to close sends no second 421 */
  cr_expect_eq(output_len(s), before);
  smtp_server_free(s);
  guard_free_all();
}
