/* listen_session.h - one client session of `smtpcheck listen`, sans I/O: client octets
 * in, reply octets out, and a verdict on every client requirement (listen_checks.h).
 *
 * The engine is lenient: it frames lines at LF (noting a missing CR), takes any command
 * it can recognise, and answers as the scenario says, so that it can observe what a
 * strict server would refuse. Timing is the caller's: it feeds octets as they arrive,
 * writes each pending reply chunk after the chunk's delay, and says when it did. Octets
 * fed while a reply is still unwritten are "early": the client sent them before it could
 * have read the reply, which is pipelining (RFC 2920) or not waiting for the greeting. */
#ifndef SMTPCHECK_LISTEN_SESSION_H
#define SMTPCHECK_LISTEN_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listen_checks.h"
#include "listen_scenario.h"
#include "runner.h"
#include "vars.h"

/* The most octets buffered from a client that does not wait for replies. */
#define LISTEN_INPUT_MAX (256u * 1024u)
/* A line longer than this is not buffered whole: it is noted and skipped to its end. */
#define LISTEN_LINE_HARD_MAX 16384u
/* The largest message kept for --save (the rest is counted, not kept). */
#define LISTEN_MESSAGE_MAX (16u * 1024u * 1024u)
/* The most 5xx-refused commands remembered for the no-repeat check. */
#define LISTEN_REFUSED_MAX 32

/* What the caller should do next. */
enum listen_want {
  LW_READ,  /* read client octets (and write any pending chunk when its delay is over) */
  LW_TLS,   /* the reply to STARTTLS is written: do the server TLS handshake now */
  LW_CLOSE, /* close the connection (after QUIT, a 421, or an unrecoverable flood) */
};

/* A received message handed to the caller (for --save). */
typedef void (*listen_message_fn)(void *ctx, const char *data, size_t len, size_t dropped);

/* Settings of one session. Not owned. */
struct listen_session_config {
  const struct listen_scenario *scenario;
  bool tls_available; /* a certificate is loaded: STARTTLS can be offered and done */
  const char *hostname;
  listen_message_fn on_message;
  void *ctx;
};

/* States of the client dialogue. */
enum listen_state {
  LS_GREETING, /* the greeting is not written yet */
  LS_COMMAND,
  LS_DATA, /* message lines until <CRLF>.<CRLF> */
  LS_BDAT, /* chunk octets (RFC 3030) */
  LS_AUTH, /* SASL response lines (RFC 4954 4) */
  LS_TLS,  /* the caller is doing the handshake */
  LS_CLOSED,
};

/* One session. Zero-fill, then listen_session_init(). Fields marked private are the
 * engine's; the rest may be read by the caller. */
struct listen_session {
  struct listen_session_config cfg;
  enum listen_state state;
  bool tls;                        /* the session is under TLS now */
  bool server_closed;              /* we ended it (421, QUIT, flood) */
  struct listen_verdicts verdicts; /* filled as the session goes, completed by finish */
  struct test_result transcript;   /* C/S/'*' entries (its test field is unused) */
  size_t commands, messages;       /* counts for the report */

  /* private: input and early-octet marks (offsets into in) */
  struct sbuf in;
  size_t early_upto, mid_upto;
  bool skipping;  /* discarding the rest of an over-long line */
  bool tls_probe; /* after a refused STARTTLS: look for a TLS ClientHello */
  /* private: the pending reply, as one or two chunks */
  struct sbuf out;
  size_t split_at; /* out[0..split_at) first, then out[split_at..) after split delay */
  bool reply_pending, first_sent, multiline_prev;
  enum listen_want after_reply;
  /* private: dialogue state */
  int prev;      /* the listen_point answered last, -1 for the greeting */
  int last_code; /* the code of the reply queued last */
  unsigned counts[LP_COUNT];
  bool greeting_554, hello_ok, ehlo_ok, ehlo_refused, pipelining, ever_hello;
  bool in_txn, mail_refused, data_refused, body_8bit, starttls_refused, tls_fresh;
  bool quit_seen;
  unsigned rcpt_tried, rcpt_ok;
  int auth_step; /* SASL prompts still to send (LOGIN: 2) */
  uint64_t bdat_left;
  bool bdat_last;
  uint64_t refused[LISTEN_REFUSED_MAX];
  size_t nrefused;
  /* private: the message being received */
  struct sbuf msg, raw; /* unstuffed content (bounded), raw wire octets for the transcript */
  size_t msg_dropped, raw_dropped;
  bool msg_8bit, data_first;
  uint64_t msg_hash;
};

/* listen_session_init - a new session; the greeting is pending (written by the caller
 * after the scenario's greeting delay via listen_session_chunk). */
int listen_session_init(struct listen_session *s, const struct listen_session_config *cfg);

/* listen_session_feed - client octets arrived; processes what it can. Returns the want. */
enum listen_want listen_session_feed(struct listen_session *s, const char *p, size_t n);

/* listen_session_chunk - the next reply chunk to write and the milliseconds to wait
 * before writing it (counted from the end of the previous chunk, or from when the
 * command was read); false when nothing is pending. */
bool listen_session_chunk(const struct listen_session *s, const char **p, size_t *n,
                          long *delay_ms);

/* listen_session_chunk_written - the chunk was written; processes input that waited
 * for it. Returns the want. */
enum listen_want listen_session_chunk_written(struct listen_session *s);

/* listen_session_tls_done - the STARTTLS handshake finished (ok) or failed. */
enum listen_want listen_session_tls_done(struct listen_session *s, bool ok, const char *detail);

/* listen_session_eof - the client closed the connection (or it broke: why != NULL). */
void listen_session_eof(struct listen_session *s, const char *why);

/* listen_session_note - add a '*' note to the transcript (timeouts, TLS details). */
void listen_session_note(struct listen_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* listen_session_finish - final verdicts: skip reasons for what was not exercised. */
void listen_session_finish(struct listen_session *s);

/* listen_session_free - release buffers and the transcript. */
void listen_session_free(struct listen_session *s);

/* Engine internals shared by listen_session*.c (not for callers). */
void listen_reply(struct listen_session *s, int code, const char *text);
int listen_reply_point(struct listen_session *s, enum listen_point p, int code, const char *text);
void listen_judge_timing(struct listen_session *s, const char *line, size_t len, bool early,
                         bool mid);
void listen_message_done(struct listen_session *s);
void listen_command(struct listen_session *s, const char *line, size_t len, bool early, bool mid);
size_t listen_data_octets(struct listen_session *s, const char *p, size_t n);
void listen_data_line(struct listen_session *s, const char *line, size_t len, bool crlf,
                      unsigned defects, bool early, bool mid);
void listen_auth_line(struct listen_session *s, const char *line, size_t len);
uint64_t listen_hash(const char *p, size_t n, uint64_t h);

#endif
