/* runner_test.c - run one test: requirements, connection, greeting, then its steps. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "expect.h"
#include "runner_session.h"
#include "wire.h"

/* skip - the test does not apply to this server or command line. */
static void skip(struct test_result *res, const char *why, const char *ext) {
  res->outcome = OUTCOME_SKIP;
  snprintf(res->reason, sizeof res->reason, "%s", why);
  snprintf(res->skip_ext, sizeof res->skip_ext, "%s", ext ? ext : "");
}

/* rcpt_domain - the domain of --rcpt (after its last '@'), else --domain, else NULL. */
static const char *rcpt_domain(const struct run_config *cfg) {
  const char *at = cfg->rcpt ? strrchr(cfg->rcpt, '@') : NULL;
  if (at && at[1])
    return at + 1;
  return cfg->domain && cfg->domain[0] ? cfg->domain : NULL;
}

/* requirements_met - `require` lines and the variables used; false after a skip. */
static bool requirements_met(const struct run_config *cfg, const struct probe_result *probe,
                             const struct script_test *t, struct test_result *res) {
  if ((t->requires & REQUIRE_FOREIGN) && !cfg->foreign)
    skip(res, "needs --foreign", NULL);
  else if ((t->requires & REQUIRE_MAILDIR) && !cfg->maildir)
    skip(res, "needs --maildir", NULL);
  else if ((t->requires & REQUIRE_AUTH) && !cfg->user)
    skip(res, "needs --auth", NULL);
  else if ((t->requires & REQUIRE_TLS) && !cfg->tls)
    skip(res, "needs --tls", NULL);
  else if ((t->requires & REQUIRE_PLAINTEXT) && cfg->tls)
    skip(res, "needs a plaintext connection, not --tls", NULL);
  else if ((t->requires & REQUIRE_DOMAIN) && !rcpt_domain(cfg))
    skip(res, "needs a recipient domain: --rcpt LOCAL@DOMAIN or --domain NAME", NULL);
  if (res->outcome == OUTCOME_SKIP)
    return false;
  return require_exts_met(t, probe->ehlo.p, probe->ehlo.len, 0, res);
}

/* not_served - a connection that gives no 220: an error before the test's first step (it
 * cannot be judged), a failure at `reconnect` (the server stopped serving after what the
 * test sent: RFC 5321 3.8 and the robustness tests' point). */
__attribute__((format(printf, 3, 4))) static void not_served(struct session *s, int line,
                                                             const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (s->reconnecting)
    session_fail(s, line, s->t->level, "reconnect: %s", msg);
  else
    session_error(s, line, "%s", msg);
}

/* session_connect - TCP (+ implicit TLS), then the greeting, which must be 220. */
int session_connect(struct session *s, int line, bool read_greeting) {
  char err[512];
  s->c = conn_open(s->cfg->host, s->cfg->port, (int)s->timeout_ms, err, sizeof err);
  if (!s->c) {
    not_served(s, line, "%s", err);
    return -1;
  }
  s->eof = false;
  sbuf_consume(&s->in, s->in.len);
  sbuf_consume(&s->ehlo, s->ehlo.len);
  if (s->cfg->tls) {
    struct conn_tls_options o = {NULL, NULL, false};
    if (conn_start_tls(s->c, &o, (int)s->timeout_ms, err, sizeof err) < 0) {
      not_served(s, line, "TLS handshake failed: %s", err);
      return -1;
    }
  }
  if (!read_greeting)
    return 0;
  struct smtp_reply r;
  size_t used, partial;
  enum read_status rs = session_read_reply(s, s->timeout_ms, &r, &used, &partial);
  if (rs != READ_REPLY) {
    not_served(s, line, "no 220 greeting: %s",
               rs == READ_TIMEOUT   ? "nothing within the timeout"
               : rs == READ_GARBAGE ? "octets that are not an SMTP reply"
               : rs == READ_FLOOD   ? "a flood of octets"
                                    : "the connection closed");
    return -1;
  }
  char reason[512];
  int rc = 0;
  if (wire_check(&r, reason, sizeof reason) < 0) {
    session_fail(s, line, LEVEL_MUST, "greeting: %s", reason);
    rc = -1;
  } else if (r.code != 220) {
    not_served(s, line, "no 220 greeting: got %03d", r.code);
    rc = -1;
  }
  sbuf_consume(&s->in, used);
  return rc;
}

