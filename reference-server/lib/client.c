/* client.c - the sans-I/O SMTP client engine: session life cycle, input, output, dispatch.
 *
 * Commands are queued in the output buffer together with the step whose reply they
 * expect; replies are matched to that queue in order (RFC 5321 4.2 one reply per command,
 * RFC 2920 3.1 replies in command order), and each is handed to its step's handler. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_session.h"
#include "smtp/reply.h"

/* One row per step: its name and the handler of its reply. */
struct step_row {
  const char *name;
  void (*on_reply)(struct smtp_client *c, const struct smtp_reply *r);
};

static const struct step_row step_rows[] = {
    [SMTP_STEP_GREETING] = {"GREETING", smtpc_on_greeting},
    [SMTP_STEP_EHLO] = {"EHLO", smtpc_on_ehlo},
    [SMTP_STEP_HELO] = {"HELO", smtpc_on_helo},
    [SMTP_STEP_STARTTLS] = {"STARTTLS", smtpc_on_starttls},
    [SMTP_STEP_AUTH] = {"AUTH", smtpc_on_auth},
    [SMTP_STEP_MAIL] = {"MAIL", smtpc_on_mail},
    [SMTP_STEP_RCPT] = {"RCPT", smtpc_on_rcpt},
    [SMTP_STEP_DATA] = {"DATA", smtpc_on_data},
    [SMTP_STEP_BDAT] = {"BDAT", smtpc_on_bdat},
    [SMTP_STEP_DOT] = {"DOT", smtpc_on_dot},
    [SMTP_STEP_RSET] = {"RSET", smtpc_on_rset},
    [SMTP_STEP_QUIT] = {"QUIT", smtpc_on_quit},
    [SMTP_STEP_DONE] = {"DONE", NULL},
};

/* smtp_step_name - the step's name for transcripts. */
const char *smtp_step_name(enum smtp_client_step step) {
  if ((size_t)step >= sizeof step_rows / sizeof step_rows[0])
    return "?";
  return step_rows[step].name;
}

/* has_line_break - CR or LF in a string would let it smuggle extra commands. */
static bool has_line_break(const char *s) {
  return s && strpbrk(s, "\r\n") != NULL;
}

/* config_valid - refuse strings that cannot be sent as one command argument. */
static bool config_valid(const struct smtp_client_config *cfg,
                         const struct smtp_client_message *msgs, size_t nmsgs) {
  if (!cfg || (nmsgs && !msgs))
    return false;
  if (has_line_break(cfg->ehlo))
    return false;
  if (cfg->auth_user && !cfg->auth_pass)
    return false;
  for (size_t i = 0; i < nmsgs; i++) {
    /* RFC 5321 3.3: a transaction needs at least one recipient. */
    if (!msgs[i].from || has_line_break(msgs[i].from) || !msgs[i].nrcpts || !msgs[i].rcpts)
      return false;
    if (msgs[i].content_len && !msgs[i].content)
      return false;
    for (size_t j = 0; j < msgs[i].nrcpts; j++)
      if (!msgs[i].rcpts[j] || has_line_break(msgs[i].rcpts[j]))
        return false;
  }
  return true;
}

/* align_up - round n up to a multiple of the strictest alignment. */
static size_t align_up(size_t n) {
  size_t a = _Alignof(max_align_t);
  return (n + a - 1) / a * a;
}

