/* test_server_memory.c - the engine's memory per session (issue 6: a daemon holds
 * thousands of idle connections): one block of bounded size, allocated at session start
 * and never again, and an output buffer small enough to be cheap yet never too small for
 * the replies a step may queue, even when the daemon sends nothing for a long time. */
#include <malloc.h>

#include "test_server_conv.h"

#include "smtp/reply.h"

/* ASan and its kind replace malloc, and mallinfo2() no longer sees the engine's block. */
#if defined(__SANITIZE_ADDRESS__)
#define MALLOC_REPLACED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define MALLOC_REPLACED 1
#endif
#endif
#ifndef MALLOC_REPLACED
#define MALLOC_REPLACED 0
#endif

/* The budget for one session's block: with the daemon's own ~250 octets per connection
 * this keeps refsmtpd well under 8 KiB of memory per idle connection. */
#define SESSION_BUDGET 5120

Test(server_memory, allocates_a_session_block_within_its_budget) {
  cr_expect_leq(smtp_server_session_size(), SESSION_BUDGET, "%zu octets per session",
                smtp_server_session_size());
}

/* A whole session touching every mode: EHLO, AUTH (LOGIN in two steps, PLAIN), a DATA
 * transaction, BDAT, a line too long, STARTTLS. */
static const char everything[] =
    "EHLO c\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0IHNhdWNl\r\nMAIL FROM:<a@b.test>\r\n"
    "RCPT TO:<b@mx.test>\r\nDATA\r\nhello\r\n..dot\r\n.\r\nMAIL FROM:<a@b.test>\r\n"
    "RCPT TO:<b@mx.test>\r\nBDAT 5 LAST\r\nhello"
    "NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "\r\nSTARTTLS\r\n";

/* An output sink that does not allocate. */
static char sink[8192];
static size_t sink_len;

/* drain_static - move the engine's output into sink (truncating: only sizes matter). */
static void drain_static(struct smtp_server *srv) {
  size_t n;
  const char *p = smtp_server_output(srv, &n);
  size_t keep = n < sizeof sink - sink_len ? n : sizeof sink - sink_len;
  memcpy(sink + sink_len, p, keep);
  sink_len += keep;
  smtp_server_output_done(srv, n);
}

Test(server_memory, allocates_one_block_at_start_and_nothing_while_serving) {
  if (MALLOC_REPLACED)
    cr_skip_test("a sanitizer's malloc is invisible to mallinfo2(); the default build checks");
  struct conv_setup s = conv_setup_default();
  struct mallinfo2 before = mallinfo2();
  struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  struct mallinfo2 opened = mallinfo2();
  cr_assert_not_null(srv);
  size_t grew = opened.uordblks - before.uordblks;
  cr_expect_geq(grew, smtp_server_session_size());
  cr_expect_leq(grew, smtp_server_session_size() + 32, "one block, %zu octets", grew);
  /* Serve a whole session one octet at a time, and again all at once. */
  size_t used = 0;
  for (int spin = 0; spin < 100000 && used < sizeof everything - 1; spin++) {
    if (smtp_server_state(srv) != SMTP_SERVER_RUNNING)
      break;
    used += smtp_server_feed(srv, everything + used, 1);
    drain_static(srv);
  }
  cr_expect_eq(smtp_server_state(srv), SMTP_SERVER_STARTTLS, "got:\n%.*s", (int)sink_len, sink);
  smtp_server_tls_started(srv);
  used = 0;
  for (int spin = 0; spin < 1000 && used < sizeof everything - 1; spin++) {
    if (smtp_server_state(srv) != SMTP_SERVER_RUNNING)
      break;
    used += smtp_server_feed(srv, everything + used, sizeof everything - 1 - used);
    drain_static(srv);
  }
  struct mallinfo2 served = mallinfo2();
  cr_expect_eq(served.uordblks, opened.uordblks, "the engine allocated while serving");
  smtp_server_free(srv);
  struct mallinfo2 freed = mallinfo2();
  cr_expect_eq(freed.uordblks, before.uordblks, "the block is released");
}

/* The longest hook text the engine keeps: 599 octets, 8 lines, the last one too long for
 * a 512-octet reply line (so the formatter wraps it onto a ninth). */
static char long_text[600];

/* fill_long_text - 7 short lines, then one unbroken segment. */
static void fill_long_text(void) {
  memset(long_text, 'x', sizeof long_text - 1);
  for (int i = 0; i < 7; i++)
    long_text[2 * i + 1] = '\n';
  long_text[sizeof long_text - 1] = '\0';
}