/* session_free - close the connection and release every buffer. */
void session_free(struct session *s) {
  if (s->c)
    conn_close(s->c);
  s->c = NULL;
  sbuf_free(&s->in);
  sbuf_free(&s->queue);
  sbuf_free(&s->ehlo);
  sbuf_free(&s->auth_plain);
  sbuf_free(&s->user_b64);
  sbuf_free(&s->pass_b64);
  sbuf_free(&s->rcpt_local);
}

/* queue_text - expand a template into the write queue, with CRLF when asked. */
static int queue_text(struct session *s, const struct script_step *st, bool crlf) {
  char err[256];
  if (vars_expand(st->arg, st->arg_len, &s->vars, &s->queue, err, sizeof err) < 0) {
    session_error(s, st->line, "%s", err);
    return -1;
  }
  if (crlf)
    sbuf_append(&s->queue, "\r\n", 2);
  return 0;
}

/* queue_message - a small well-formed RFC 5322 message with the token, and the '.' line. */
static int queue_message(struct session *s) {
  char date[64], msg[2048];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  const char *tok = s->vars.val[VAR_TOKEN];
  int n = snprintf(msg, sizeof msg,
                   "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
                   "Message-ID: <%s@smtpcheck.invalid>\r\n\r\n"
                   "A conformance test message from smtpcheck (%s).\r\n.\r\n",
                   s->vars.val[VAR_FROM], s->vars.val[VAR_RCPT], tok, date, tok, tok);
  if (n < 0 || (size_t)n >= sizeof msg)
    return -1;
  return sbuf_append(&s->queue, msg, (size_t)n);
}

/* queue_bdat - RFC 3030 2: "BDAT" SP chunk-size [SP "LAST"] CRLF, then exactly
 * chunk-size octets: the expanded TEXT, counted after expansion. */
static int queue_bdat(struct session *s, const struct script_step *st) {
  char err[256], cmd[64];
  struct sbuf chunk = {0};
  int rc = -1;
  if (vars_expand(st->arg, st->arg_len, &s->vars, &chunk, err, sizeof err) < 0) {
    session_error(s, st->line, "%s", err);
    goto out;
  }
  int n = snprintf(cmd, sizeof cmd, "BDAT %zu%s\r\n", chunk.len,
                   st->kind == STEP_BDAT_LAST ? " LAST" : "");
  if (sbuf_append(&s->queue, cmd, (size_t)n) < 0 || sbuf_append(&s->queue, chunk.p, chunk.len) < 0)
    goto out;
  rc = 0;
out:
  sbuf_free(&chunk);
  return rc;
}

/* send_now - flush the queue; a failure to send fails the test at its level. */
static int send_now(struct session *s, const struct script_step *st) {
  if (!s->c) {
    session_error(s, st->line, "nothing to send on: the connection was closed by 'close'");
    return -1;
  }
  int rc = session_flush(s);
  if (rc == 0)
    return 0;
  session_fail(s, st->line, s->t->level, "could not send: %s",
               rc == -2 ? "the server stopped reading (write timed out)"
                        : "the connection was closed by the server");
  return -1;
}

