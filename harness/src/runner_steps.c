/* runner_steps.c - the steps that read: `<` specs, `ehlo`, and the `maildir` checks. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "expect.h"
#include "maildir_check.h"
#include "runner_header.h"
#include "runner_session.h"
#include "wire.h"

/* How often a `maildir` step looks again while waiting for a delivery. */
#define MAILDIR_POLL_MS 50

/* judge_reply - wire format first (RFC 5321 4.2, whatever the spec), then the spec. */
static int judge_reply(struct session *s, const struct script_step *st,
                       const struct smtp_reply *r) {
  char reason[512];
  if (wire_check(r, reason, sizeof reason) < 0) {
    session_fail(s, st->line, LEVEL_MUST, "%s", reason);
    return -1;
  }
  int rc = expect_reply(&st->spec, r, &s->vars, reason, sizeof reason);
  if (rc < 0)
    session_error(s, st->line, "%s", reason);
  else if (rc == 0)
    session_fail(s, st->line, s->t->level, "%s", reason);
  return rc == 1 ? 0 : -1;
}

/* not_a_reply - the verdict for a read that gave no reply where one was expected. */
static void not_a_reply(struct session *s, const struct script_step *st, enum read_status rs,
                        size_t partial, const char *want) {
  double secs = (double)s->timeout_ms / 1000;
  switch (rs) {
  case READ_GARBAGE:
    session_fail(s, st->line, LEVEL_MUST,
                 "expected %s, got octets that are not an SMTP reply (RFC 5321 4.2)", want);
    break;
  case READ_FLOOD:
    session_fail(s, st->line, s->t->level,
                 "expected %s, got over %u octets without a complete reply", want,
                 RUNNER_REPLY_MAX);
    break;
  case READ_TIMEOUT:
    if (partial)
      session_fail(s, st->line, s->t->level,
                   "expected %s, got an incomplete reply (%zu octets) and then nothing for %.1f s",
                   want, partial, secs);
    else
      session_fail(s, st->line, s->t->level, "expected %s, no reply within %.1f s", want, secs);
    break;
  default:
    if (partial)
      session_fail(s, st->line, s->t->level,
                   "expected %s, the server closed the connection in the middle of a reply", want);
    else
      session_fail(s, st->line, s->t->level, "expected %s, the server closed the connection", want);
  }
}

/* expect_closed - replies may still come; each is checked; then EOF within the timeout. */
static int expect_closed(struct session *s, const struct script_step *st) {
  long deadline = clock_now_ms() + s->timeout_ms;
  for (;;) {
    struct smtp_reply r;
    size_t used, partial;
    long left = deadline - clock_now_ms();
    enum read_status rs = session_read_reply(s, left > 0 ? left : 0, &r, &used, &partial);
    if (rs == READ_REPLY) {
      char reason[512];
      int bad = wire_check(&r, reason, sizeof reason);
      sbuf_consume(&s->in, used);
      if (bad < 0) {
        session_fail(s, st->line, LEVEL_MUST, "%s", reason);
        return -1;
      }
      continue;
    }
    if (rs == READ_EOF || rs == READ_ERROR) {
      if (!partial) {
        s->closed_ok = true;
        return 0;
      }
      session_fail(s, st->line, s->t->level,
                   "the server closed the connection in the middle of a reply");
      return -1;
    }
    if (rs == READ_TIMEOUT)
      session_fail(s, st->line, s->t->level,
                   "expected the server to close the connection; still open after %.1f s",
                   (double)s->timeout_ms / 1000);
    else
      not_a_reply(s, st, rs, partial, "the connection closed");
    return -1;
  }
}

/* read_within - one read of what arrives within ms: octets (> 0), 0 when nothing came in
 * time, -1 when the connection closed or failed. */
static ssize_t read_within(struct session *s, long ms, char *chunk, size_t cap) {
  long deadline = clock_now_ms() + ms;
  for (;;) {
    long left = deadline - clock_now_ms();
    if (left <= 0)
      return 0;
    ssize_t n = conn_read(s->c, chunk, cap, (int)left);
    if (n > 0)
      return n;
    if (n == 0 || n == -1)
      return -1;
  }
}

/* expect_silence - nothing may arrive for the whole period; EOF is not an octet. */
static int expect_silence(struct session *s, const struct script_step *st) {
  if (s->in.len) {
    transcript_add(s->res, 'S', s->in.p, s->in.len);
    session_fail(s, st->line, s->t->level, "expected silence, but %zu octets had arrived",
                 s->in.len);
    return -1;
  }
  if (s->eof || !s->c)
    return 0;
  char chunk[4096];
  ssize_t n = read_within(s, st->spec.silence_ms, chunk, sizeof chunk);
  if (n > 0) {
    transcript_add(s->res, 'S', chunk, (size_t)n);
    session_fail(s, st->line, s->t->level,
                 "expected silence for %.1f s, but the server sent %zd octets",
                 (double)st->spec.silence_ms / 1000, n);
    return -1;
  }
  if (n < 0) {
    s->eof = true;
    transcript_add(s->res, '*', "connection closed by the server", 31);
  }
  return 0;
}