/* smtp_client_new - size everything from the configuration, then allocate once. */
struct smtp_client *smtp_client_new(const struct smtp_client_config *cfg,
                                    const struct smtp_client_message *msgs, size_t nmsgs,
                                    smtp_client_reply_fn on_reply, void *ctx) {
  if (!config_valid(cfg, msgs, nmsgs))
    return NULL;
  size_t cmd_max = 16 + (cfg->ehlo ? strlen(cfg->ehlo) : 16);
  size_t auth = smtpc_auth_line_max(cfg);
  if (auth > cmd_max)
    cmd_max = auth;
  size_t max_rcpts = 0;
  for (size_t i = 0; i < nmsgs; i++) {
    size_t g = smtpc_group_max(&msgs[i]);
    if (g > cmd_max)
      cmd_max = g;
    if (msgs[i].nrcpts > max_rcpts)
      max_rcpts = msgs[i].nrcpts;
  }
  size_t pend_cap = max_rcpts + 8;
  size_t out_cap = 2 * cmd_max + SMTPC_STREAM_ROOM;
  size_t off_results = align_up(sizeof(struct smtp_client));
  size_t off_pending = off_results + align_up(nmsgs * sizeof(struct smtp_client_result));
  size_t off_out = off_pending + align_up(pend_cap * sizeof(enum smtp_client_step));
  size_t off_in = off_out + align_up(out_cap);
  char *block = calloc(1, off_in + SMTPC_IN_CAP);
  if (!block)
    return NULL;
  struct smtp_client *c = (struct smtp_client *)(void *)block;
  c->cfg = *cfg;
  if (!c->cfg.ehlo || !c->cfg.ehlo[0])
    c->cfg.ehlo = "localhost";
  c->msgs = msgs;
  c->nmsgs = nmsgs;
  c->on_reply = on_reply;
  c->ctx = ctx;
  c->state = SMTP_CLIENT_RUNNING;
  c->results = (struct smtp_client_result *)(void *)(block + off_results);
  c->pending = (enum smtp_client_step *)(void *)(block + off_pending);
  c->pend_cap = pend_cap;
  c->out = block + off_out;
  c->out_cap = out_cap;
  c->out_reserve = cmd_max;
  c->in = block + off_in;
  for (size_t i = 0; i < nmsgs; i++)
    c->results[i].failed_step = SMTP_STEP_GREETING; /* not attempted yet */
  /* RFC 5321 3.1: the session opens with the server's greeting. */
  smtpc_expect(c, SMTP_STEP_GREETING);
  return c;
}

/* smtp_client_free - the session is one block. */
void smtp_client_free(struct smtp_client *c) {
  free(c);
}

/* smtpc_expect - queue a reply we are owed. */
void smtpc_expect(struct smtp_client *c, enum smtp_client_step step) {
  if (c->pend_count == c->pend_cap) {
    /* Cannot happen with the sizes from smtp_client_new; fail rather than overwrite. */
    c->state = SMTP_CLIENT_FAILED;
    snprintf(c->error, sizeof c->error, "internal: too many commands in flight");
    return;
  }
  c->pending[(c->pend_head + c->pend_count) % c->pend_cap] = step;
  c->pend_count++;
}

/* smtpc_out_compact - keep unsent output at the start so the tail is free. */
void smtpc_out_compact(struct smtp_client *c) {
  if (c->out_start == 0)
    return;
  memmove(c->out, c->out + c->out_start, c->out_len - c->out_start);
  c->out_len -= c->out_start;
  c->out_start = 0;
}

/* smtpc_out_free - room left once unsent output is compacted. */
size_t smtpc_out_free(const struct smtp_client *c) {
  return c->out_cap - (c->out_len - c->out_start);
}

/* smtpc_emit_raw - append octets that expect no reply of their own. */
void smtpc_emit_raw(struct smtp_client *c, const char *data, size_t len) {
  smtpc_out_compact(c);
  if (len > c->out_cap - c->out_len) {
    c->state = SMTP_CLIENT_FAILED;
    snprintf(c->error, sizeof c->error, "internal: output buffer overflow");
    return;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
}

/* smtpc_emit - one command line; RFC 5321 2.3.8: lines end in CRLF. */
void smtpc_emit(struct smtp_client *c, enum smtp_client_step step, const char *fmt, ...) {
  smtpc_out_compact(c);
  size_t room = c->out_cap - c->out_len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(c->out + c->out_len, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n + 2 >= room) {
    c->state = SMTP_CLIENT_FAILED;
    snprintf(c->error, sizeof c->error, "internal: output buffer overflow");
    return;
  }
  c->out_len += (size_t)n;
  c->out[c->out_len++] = '\r';
  c->out[c->out_len++] = '\n';
  smtpc_expect(c, step);
}

/* smtpc_fail_remaining - every message still without an outcome fails here. */
void smtpc_fail_remaining(struct smtp_client *c, enum smtp_client_step step, int code) {
  for (size_t i = c->cur; i < c->nmsgs; i++) {
    if (i == c->cur && c->cur_failed)
      continue;
    c->results[i].failed_step = step;
    c->results[i].final_code = code;
    c->results[i].rcpts_accepted = i == c->cur ? c->accepted : 0;
  }
  c->cur = c->nmsgs;
  c->cur_failed = false;
}

/* smtpc_quit - RFC 5321 4.1.1.10: end the session politely. */
void smtpc_quit(struct smtp_client *c) {
  if (c->quit_sent)
    return;
  c->quit_sent = true;
  smtpc_emit(c, SMTP_STEP_QUIT, "QUIT");
}

/* smtpc_abort - the session cannot go on: say why, fail what is left, QUIT. */
void smtpc_abort(struct smtp_client *c, enum smtp_client_step step, int code, const char *fmt,
                 ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->error, sizeof c->error, fmt, ap);
  va_end(ap);
  c->aborted = true;
  smtpc_fail_remaining(c, step, code);
  smtpc_quit(c);
}