/* starttls - the handshake after the server's 220; no plaintext may be waiting. */
static int starttls(struct session *s, const struct script_step *st) {
  char err[512];
  if (!s->c || session_flush(s) < 0) {
    session_fail(s, st->line, s->t->level, "connection closed before the TLS handshake");
    return -1;
  }
  if (s->in.len) {
    /* RFC 3207 4.2 / CVE-2011-0411: nothing may follow the 220 before TLS starts. */
    transcript_add(s->res, 'S', s->in.p, s->in.len);
    session_fail(s, st->line, s->t->level,
                 "the server sent %zu octets after its 220 and before the TLS handshake",
                 s->in.len);
    return -1;
  }
  struct conn_tls_options o = {NULL, NULL, false};
  if (conn_start_tls(s->c, &o, (int)s->timeout_ms, err, sizeof err) < 0) {
    session_fail(s, st->line, s->t->level, "TLS handshake failed: %s", err);
    return -1;
  }
  char desc[128];
  char note[200];
  int n =
      snprintf(note, sizeof note, "TLS started: %s", conn_tls_describe(s->c, desc, sizeof desc));
  transcript_add(s->res, '*', note, (size_t)n < sizeof note ? (size_t)n : sizeof note - 1);
  sbuf_consume(&s->ehlo, s->ehlo.len); /* RFC 3207 4.2: the client forgets what it knew */
  return 0;
}

/* ext_listed - the last EHLO reply lists kw (KEYWORD or KEYWORD=PARAM). */
static bool ext_listed(struct session *s, const char *kw) {
  struct smtp_reply r;
  return s->ehlo.len && smtp_reply_parse(s->ehlo.p, s->ehlo.len, &r) > 0 &&
         expect_ext_offered(&r, kw);
}

/* run_step - one step; 0 to go on, -1 when the test has its verdict. */
static int run_step(struct session *s, size_t i) {
  const struct script_step *st = &s->t->steps[i];
  switch (st->kind) {
  case STEP_QUEUE:
    return queue_text(s, st, true);
  case STEP_SEND:
  case STEP_SEND_RAW:
    if (queue_text(s, st, st->kind == STEP_SEND) < 0)
      return -1;
    return send_now(s, st);
  case STEP_MESSAGE:
    if (queue_message(s) < 0)
      return -1;
    return send_now(s, st);
  case STEP_BDAT:
  case STEP_BDAT_LAST:
    if (queue_bdat(s, st) < 0)
      return -1;
    return send_now(s, st);
  case STEP_EXPECT:
    return session_expect(s, st);
  case STEP_EHLO:
    return session_ehlo(s, st, i);
  case STEP_EXPECT_EXT:
  case STEP_EXPECT_NO_EXT: {
    if (!s->ehlo.len) {
      session_error(s, st->line, "no EHLO reply to look in (add an 'ehlo' step first)");
      return -1;
    }
    bool listed = ext_listed(s, st->arg);
    if (listed == (st->kind == STEP_EXPECT_EXT))
      return 0;
    struct smtp_reply r;
    char kws[512] = "";
    if (smtp_reply_parse(s->ehlo.p, s->ehlo.len, &r) > 0)
      expect_keywords(&r, kws, sizeof kws);
    session_fail(s, st->line, s->t->level, "the EHLO reply %s %s (it lists: %s)",
                 listed ? "lists" : "does not list", st->arg, kws[0] ? kws : "nothing");
    return -1;
  }
  case STEP_STARTTLS:
    return starttls(s, st);
  case STEP_RECONNECT:
    if (s->c)
      conn_close(s->c);
    s->c = NULL;
    transcript_add(s->res, '*', "reconnect", 9);
    s->closed_ok = false;
    s->reconnecting = true;
    return session_connect(s, st->line, true);
  case STEP_CLOSE:
    if (s->c) {
      session_flush(s);
      conn_close(s->c);
    }
    s->c = NULL;
    transcript_add(s->res, '*', "client closed the connection", 28);
    return 0;
  case STEP_MAILDIR_COUNT:
  case STEP_MAILDIR_HAS:
  case STEP_MAILDIR_LACKS:
  case STEP_HEADER_MATCH:
  case STEP_HEADER_NO_MATCH:
  case STEP_HEADER_COUNT:
    return session_maildir(s, st);
  case STEP_SKIP_UNLESS:
    return 0; /* judged by the `<` step before it, on its reply */
  }
  return -1;
}