/* wait_first_octets - wait up to ms for octets (kept in s->in) or EOF: 0 if nothing came,
 * 1 if octets came or the connection closed (the caller reads the reply or sees EOF). */
static int wait_first_octets(struct session *s, long ms) {
  char chunk[4096];
  ssize_t n = read_within(s, ms, chunk, sizeof chunk);
  if (n > 0)
    sbuf_append(&s->in, chunk, (size_t)n); /* only out of memory loses them */
  /* On EOF or an error session_read_reply sees it again and notes it. */
  return n != 0;
}

/* skipped_by_next - a `skip-unless CODES REASON` step right after st whose CODES the reply
 * does not match: the test becomes a skip with REASON (true). */
static bool skipped_by_next(struct session *s, const struct script_step *st,
                            const struct smtp_reply *r) {
  size_t i = (size_t)(st - s->t->steps);
  if (i + 1 >= s->t->nsteps || st[1].kind != STEP_SKIP_UNLESS)
    return false;
  const struct reply_spec *codes = &st[1].spec;
  if (expect_code(codes->codes, codes->ncodes, r->code))
    return false;
  s->res->outcome = OUTCOME_SKIP;
  snprintf(s->res->reason, sizeof s->res->reason, "%s (got %d)", st[1].arg, r->code);
  s->res->skip_ext[0] = '\0';
  return true;
}

/* session_expect - one `<` step. */
int session_expect(struct session *s, const struct script_step *st) {
  if (session_flush(s) < 0 && st->spec.kind != SPEC_CLOSED && !st->spec.or_closed) {
    session_fail(s, st->line, s->t->level, "could not send: %s",
                 s->c ? conn_last_error(s->c) : "connection closed");
    return -1;
  }
  if (st->spec.kind == SPEC_CLOSED)
    return expect_closed(s, st);
  if (st->spec.kind == SPEC_SILENCE)
    return expect_silence(s, st);
  char want[96];
  expect_describe(&st->spec, want, sizeof want);
  if (st->spec.or_silence && !s->in.len && !s->eof && s->c) {
    int w = wait_first_octets(s, st->spec.silence_ms);
    if (w == 0)
      return 0; /* silence held: one of the alternatives */
  }
  struct smtp_reply r;
  size_t used, partial;
  enum read_status rs = session_read_reply(s, s->timeout_ms, &r, &used, &partial);
  if (rs == READ_REPLY) {
    int rc = judge_reply(s, st, &r);
    if (rc == 0 && skipped_by_next(s, st, &r))
      rc = -1; /* the test ends here, as a skip */
    sbuf_consume(&s->in, used);
    return rc;
  }
  if ((rs == READ_EOF || rs == READ_ERROR) && !partial && st->spec.or_closed) {
    s->closed_ok = true;
    return 0;
  }
  not_a_reply(s, st, rs, partial, want);
  return -1;
}

/* session_ehlo - EHLO $ehlo, expect 250, remember the keywords, judge `require ext`. */
int session_ehlo(struct session *s, const struct script_step *st, size_t index) {
  char line[600];
  int n = snprintf(line, sizeof line, "EHLO %s\r\n", s->vars.val[VAR_EHLO]);
  if (sbuf_append(&s->queue, line, (size_t)n) < 0)
    return -1;
  struct script_step want = *st;
  memset(&want.spec, 0, sizeof want.spec);
  want.spec.kind = SPEC_CODES;
  memcpy(want.spec.codes[0], "250", 3);
  want.spec.ncodes = 1;
  if (session_flush(s) < 0) {
    session_fail(s, st->line, s->t->level, "could not send EHLO: %s",
                 s->c ? conn_last_error(s->c) : "connection closed");
    return -1;
  }
  struct smtp_reply r;
  size_t used, partial;
  enum read_status rs = session_read_reply(s, s->timeout_ms, &r, &used, &partial);
  if (rs != READ_REPLY) {
    not_a_reply(s, st, rs, partial, "250 to EHLO");
    return -1;
  }
  sbuf_consume(&s->ehlo, s->ehlo.len);
  sbuf_append(&s->ehlo, s->in.p, used);
  int rc = judge_reply(s, &want, &r);
  sbuf_consume(&s->in, used);
  if (rc < 0)
    return -1;
  session_set_size_limit(s, s->ehlo.p, s->ehlo.len);
  return require_exts_met(s->t, s->ehlo.p, s->ehlo.len, index + 1, s->res) ? 0 : -1;
}