/* server_closing - RFC 5321 3.8: 421 means the server closes now; we say nothing more. */
static void server_closing(struct smtp_client *c, enum smtp_client_step step,
                           const struct smtp_reply *r) {
  smtpc_fail_remaining(c, step, r->code);
  if (!c->quit_sent)
    snprintf(c->error, sizeof c->error, "server closing the connection: %d %.*s", r->code,
             r->nlines ? (int)(r->lines[0].len > 120 ? 120 : r->lines[0].len) : 0,
             r->nlines ? r->lines[0].text : "");
  c->pend_count = 0;
  c->stream = SMTPC_STREAM_NONE;
  c->state = SMTP_CLIENT_DONE;
}

/* dispatch - hand one reply to the step it answers. */
static void dispatch(struct smtp_client *c, const struct smtp_reply *r) {
  if (c->pend_count == 0) {
    if (c->on_reply)
      c->on_reply(c->ctx, SMTP_STEP_DONE, r);
    if (r->code == 421) {
      server_closing(c, SMTP_STEP_DONE, r);
      return;
    }
    /* RFC 5321 4.2: replies answer commands; one we did not ask for desynchronises us. */
    c->state = SMTP_CLIENT_FAILED;
    snprintf(c->error, sizeof c->error, "unexpected reply %d with no command outstanding", r->code);
    return;
  }
  enum smtp_client_step step = c->pending[c->pend_head];
  c->pend_head = (c->pend_head + 1) % c->pend_cap;
  c->pend_count--;
  if (c->on_reply)
    c->on_reply(c->ctx, step, r);
  if (r->code == 421 && step != SMTP_STEP_QUIT) {
    server_closing(c, step, r);
    return;
  }
  step_rows[step].on_reply(c, r);
}

/* process_input - consume whole replies while the output has room for our answer. */
static void process_input(struct smtp_client *c) {
  while (c->state == SMTP_CLIENT_RUNNING && c->stream == SMTPC_STREAM_NONE &&
         smtpc_out_free(c) >= c->out_reserve && c->in_start < c->in_len) {
    struct smtp_reply r;
    ssize_t n = smtp_reply_parse(c->in + c->in_start, c->in_len - c->in_start, &r);
    if (n == -2) {
      if (c->in_start == 0 && c->in_len == SMTPC_IN_CAP) {
        c->state = SMTP_CLIENT_FAILED;
        snprintf(c->error, sizeof c->error, "reply longer than %d octets", SMTPC_IN_CAP);
      }
      return;
    }
    if (n < 0 || (r.defects & SMTP_REPLY_BAD_CODE)) {
      /* RFC 5321 4.2: a reply is a 3-digit code whose first digit is 2-5, and text;
       * anything else ("054", "650") is not SMTP and cannot be acted upon. */
      size_t show = r.raw_len > 80 ? 80 : r.raw_len;
      if (r.raw != c->in + c->in_start)
        show = 0;
      c->state = SMTP_CLIENT_FAILED;
      snprintf(c->error, sizeof c->error, "malformed reply from the server: \"%.*s\"", (int)show,
               c->in + c->in_start);
      for (size_t i = 0; i < show && c->error[i]; i++)
        if ((unsigned char)c->error[i] < ' ')
          c->error[i] = '?';
      smtpc_fail_remaining(c, c->pend_count ? c->pending[c->pend_head] : SMTP_STEP_DONE, 0);
      return;
    }
    dispatch(c, &r);
    c->in_start += (size_t)n;
  }
  if (c->in_start == c->in_len)
    c->in_start = c->in_len = 0;
}

