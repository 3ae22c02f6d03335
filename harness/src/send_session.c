/* send_session.c - `smtpcheck send`: the client engine driven over one conn, with a
 * swaks-like transcript ("-> MAIL FROM:<a@b>" / "<- 250 ok") on stdout when verbose. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "conn.h"
#include "send_session.h"
#include "smtp/reply.h"

/* The longest transcript line shown; longer ones are cut with "...". */
#define SHOWN_LINE_MAX 998

/* One session's bookkeeping for the callbacks and the report. */
struct send_ctx {
  const struct send_options *o;
  /* The line being written, for the "-> " transcript. */
  char line[SHOWN_LINE_MAX + 1];
  size_t line_len;
  bool line_cut;
  /* The last 4xx/5xx reply, for the error message. */
  char refusal[256];
};

/* show_line - print one transcript line with its direction marker. */
static void show_line(const char *dir, const char *s, size_t n, bool cut) {
  fputs(dir, stdout);
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    /* Control octets would garble the terminal; show them escaped. */
    if (ch < ' ' && ch != '\t')
      printf("\\x%02x", ch);
    else
      putchar(ch);
  }
  fputs(cut ? "...\n" : "\n", stdout);
}

/* trace_out - split what we send into lines for the transcript. */
static void trace_out(struct send_ctx *s, const char *p, size_t n) {
  if (!s->o->verbose)
    return;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '\n' && s->line_len > 0 && s->line[s->line_len - 1] == '\r') {
      show_line("-> ", s->line, s->line_len - 1, s->line_cut);
      s->line_len = 0;
      s->line_cut = false;
    } else if (p[i] == '\n' && s->line_len == 0 && !s->line_cut) {
      show_line("-> ", "", 0, false); /* cannot happen: content is CRLF-normalised */
    } else if (s->line_len < SHOWN_LINE_MAX) {
      s->line[s->line_len++] = p[i];
    } else {
      s->line_cut = true;
    }
  }
}

/* on_reply - the engine consumed a reply: show each of its lines, remember refusals. */
static void on_reply(void *ctx, enum smtp_client_step step, const struct smtp_reply *r) {
  struct send_ctx *s = ctx;
  (void)step;
  if (r->code >= 400) {
    size_t n = r->nlines ? r->lines[0].len : 0;
    snprintf(s->refusal, sizeof s->refusal, "%d %.*s", r->code, (int)(n > 200 ? 200 : n),
             r->nlines ? r->lines[0].text : "");
  }
  if (!s->o->verbose)
    return;
  const char *p = r->raw, *end = r->raw + r->raw_len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl ? nl : end;
    size_t n = (size_t)(stop - p);
    if (n > 0 && p[n - 1] == '\r')
      n--;
    show_line("<- ", p, n > SHOWN_LINE_MAX ? SHOWN_LINE_MAX : n, n > SHOWN_LINE_MAX);
    p = nl ? nl + 1 : end;
  }
}

/* start_tls - TLS on the connection; "=== TLS started with ..." in the transcript. */
static int start_tls(struct conn *c, const struct send_options *o) {
  char err[512], desc[128];
  struct conn_tls_options t = {.sni = o->host, .ca_file = o->ca_file, .verify = o->tls_verify};
  if (conn_start_tls(c, &t, o->timeout_ms, err, sizeof err) != 0) {
    fprintf(stderr, "smtpcheck send: %s\n", err);
    return -1;
  }
  if (o->verbose)
    printf("=== TLS started: %s\n", conn_tls_describe(c, desc, sizeof desc));
  return 0;
}

/* flush_output - write everything the engine has queued. */
static int flush_output(struct smtp_client *e, struct conn *c, struct send_ctx *s) {
  size_t n;
  const char *p;
  while ((p = smtp_client_output(e, &n)), n > 0) {
    trace_out(s, p, n);
    int w = conn_write_all(c, p, n, s->o->timeout_ms);
    if (w != 0) {
      fprintf(stderr, "smtpcheck send: %s\n", conn_last_error(c));
      return -1;
    }
    smtp_client_output_done(e, n);
  }
  return 0;
}

/* feed_input - give the engine what was read; it may need its output drained first. */
static int feed_input(struct smtp_client *e, struct conn *c, struct send_ctx *s, const char *buf,
                      size_t n) {
  size_t used = 0;
  while (used < n && smtp_client_state(e) == SMTP_CLIENT_RUNNING) {
    size_t k = smtp_client_feed(e, buf + used, n - used);
    used += k;
    if (flush_output(e, c, s) < 0)
      return -1;
    if (k == 0 && smtp_client_state(e) == SMTP_CLIENT_RUNNING) {
      fprintf(stderr, "smtpcheck send: the client engine stopped taking input\n");
      return -1;
    }
  }
  if (used < n && smtp_client_state(e) == SMTP_CLIENT_STARTTLS)
    /* RFC 3207 4.2 / CVE-2011-0411: nothing may follow 220 in clear; drop it, say so. */
    fprintf(stderr, "smtpcheck send: warning: %zu octets after the 220 to STARTTLS discarded\n",
            n - used);
  return 0;
}