/* reject_rcpt - every recipient refused with the longest reply the engine will send. */
static enum smtp_hook_status reject_rcpt(void *ctx, const struct smtp_command *cmd,
                                         struct smtp_hook_reply *r) {
  r->code = 550;
  r->enhanced = "5.999.999";
  r->text = long_text;
  return SMTP_HOOK_REJECT;
}

/* accept_rcpt - every recipient accepted with the longest reply. */
static enum smtp_hook_status accept_rcpt(void *ctx, const struct smtp_command *cmd,
                                         struct smtp_hook_reply *r) {
  r->code = 250;
  r->enhanced = "2.999.999";
  r->text = long_text;
  return SMTP_HOOK_ACCEPT;
}

/* check_replies - out[0..len) is a sequence of whole, well-formed replies; returns how
 * many and the last one's code. */
static size_t check_replies(const char *out, size_t len, int *last_code) {
  size_t at = 0, count = 0;
  *last_code = 0;
  while (at < len) {
    struct smtp_reply r;
    ssize_t n = smtp_reply_parse(out + at, len - at, &r);
    cr_assert_gt(n, 0, "reply %zu at %zu is not whole:\n%.*s", count, at, (int)(len - at),
                 out + at);
    cr_assert_eq(r.defects, 0, "reply %zu has defects %#x", count, r.defects);
    *last_code = r.code;
    at += (size_t)n;
    count++;
  }
  return count;
}

Test(server_memory, fits_the_longest_replies_and_a_421_when_output_is_never_sent) {
  /* Longer than the 255 octets a greeting or EHLO shows, so a 421 carries 599 octets. */
  static char hostname[700];
  static const struct smtp_server_hooks reject = {.rcpt = reject_rcpt};
  static const struct smtp_server_hooks accept = {.rcpt = accept_rcpt};
  fill_long_text();
  memset(hostname, 'h', sizeof hostname - 1);
  /* Every alignment of the output before the longest step: k NOOP replies first, and a
   * step that also closes (max_errors reached), or not, then the daemon's 421 on top. */
  for (int hooks = 0; hooks < 2; hooks++) {
    for (unsigned max_errors = 1; max_errors <= 3; max_errors++) {
      for (int k = 0; k < 80; k++) {
        struct conv_setup s = conv_setup_default();
        s.cfg.hostname = hostname;
        s.cfg.greeting = long_text;
        s.cfg.max_errors = max_errors;
        struct smtp_server *srv =
            smtp_server_new(&s.cfg, hooks == 0 ? &reject : &accept, NULL, false);
        struct conv_str in = {0};
        conv_str_addf(&in, "EHLO c\r\nMAIL FROM:<a@b.test>\r\n");
        for (int i = 0; i < k; i++)
          conv_str_addf(&in, "NOOP\r\n");
        for (int i = 0; i < 20; i++)
          conv_str_addf(&in, "RCPT TO:<r%d@mx.test>\r\n", i);
        size_t used = smtp_server_feed(srv, in.p, in.len);
        cr_expect_leq(used, in.len);
        /* Nothing was sent, so nothing more may be read... */
        if (smtp_server_state(srv) == SMTP_SERVER_RUNNING)
          cr_expect_eq(smtp_server_feed(srv, in.p + used, in.len - used), 0);
        /* ...and the daemon's timeout still gets its whole 421 in. */
        smtp_server_timeout(srv);
        size_t n;
        const char *out = smtp_server_output(srv, &n);
        int last = 0;
        size_t replies = check_replies(out, n, &last);
        cr_expect_eq(last, 421, "hooks %d max_errors %u k %d: %zu replies, last %d", hooks,
                     max_errors, k, replies, last);
        cr_expect_eq(smtp_server_state(srv), SMTP_SERVER_CLOSING);
        smtp_server_free(srv);
        conv_str_free(&in);
      }
    }
  }
}

Test(server_memory, fits_the_longest_ehlo_reply_and_a_421_after_a_full_batch) {
  static char hostname[300];
  memset(hostname, 'h', sizeof hostname - 1);
  struct conv_setup s = conv_setup_default();
  s.cfg.hostname = hostname;
  s.cfg.max_size = UINT64_MAX;
  for (int k = 0; k < 120; k++) {
    struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
    struct conv_str in = {0};
    for (int i = 0; i < k; i++)
      conv_str_addf(&in, "NOOP\r\n");
    for (int i = 0; i < 10; i++)
      conv_str_addf(&in, "EHLO c\r\n");
    size_t used = smtp_server_feed(srv, in.p, in.len);
    cr_expect_gt(used, 0);
    smtp_server_shutdown(srv);
    size_t n;
    const char *out = smtp_server_output(srv, &n);
    int last = 0;
    check_replies(out, n, &last);
    cr_expect_eq(last, 421, "k %d", k);
    smtp_server_free(srv);
    conv_str_free(&in);
  }
}