/* smtp_client_feed - buffer server bytes and act on every complete reply. */
size_t smtp_client_feed(struct smtp_client *c, const char *buf, size_t len) {
  if (c->state != SMTP_CLIENT_RUNNING)
    return 0;
  if (c->in_start > 0) {
    memmove(c->in, c->in + c->in_start, c->in_len - c->in_start);
    c->in_len -= c->in_start;
    c->in_start = 0;
  }
  size_t take = SMTPC_IN_CAP - c->in_len;
  if (take > len)
    take = len;
  memcpy(c->in + c->in_len, buf, take);
  c->in_len += take;
  process_input(c);
  if (c->state == SMTP_CLIENT_STARTTLS) {
    /* RFC 3207 4.2 / CVE-2011-0411: octets after the 220 are plaintext we never use;
     * report them as not consumed so the caller can see (and must discard) them. */
    size_t stray = c->in_len - c->in_start;
    c->in_start = c->in_len = 0;
    return stray > take ? 0 : take - stray;
  }
  return take;
}

/* smtp_client_eof - the server closed: fine after QUIT, a failure before. */
void smtp_client_eof(struct smtp_client *c) {
  if (c->state == SMTP_CLIENT_DONE || c->state == SMTP_CLIENT_FAILED)
    return;
  if (c->quit_sent && c->pend_count == 1 && c->pending[c->pend_head] == SMTP_STEP_QUIT &&
      c->state == SMTP_CLIENT_RUNNING) {
    c->state = c->aborted ? SMTP_CLIENT_FAILED : SMTP_CLIENT_DONE;
    return;
  }
  enum smtp_client_step step = c->pend_count ? c->pending[c->pend_head] : SMTP_STEP_DONE;
  if (c->pend_count)
    snprintf(c->error, sizeof c->error,
             "connection closed by the server while waiting for the reply to %s",
             smtp_step_name(step));
  else if (c->state == SMTP_CLIENT_STARTTLS)
    snprintf(c->error, sizeof c->error,
             "connection closed by the server before the TLS "
             "handshake");
  else
    snprintf(c->error, sizeof c->error, "connection closed by the server");
  if (c->state == SMTP_CLIENT_STARTTLS)
    step = SMTP_STEP_STARTTLS;
  smtpc_fail_remaining(c, step, 0);
  /* As after a 421: no more content. The message being streamed has failed (and cur is
   * past the last message now, so a refill would read beyond them). */
  c->stream = SMTPC_STREAM_NONE;
  c->state = SMTP_CLIENT_FAILED;
}

/* smtp_client_output - the unsent command and content octets. */
const char *smtp_client_output(const struct smtp_client *c, size_t *len) {
  *len = c->out_len - c->out_start;
  return c->out + c->out_start;
}

/* smtp_client_output_done - n octets went out: refill content, act on held replies. */
void smtp_client_output_done(struct smtp_client *c, size_t n) {
  if (n > c->out_len - c->out_start)
    n = c->out_len - c->out_start;
  c->out_start += n;
  if (c->out_start == c->out_len)
    c->out_start = c->out_len = 0;
  if (c->stream != SMTPC_STREAM_NONE)
    smtpc_stream_fill(c);
  process_input(c);
}

/* smtp_client_state - what the caller must do next. */
enum smtp_client_state smtp_client_state(const struct smtp_client *c) {
  return c->state;
}

/* smtp_client_tls_started - RFC 3207 4.2: forget what the server said, EHLO again. */
void smtp_client_tls_started(struct smtp_client *c) {
  if (c->state != SMTP_CLIENT_STARTTLS)
    return;
  c->state = SMTP_CLIENT_RUNNING;
  c->tls_active = true;
  c->offers = 0;
  c->auth_plain = c->auth_login = false;
  c->in_start = c->in_len = 0;
  smtpc_send_ehlo(c);
}

/* smtp_client_result - the outcome of message i. */
const struct smtp_client_result *smtp_client_result(const struct smtp_client *c, size_t i) {
  return i < c->nmsgs ? &c->results[i] : NULL;
}

/* smtp_client_error - why the session failed ("" when it did not). */
const char *smtp_client_error(const struct smtp_client *c) {
  return c->error;
}

/* smtp_client_offers - extensions of the last EHLO reply. */
unsigned smtp_client_offers(const struct smtp_client *c) {
  return c->offers;
}
