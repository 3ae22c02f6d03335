/* runner_session.h - private to the runner: one test's live connection and state. */
#ifndef SMTPCHECK_RUNNER_SESSION_H
#define SMTPCHECK_RUNNER_SESSION_H

#include <stdbool.h>

#include "clock.h"
#include "conn.h"
#include "runner.h"
#include "smtp/reply.h"

/* One test in progress. */
struct session {
  const struct run_config *cfg;
  const struct script_test *t;
  struct test_result *res;
  struct conn *c;    /* NULL after `close` */
  struct sbuf in;    /* received octets not yet consumed */
  struct sbuf queue; /* `>+` lines waiting for the next write */
  struct sbuf ehlo;  /* the last EHLO reply, raw; empty before the first */
  bool eof;          /* the server closed its side */
  bool closed_ok;    /* a `closed` alternative matched: steps up to `reconnect` are moot */
  bool reconnecting; /* a `reconnect` step has run: a refused connection is a finding */
  long timeout_ms;   /* per step */
  struct vars vars;
  struct sbuf auth_plain, user_b64, pass_b64;
  struct sbuf rcpt_local;   /* the value of $rcpt_local */
  char size_limit[24];      /* $size_limit: digits, "" when not advertised */
  char size_over_limit[24]; /* $size_over_limit: size_limit + 1 */
};

/* session_set_size_limit - $size_limit and $size_over_limit from an EHLO reply (raw) that
 * advertises a nonzero SIZE; otherwise the variables keep what they had. */
void session_set_size_limit(struct session *s, const char *ehlo, size_t len);

/* require_exts_met - judge t's `require ext` / `require no-ext` / `require size-limit`
 * lines that are due when steps from index `from` on are still to run (script_ext_due)
 * against an EHLO reply (raw; len 0: none). On a miss res becomes a skip; returns false. */
bool require_exts_met(const struct script_test *t, const char *ehlo, size_t len, size_t from,
                      struct test_result *res);

/* What reading one reply gave. */
enum read_status {
  READ_REPLY,   /* a whole reply: the caller consumes `used` octets after looking */
  READ_EOF,     /* the server closed the connection (partial: octets before EOF) */
  READ_TIMEOUT, /* nothing complete within the time allowed */
  READ_ERROR,   /* the connection failed */
  READ_GARBAGE, /* octets that cannot start a reply */
  READ_FLOOD,   /* over RUNNER_REPLY_MAX octets without a complete reply */
};

/* session_read_reply - read one reply within timeout_ms; every reply and every stray
 * octet goes into the transcript. On READ_REPLY, r points into s->in and *used is its
 * length. *partial is the octets left unparsed on EOF/timeout/garbage. */
enum read_status session_read_reply(struct session *s, long timeout_ms, struct smtp_reply *r,
                                    size_t *used, size_t *partial);

/* session_flush - write queued octets (one write); 0, or -1 with a reason set. */
int session_flush(struct session *s);

/* session_fail - end the test as failed at level (the test's level unless a wire defect). */
void session_fail(struct session *s, int line, enum script_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* session_error - end the test as errored (it could not be judged). */
void session_error(struct session *s, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* session_connect - open the connection (TLS with --tls) and read the greeting unless
 * the test reads it itself; 0, or -1 with the result set. `line` is the step's line. */
int session_connect(struct session *s, int line, bool read_greeting);

/* session_free - close the connection (if open) and release every buffer of s. */
void session_free(struct session *s);

/* session_expect - one `<` step. */
int session_expect(struct session *s, const struct script_step *st);

/* session_ehlo - the `ehlo` step: EHLO, a 250 reply, and due `require ext` checks. */
int session_ehlo(struct session *s, const struct script_step *st, size_t index);

/* session_maildir - the `maildir` steps, polled until true or the step timeout. */
int session_maildir(struct session *s, const struct script_step *st);

#endif