/* drive - the I/O loop around the engine until it is DONE or FAILED. */
static int drive(struct smtp_client *e, struct conn *c, struct send_ctx *s) {
  char buf[16384];
  for (;;) {
    if (flush_output(e, c, s) < 0)
      return -1;
    enum smtp_client_state st = smtp_client_state(e);
    if (st == SMTP_CLIENT_DONE || st == SMTP_CLIENT_FAILED)
      return 0;
    if (st == SMTP_CLIENT_STARTTLS) {
      if (start_tls(c, s->o) < 0)
        return -1;
      smtp_client_tls_started(e);
      continue;
    }
    ssize_t n = conn_read(c, buf, sizeof buf, s->o->timeout_ms);
    if (n == 0) {
      smtp_client_eof(e);
      continue;
    }
    if (n < 0) {
      fprintf(stderr, "smtpcheck send: %s\n", conn_last_error(c));
      return -1;
    }
    if (feed_input(e, c, s, buf, (size_t)n) < 0)
      return -1;
  }
}

/* report - one line per message that was not delivered; the exit status. */
static int report(struct smtp_client *e, const struct send_ctx *s, size_t nmsgs, bool io_failed) {
  size_t delivered = 0;
  for (size_t i = 0; i < nmsgs; i++) {
    const struct smtp_client_result *r = smtp_client_result(e, i);
    if (r->failed_step == SMTP_STEP_DONE) {
      delivered++;
      continue;
    }
    if (io_failed && r->final_code == 0)
      continue; /* the I/O error was already reported */
    fprintf(stderr, "smtpcheck send: message %zu not delivered: %s failed", i + 1,
            smtp_step_name(r->failed_step));
    if (r->final_code)
      fprintf(stderr, " with %d", r->final_code);
    fputc('\n', stderr);
  }
  if (!io_failed && (delivered < nmsgs || smtp_client_state(e) == SMTP_CLIENT_FAILED) &&
      smtp_client_error(e)[0])
    fprintf(stderr, "smtpcheck send: %s\n", smtp_client_error(e));
  if (delivered < nmsgs && s->refusal[0])
    fprintf(stderr, "smtpcheck send: last refusal: %s\n", s->refusal);
  if (s->o->verbose)
    printf("=== %zu of %zu message%s delivered\n", delivered, nmsgs, nmsgs == 1 ? "" : "s");
  return delivered == nmsgs ? EXIT_OK : EXIT_FINDING;
}

/* send_run - one connection, every copy of the message, then QUIT. */
int send_run(const struct send_options *o, const char *content, size_t len) {
  char err[512];
  int rc = EXIT_FINDING;
  struct smtp_client *e = NULL;
  struct smtp_client_message *msgs = calloc(o->count, sizeof *msgs);
  struct send_ctx *s = calloc(1, sizeof *s);
  struct conn *c = NULL;
  if (!msgs || !s) {
    fprintf(stderr, "smtpcheck send: out of memory\n");
    goto out;
  }
  s->o = o;
  for (size_t i = 0; i < o->count; i++)
    msgs[i] = (struct smtp_client_message){.from = o->from,
                                           .rcpts = o->rcpts,
                                           .nrcpts = o->nrcpts,
                                           .content = content,
                                           .content_len = len};
  struct smtp_client_config cfg = {.ehlo = o->ehlo,
                                   .starttls = o->implicit_tls ? SMTP_CLIENT_TLS_NONE : o->starttls,
                                   .auth_user = o->auth_user,
                                   .auth_pass = o->auth_pass,
                                   .use_pipelining = o->pipelining,
                                   .use_chunking = o->chunking};
  e = smtp_client_new(&cfg, msgs, o->count, on_reply, s);
  if (!e) {
    fprintf(stderr, "smtpcheck send: an address or the EHLO name holds a line break\n");
    rc = EXIT_USAGE;
    goto out;
  }
  if (o->verbose)
    printf("=== Trying %s:%s...\n", o->host, o->port);
  c = conn_open(o->host, o->port, o->timeout_ms, err, sizeof err);
  if (!c) {
    fprintf(stderr, "smtpcheck send: %s\n", err);
    rc = EXIT_UNREACHABLE;
    goto out;
  }
  if (o->verbose)
    printf("=== Connected to %s.\n", conn_peer(c));
  bool io_failed = false;
  if (o->implicit_tls && start_tls(c, o) < 0)
    io_failed = true;
  if (!io_failed && drive(e, c, s) < 0)
    io_failed = true;
  if (io_failed && smtp_client_state(e) == SMTP_CLIENT_RUNNING)
    smtp_client_eof(e); /* marks what is left as failed */
  rc = report(e, s, o->count, io_failed);
out:
  conn_close(c);
  smtp_client_free(e);
  free(msgs);
  free(s);
  return rc;
}
