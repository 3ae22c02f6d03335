/* test_server_conv.h - drive the server engine with a conversation (client bytes in,
 * reply bytes out, no sockets) the way the daemon does, and check that every way of
 * cutting the input into writes gives the same replies and the same hook calls.
 *
 * Included by the test_server*.c files; everything is static so each test executable
 * carries its own copy. */
#ifndef TEST_SERVER_CONV_H
#define TEST_SERVER_CONV_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/server.h"

/* Each test file uses only some of these helpers. */
#define CONV_FN static __attribute__((unused))

/* A growing byte string. */
struct conv_str {
  char *p;
  size_t len;
};

/* conv_str_add - append n octets (kept NUL-terminated for messages). */
CONV_FN void conv_str_add(struct conv_str *s, const char *p, size_t n) {
  char *grown = realloc(s->p, s->len + n + 1);
  cr_assert_not_null(grown);
  s->p = grown;
  if (n > 0)
    memcpy(s->p + s->len, p, n);
  s->len += n;
  s->p[s->len] = '\0';
}

/* conv_str_addf - append formatted text. */
__attribute__((format(printf, 2, 3))) CONV_FN void conv_str_addf(struct conv_str *s,
                                                                 const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  conv_str_add(s, buf, n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* conv_str_free - release a string. */
CONV_FN void conv_str_free(struct conv_str *s) {
  free(s->p);
  s->p = NULL;
  s->len = 0;
}

/* Hooks that may answer PENDING (then the driver resumes them with resume_status). */
enum conv_pending {
  CONV_PEND_MAIL = 1u << 0,
  CONV_PEND_RCPT = 1u << 1,
  CONV_PEND_DATA = 1u << 2,
  CONV_PEND_AUTH = 1u << 3,
  CONV_PEND_ALL = 0xfu,
};

/* How one conversation is set up. */
struct conv_setup {
  struct smtp_server_config cfg;
  bool implicit_tls;
  unsigned pending;     /* enum conv_pending bits */
  size_t tls_at;        /* input offset where the client starts TLS; 0 = never */
  bool data_end_reject; /* data_end answers REJECT (default reply) */
  bool null_hooks;      /* no hooks at all */
};

/* What one conversation produced. */
struct conv_result {
  struct conv_str out;     /* reply bytes, "[TLS]" where the handshake happened */
  struct conv_str content; /* data_chunk bytes, "<begin>" and "<end:defects>" marks */
  struct conv_str events;  /* hook calls, one per line */
  enum smtp_server_state state;
  size_t unread; /* input octets never consumed (after CLOSING) */
};

/* The driver's context, passed to the hooks. */
struct conv_ctx {
  const struct conv_setup *setup;
  struct conv_result *res;
};

/* conv_verdict - PENDING for hooks under test of pending answers, else ACCEPT/REJECT. */
CONV_FN enum smtp_hook_status conv_verdict(const struct conv_ctx *c, unsigned bit,
                                           enum smtp_hook_status st) {
  return (c->setup->pending & bit) ? SMTP_HOOK_PENDING : st;
}

/* The verdict the driver gives a PENDING hook when resuming it. */
struct conv_resume {
  enum smtp_hook_status st;
  struct smtp_hook_reply reply;
};

/* Verdict kept by the hooks for the driver's smtp_server_resume() call. */
static struct conv_resume conv_next_resume;

/* conv_decide - record the real verdict; return it or PENDING. */
CONV_FN enum smtp_hook_status conv_decide(const struct conv_ctx *c, unsigned bit,
                                          enum smtp_hook_status st, struct smtp_hook_reply *r) {
  conv_next_resume.st = st;
  conv_next_resume.reply = *r;
  enum smtp_hook_status v = conv_verdict(c, bit, st);
  if (v == SMTP_HOOK_PENDING)
    memset(r, 0, sizeof *r);
  return v;
}

/* conv_hook_mail - accept every sender except <reject@...>; log what MAIL carried. */
CONV_FN enum smtp_hook_status conv_hook_mail(void *ctx, const struct smtp_command *cmd,
                                             struct smtp_hook_reply *r) {
  struct conv_ctx *c = ctx;
  conv_str_addf(&c->res->events, "mail <%.*s@%.*s> size=%llu body=%d utf8=%d ret=%d envid=%.*s\n",
                (int)cmd->path.local_len, cmd->path.local ? cmd->path.local : "",
                (int)cmd->path.domain_len, cmd->path.domain ? cmd->path.domain : "",
                (unsigned long long)cmd->size, (int)cmd->body, (int)cmd->smtputf8, (int)cmd->ret,
                (int)cmd->envid_len, cmd->envid ? cmd->envid : "");
  enum smtp_hook_status st = SMTP_HOOK_ACCEPT;
  if (cmd->path.local_len == 6 && memcmp(cmd->path.local, "reject", 6) == 0) {
    st = SMTP_HOOK_REJECT;
    r->code = 550;
    r->enhanced = "5.7.1";
    r->text = "Sender refused by policy";
  }
  return conv_decide(c, CONV_PEND_MAIL, st, r);
}

/* conv_hook_rcpt - accept every recipient except <nobody@...>; log DSN parameters. */
CONV_FN enum smtp_hook_status conv_hook_rcpt(void *ctx, const struct smtp_command *cmd,
                                             struct smtp_hook_reply *r) {
  struct conv_ctx *c = ctx;
  conv_str_addf(&c->res->events, "rcpt <%.*s@%.*s> postmaster=%d notify=%u orcpt=%.*s\n",
                (int)cmd->path.local_len, cmd->path.local ? cmd->path.local : "",
                (int)cmd->path.domain_len, cmd->path.domain ? cmd->path.domain : "",
                (int)cmd->path.is_postmaster, cmd->notify, (int)cmd->orcpt_len,
                cmd->orcpt ? cmd->orcpt : "");
  enum smtp_hook_status st = SMTP_HOOK_ACCEPT;
  if (cmd->path.local_len == 6 && memcmp(cmd->path.local, "nobody", 6) == 0) {
    st = SMTP_HOOK_REJECT;
    r->code = 550;
    r->enhanced = "5.1.1";
    r->text = "No such user";
  }
  return conv_decide(c, CONV_PEND_RCPT, st, r);
}

/* conv_hook_data_begin - mark where a message starts in the content log. */
CONV_FN void conv_hook_data_begin(void *ctx) {
  struct conv_ctx *c = ctx;
  conv_str_addf(&c->res->content, "<begin>");
}

/* conv_hook_data_chunk - keep the content as the daemon would store it. */
CONV_FN void conv_hook_data_chunk(void *ctx, const char *data, size_t len) {
  struct conv_ctx *c = ctx;
  cr_assert_gt(len, 0, "data_chunk is never called with nothing");
  conv_str_add(&c->res->content, data, len);
}

/* conv_hook_data_end - mark the end and its defects; accept (or reject when asked). */
CONV_FN enum smtp_hook_status conv_hook_data_end(void *ctx, unsigned defects,
                                                 struct smtp_hook_reply *r) {
  struct conv_ctx *c = ctx;
  conv_str_addf(&c->res->content, "<end:%#x>", defects);
  conv_str_addf(&c->res->events, "data_end %#x\n", defects);
  enum smtp_hook_status st = c->setup->data_end_reject ? SMTP_HOOK_REJECT : SMTP_HOOK_ACCEPT;
  return conv_decide(c, CONV_PEND_DATA, st, r);
}

/* conv_hook_reset - log transactions that ended without data_end. */
CONV_FN void conv_hook_reset(void *ctx) {
  struct conv_ctx *c = ctx;
  conv_str_addf(&c->res->events, "reset\n");
}

/* conv_hook_auth - the only account is alice / "secret sauce". */
CONV_FN enum smtp_hook_status conv_hook_auth(void *ctx, const char *mech, const char *user,
                                             size_t user_len, const char *pass, size_t pass_len,
                                             struct smtp_hook_reply *r) {
  struct conv_ctx *c = ctx;
  conv_str_addf(&c->res->events, "auth %s %.*s\n", mech, (int)user_len, user);
  bool ok = user_len == 5 && memcmp(user, "alice", 5) == 0 && pass_len == 12 &&
            memcmp(pass, "secret sauce", 12) == 0;
  return conv_decide(c, CONV_PEND_AUTH, ok ? SMTP_HOOK_ACCEPT : SMTP_HOOK_REJECT, r);
}

static const struct smtp_server_hooks conv_hooks = {
    .mail = conv_hook_mail,
    .rcpt = conv_hook_rcpt,
    .data_begin = conv_hook_data_begin,
    .data_chunk = conv_hook_data_chunk,
    .data_end = conv_hook_data_end,
    .reset = conv_hook_reset,
    .auth = conv_hook_auth,
};

/* conv_setup_default - hostname mx.test, every extension, SIZE 10000, AUTH PLAIN LOGIN
 * allowed without TLS. */
CONV_FN struct conv_setup conv_setup_default(void) {
  struct conv_setup s;
  memset(&s, 0, sizeof s);
  s.cfg.hostname = "mx.test";
  s.cfg.extensions = SMTP_EXT_ALL;
  s.cfg.max_size = 10000;
  s.cfg.auth_mechanisms = "PLAIN LOGIN";
  return s;
}

/* conv_drain - move all output into the result. */
CONV_FN void conv_drain(struct smtp_server *srv, struct conv_result *res) {
  size_t n;
  const char *p = smtp_server_output(srv, &n);
  conv_str_add(&res->out, p, n);
  smtp_server_output_done(srv, n);
}

/* conv_run - feed in[0..len) cut at the offsets cuts[0..ncuts) (ascending), acting as the
 * daemon: keep what was not consumed, resume PENDING hooks, do "TLS" at STARTTLS
 * (dropping the plaintext the client sent before tls_at), stop at CLOSING. */
CONV_FN void conv_run(const struct conv_setup *setup, const char *in, size_t len,
                      const size_t *cuts, size_t ncuts, struct conv_result *res) {
  struct conv_ctx ctx = {setup, res};
  memset(res, 0, sizeof *res);
  conv_str_add(&res->out, "", 0);
  conv_str_add(&res->content, "", 0);
  conv_str_add(&res->events, "", 0);
  struct smtp_server *srv = smtp_server_new(&setup->cfg, setup->null_hooks ? NULL : &conv_hooks,
                                            &ctx, setup->implicit_tls);
  cr_assert_not_null(srv);
  conv_drain(srv, res);
  size_t pos = 0; /* octets of in consumed or dropped */
  bool tls_done = false;
  for (size_t piece = 0; piece <= ncuts; piece++) {
    size_t avail = piece < ncuts ? cuts[piece] : len; /* the client has written this much */
    for (int spin = 0; spin < 100000; spin++) {
      enum smtp_server_state st = smtp_server_state(srv);
      if (st == SMTP_SERVER_CLOSING)
        break;
      if (st == SMTP_SERVER_PENDING) {
        smtp_server_resume(srv, conv_next_resume.st, &conv_next_resume.reply);
        conv_drain(srv, res);
        continue;
      }
      if (st == SMTP_SERVER_STARTTLS) {
        /* RFC 3207 5: the plaintext after STARTTLS is dropped, never read. */
        cr_assert(setup->tls_at > 0 && !tls_done, "unexpected STARTTLS state");
        if (avail < setup->tls_at)
          break; /* the client has not finished writing its plaintext yet */
        pos = setup->tls_at;
        tls_done = true;
        conv_str_add(&res->out, "[TLS]", 5);
        smtp_server_tls_started(srv);
        conv_drain(srv, res);
        continue;
      }
      /* Before the handshake only plaintext (up to tls_at) can be available. */
      size_t end = avail;
      if (setup->tls_at > 0 && !tls_done && end > setup->tls_at)
        end = setup->tls_at;
      if (pos >= end)
        break;
      const char *p = guard_copy(in + pos, end - pos);
      size_t n = smtp_server_feed(srv, p, end - pos);
      cr_assert_leq(n, end - pos, "feed consumed more than it was given");
      pos += n;
      conv_drain(srv, res);
      if (n == 0 && smtp_server_state(srv) == SMTP_SERVER_RUNNING)
        cr_assert_fail("the engine stalled at offset %zu", pos);
    }
    if (smtp_server_state(srv) == SMTP_SERVER_CLOSING)
      break;
  }
  res->state = smtp_server_state(srv);
  res->unread = len - pos;
  smtp_server_free(srv);
  guard_free_all();
}

/* conv_result_free - release a result. */
CONV_FN void conv_result_free(struct conv_result *r) {
  conv_str_free(&r->out);
  conv_str_free(&r->content);
  conv_str_free(&r->events);
}

/* conv_same - two runs agree on replies, content and hook calls. */
CONV_FN void conv_same(const struct conv_result *a, const struct conv_result *b, const char *how) {
  cr_assert_eq(a->out.len, b->out.len, "%s: reply bytes differ:\n%s\n--- vs whole ---\n%s", how,
               b->out.p, a->out.p);
  cr_assert(memcmp(a->out.p, b->out.p, a->out.len) == 0, "%s: reply bytes differ:\n%s\nvs\n%s", how,
            b->out.p, a->out.p);
  cr_assert_eq(a->content.len, b->content.len, "%s: content differs", how);
  cr_assert(memcmp(a->content.p, b->content.p, a->content.len) == 0, "%s: content differs", how);
  cr_assert_str_eq(a->events.p, b->events.p, "%s: hook calls differ", how);
  cr_assert_eq(a->state, b->state, "%s: final state differs", how);
}

/* conv_check - run in[0..len) whole (its replies must be `want`), then cut at every single
 * offset, then one octet at a time, then (unless the setup already does) with every hook
 * answering PENDING: all runs must agree. The whole run is returned in *whole. */
CONV_FN void conv_check_into(const struct conv_setup *setup, const char *in, size_t len,
                             const char *want, struct conv_result *whole) {
  conv_run(setup, in, len, NULL, 0, whole);
  cr_assert_str_eq(whole->out.p, want, "replies to:\n%.*s\n--- got ---\n%s\n--- want ---\n%s",
                   (int)len, in, whole->out.p, want);
  for (size_t cut = 1; cut < len; cut++) {
    struct conv_result r;
    char how[64];
    conv_run(setup, in, len, &cut, 1, &r);
    snprintf(how, sizeof how, "cut at %zu", cut);
    conv_same(whole, &r, how);
    conv_result_free(&r);
  }
  if (len > 1) {
    size_t *cuts = malloc(len * sizeof *cuts);
    cr_assert_not_null(cuts);
    for (size_t i = 0; i + 1 < len; i++)
      cuts[i] = i + 1;
    struct conv_result r;
    conv_run(setup, in, len, cuts, len - 1, &r);
    conv_same(whole, &r, "one octet at a time");
    conv_result_free(&r);
    free(cuts);
  }
  if (setup->pending == 0 && !setup->null_hooks) {
    struct conv_setup pend = *setup;
    pend.pending = CONV_PEND_ALL;
    struct conv_result r;
    conv_run(&pend, in, len, NULL, 0, &r);
    conv_same(whole, &r, "every hook PENDING");
    conv_result_free(&r);
  }
}

/* conv_check - conv_check_into for callers that need only the replies checked. */
CONV_FN void conv_check(const struct conv_setup *setup, const char *in, size_t len,
                        const char *want) {
  struct conv_result whole;
  conv_check_into(setup, in, len, want, &whole);
  conv_result_free(&whole);
}

/* CONV - a conversation given as string literals (sizeof keeps embedded NULs). */
#define CONV(setup, in, want) conv_check((setup), (in), sizeof(in) - 1, (want))

/* The greeting of conv_setup_default(). */
#define GREETING "220 mx.test ESMTP refsmtpd\r\n"
/* The EHLO reply of conv_setup_default() before TLS. */
#define EHLO_REPLY                                                                                 \
  "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250-8BITMIME\r\n"                            \
  "250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-DSN\r\n"       \
  "250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"

#endif