/* sleep_ms - a short pause between Maildir polls. */
static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* counts_text - a `maildir count` step's alternatives as "0|1". */
static const char *counts_text(const struct script_step *st, char *buf, size_t cap) {
  size_t pos = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < st->ncounts && pos + 24 < cap; k++)
    pos += (size_t)snprintf(buf + pos, cap - pos, "%s%ld", k ? "|" : "", st->counts[k]);
  return buf;
}

/* scan_once - one scan for the step: the header judge for `maildir header`, else the
 * needle (NULL for `count`). */
static int scan_once(struct session *s, const struct script_step *st, struct header_judge *hj,
                     const struct sbuf *needle, struct maildir_hits *h, char *err, size_t cap) {
  const char *dir = s->cfg->maildir, *token = s->vars.val[VAR_TOKEN];
  if (hj) {
    hj->why[0] = '\0';
    return maildir_scan_judge(dir, token, strlen(token), header_judge_message, hj, h, err, cap);
  }
  return maildir_scan(dir, token, strlen(token), st->arg ? needle->p : NULL, needle->len, h, err,
                      cap);
}

/* maildir_failed - the failure of a `maildir` step after the scan h. */
static void maildir_failed(struct session *s, const struct script_step *st,
                           const struct header_judge *hj, const struct sbuf *needle,
                           const struct maildir_hits *h) {
  char want[64];
  if (h->with_token == 0 && st->kind != STEP_MAILDIR_COUNT) {
    session_fail(s, st->line, s->t->level,
                 "no delivered message with the test's token (%s) within %.1f s",
                 s->vars.val[VAR_TOKEN], (double)s->timeout_ms / 1000);
  } else if (st->kind == STEP_MAILDIR_COUNT) {
    session_fail(s, st->line, s->t->level,
                 "expected %s delivered message(s) with the test's token, found %ld",
                 counts_text(st, want, sizeof want), h->with_token);
  } else if (hj) {
    session_fail(s, st->line, s->t->level, "%s", hj->why);
  } else {
    struct sbuf esc = {0};
    wire_escape(needle->p ? needle->p : "", needle->len < 100 ? needle->len : 100, &esc);
    session_fail(s, st->line, s->t->level, "the delivered message %s \"%s\"",
                 st->kind == STEP_MAILDIR_HAS ? "lacks" : "contains", esc.p ? esc.p : "");
    sbuf_free(&esc);
  }
}

/* session_maildir - poll the Maildir until the step holds or the timeout passes. */
int session_maildir(struct session *s, const struct script_step *st) {
  char err[512];
  struct sbuf needle = {0};
  struct header_judge judge, *hj = NULL;
  if (runner_step_is_header(st->kind)) {
    if (header_judge_init(&judge, st, err, sizeof err) < 0) {
      session_error(s, st->line, "%s", err);
      return -1;
    }
    hj = &judge;
  } else if (st->arg && vars_expand(st->arg, st->arg_len, &s->vars, &needle, err, sizeof err) < 0) {
    session_error(s, st->line, "%s", err);
    return -1;
  }
  long deadline = clock_now_ms() + s->timeout_ms;
  int rc = -1;
  for (;;) {
    struct maildir_hits h;
    if (scan_once(s, st, hj, &needle, &h, err, sizeof err) < 0) {
      session_error(s, st->line, "%s", err);
      break;
    }
    bool done = false, ok = false, late = clock_now_ms() >= deadline;
    if (st->kind == STEP_MAILDIR_COUNT) {
      /* One count passes as soon as it is reached. Alternatives ("0|1": never two) are
       * judged when the step timeout has passed: a later delivery may still raise the
       * count, and more than the largest fails at once. */
      bool listed = false;
      for (size_t k = 0; k < st->ncounts; k++)
        listed = listed || h.with_token == st->counts[k];
      ok = st->ncounts > 1 ? listed && late : h.with_token == st->count;
      done = ok || h.with_token > st->count;
    } else if (st->kind == STEP_MAILDIR_HAS) {
      ok = done = h.with_needle > 0;
    } else {
      /* `lacks` and the header steps: judged on the first scan that finds the token;
       * every message with the token must meet them. */
      done = h.with_token > 0;
      ok = done && h.with_needle == (hj ? h.with_token : 0);
    }
    if (ok) {
      rc = 0;
      break;
    }
    if (done || late) {
      maildir_failed(s, st, hj, &needle, &h);
      break;
    }
    sleep_ms(MAILDIR_POLL_MS);
  }
  if (hj)
    header_judge_free(hj);
  sbuf_free(&needle);
  return rc;
}