/* set_vars - the variables' values for this test. */
static void set_vars(struct session *s, const struct probe_result *probe, const char *token) {
  const struct run_config *cfg = s->cfg;
  struct vars *v = &s->vars;
  v->val[VAR_EHLO] = cfg->ehlo;
  v->val[VAR_FROM] = cfg->from;
  v->val[VAR_RCPT] = cfg->rcpt;
  v->val[VAR_FOREIGN] = cfg->foreign;
  v->val[VAR_HOST] = cfg->host;
  v->val[VAR_TOKEN] = token;
  /* The local part is everything before the last '@' (a quoted one may hold '@'). */
  const char *at = cfg->rcpt ? strrchr(cfg->rcpt, '@') : NULL;
  size_t local = cfg->rcpt ? (at ? (size_t)(at - cfg->rcpt) : strlen(cfg->rcpt)) : 0;
  if (cfg->rcpt && sbuf_append(&s->rcpt_local, cfg->rcpt, local) == 0)
    v->val[VAR_RCPT_LOCAL] = s->rcpt_local.p ? s->rcpt_local.p : "";
  v->val[VAR_RCPT_DOMAIN] = rcpt_domain(cfg);
  session_set_size_limit(s, probe->ehlo.p, probe->ehlo.len);
  if (cfg->user && cfg->pass) {
    struct sbuf plain = {0};
    sbuf_append(&plain, "\0", 1);
    sbuf_append(&plain, cfg->user, strlen(cfg->user));
    sbuf_append(&plain, "\0", 1);
    sbuf_append(&plain, cfg->pass, strlen(cfg->pass));
    vars_base64(plain.p, plain.len, &s->auth_plain);
    vars_base64(cfg->user, strlen(cfg->user), &s->user_b64);
    vars_base64(cfg->pass, strlen(cfg->pass), &s->pass_b64);
    sbuf_free(&plain);
    v->val[VAR_USER] = cfg->user;
    v->val[VAR_PASS] = cfg->pass;
    v->val[VAR_AUTH_PLAIN] = s->auth_plain.p ? s->auth_plain.p : "";
    v->val[VAR_USER_B64] = s->user_b64.p ? s->user_b64.p : "";
    v->val[VAR_PASS_B64] = s->pass_b64.p ? s->pass_b64.p : "";
  }
}

/* run_session - connect and run every step until one gives the verdict. */
static void run_session(const struct run_config *cfg, const struct probe_result *probe,
                        const struct script_test *t, const char *token, struct test_result *res) {
  struct session s = {.cfg = cfg, .t = t, .res = res};
  s.timeout_ms = t->timeout_ms ? t->timeout_ms : cfg->timeout_ms;
  set_vars(&s, probe, token);
  if (session_connect(&s, t->line, !t->greeting_any) == 0) {
    for (size_t i = 0; i < t->nsteps; i++) {
      /* After an allowed close, only a new connection (or the Maildir) can say more. */
      enum step_kind k = t->steps[i].kind;
      if (s.closed_ok && k != STEP_RECONNECT && !script_step_is_maildir(k))
        continue;
      if (run_step(&s, i) < 0) {
        if (res->outcome == OUTCOME_PASS)
          session_error(&s, t->steps[i].line, "out of memory");
        break;
      }
    }
  }
  session_free(&s);
}

/* runner_test - see runner.h. */
void runner_test(const struct run_config *cfg, const struct probe_result *probe,
                 const struct script_test *t, const char *token, struct test_result *res) {
  long start = clock_now_ms();
  memset(res, 0, sizeof *res);
  res->test = t;
  res->fail_level = t->level;
  if (requirements_met(cfg, probe, t, res))
    run_session(cfg, probe, t, token, res);
  res->duration_ms = clock_now_ms() - start;
}
