/* runner_read.c - bounded reads and writes of one test's connection, and its verdicts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runner_session.h"

/* The most octets asked of one conn_read. */
#define READ_CHUNK 16384

/* verdict - set the outcome once (the first verdict stands). */
__attribute__((format(printf, 5, 0))) static void verdict(struct session *s, enum test_outcome o,
                                                          enum script_level level, int line,
                                                          const char *fmt, va_list ap) {
  if (s->res->outcome != OUTCOME_PASS)
    return;
  s->res->outcome = o;
  s->res->fail_level = level;
  s->res->fail_line = line;
  vsnprintf(s->res->reason, sizeof s->res->reason, fmt, ap);
}

/* session_fail - a requirement was not met. */
void session_fail(struct session *s, int line, enum script_level level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verdict(s, OUTCOME_FAIL, level, line, fmt, ap);
  va_end(ap);
}

/* session_error - the test could not be judged. */
void session_error(struct session *s, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verdict(s, OUTCOME_ERROR, s->t->level, line, fmt, ap);
  va_end(ap);
}

/* session_flush - everything queued in one write, within the step timeout. */
int session_flush(struct session *s) {
  if (s->queue.len == 0)
    return 0;
  transcript_add(s->res, 'C', s->queue.p, s->queue.len);
  int rc = s->c ? conn_write_all(s->c, s->queue.p, s->queue.len, (int)s->timeout_ms) : -1;
  sbuf_consume(&s->queue, s->queue.len);
  return rc == 0 ? 0 : rc;
}

/* session_read_reply - parse from the buffer first; read more only when needed. */
enum read_status session_read_reply(struct session *s, long timeout_ms, struct smtp_reply *r,
                                    size_t *used, size_t *partial) {
  long deadline = clock_now_ms() + timeout_ms;
  *used = 0;
  *partial = 0;
  for (;;) {
    if (s->in.len > 0) {
      ssize_t rc = smtp_reply_parse(s->in.p, s->in.len, r);
      if (rc > 0) {
        transcript_add(s->res, 'S', s->in.p, (size_t)rc);
        *used = (size_t)rc;
        return READ_REPLY;
      }
      if (rc == -1) {
        /* The offending line and what precedes it are kept for the report. */
        size_t upto = (size_t)(r->raw - s->in.p) + r->raw_len;
        if (upto > s->in.len)
          upto = s->in.len;
        transcript_add(s->res, 'S', s->in.p, upto);
        *partial = upto;
        sbuf_consume(&s->in, upto);
        return READ_GARBAGE;
      }
      if (s->in.len >= RUNNER_REPLY_MAX) {
        transcript_add(s->res, 'S', s->in.p, s->in.len);
        *partial = s->in.len;
        sbuf_consume(&s->in, s->in.len);
        return READ_FLOOD;
      }
    }
    enum read_status st = READ_TIMEOUT;
    long left = deadline - clock_now_ms();
    ssize_t n = -2;
    if (s->eof || !s->c)
      st = READ_EOF;
    else if (left > 0) {
      char chunk[READ_CHUNK];
      size_t want = RUNNER_REPLY_MAX - s->in.len;
      n = conn_read(s->c, chunk, want < sizeof chunk ? want : sizeof chunk, (int)left);
      if (n > 0) {
        if (sbuf_append(&s->in, chunk, (size_t)n) < 0)
          st = READ_ERROR;
        else
          continue;
      } else if (n == 0) {
        s->eof = true;
        st = READ_EOF;
      } else if (n == -1) {
        st = READ_ERROR;
      }
    }
    if (s->in.len > 0) {
      transcript_add(s->res, 'S', s->in.p, s->in.len);
      *partial = s->in.len;
      sbuf_consume(&s->in, s->in.len);
    }
    if (st == READ_EOF || st == READ_ERROR) {
      char note[300];
      int len = snprintf(note, sizeof note, "%s%s",
                         st == READ_EOF ? "connection closed by the server" : "connection error: ",
                         st == READ_EOF || !s->c ? "" : conn_last_error(s->c));
      transcript_add(s->res, '*', note, (size_t)len < sizeof note ? (size_t)len : sizeof note - 1);
    }
    return st;
  }
}
