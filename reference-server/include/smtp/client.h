/* smtp/client.h - the sans-I/O SMTP client engine: one or more transactions per session.
 *
 * Server bytes go in with smtp_client_feed(); command bytes come out of
 * smtp_client_output(). Each reply is reported through on_reply as it is consumed. */
#ifndef SMTP_CLIENT_H
#define SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/reply.h"

/* The steps a client session goes through. */
enum smtp_client_step {
  SMTP_STEP_GREETING = 0,
  SMTP_STEP_EHLO,
  SMTP_STEP_HELO, /* fallback when EHLO gets 5xx */
  SMTP_STEP_STARTTLS,
  SMTP_STEP_AUTH,
  SMTP_STEP_MAIL,
  SMTP_STEP_RCPT,
  SMTP_STEP_DATA, /* the 354 */
  SMTP_STEP_BDAT,
  SMTP_STEP_DOT, /* the reply after the content */
  SMTP_STEP_RSET,
  SMTP_STEP_QUIT,
  SMTP_STEP_DONE,
};

/* How to treat STARTTLS. */
enum smtp_client_tls {
  SMTP_CLIENT_TLS_NONE = 0,      /* never */
  SMTP_CLIENT_TLS_OPPORTUNISTIC, /* when offered */
  SMTP_CLIENT_TLS_REQUIRE,       /* fail if not offered */
};

/* One message to send. The content is raw (not dot-stuffed); the engine stuffs it. */
struct smtp_client_message {
  const char *from;         /* reverse-path without brackets; "" for <> */
  const char *const *rcpts; /* forward-paths without brackets */
  size_t nrcpts;
  const char *content;
  size_t content_len;
};

/* Session settings; strings must outlive the session. */
struct smtp_client_config {
  const char *ehlo; /* our name */
  enum smtp_client_tls starttls;
  const char *auth_user; /* NULL: no AUTH */
  const char *auth_pass;
  bool use_pipelining; /* when offered (RFC 2920) */
  bool use_chunking;   /* BDAT when offered (RFC 3030) */
  bool prefer_login;   /* AUTH LOGIN when offered, even if PLAIN is offered too */
};

/* Called for every reply the client consumes, in order. */
typedef void (*smtp_client_reply_fn)(void *ctx, enum smtp_client_step step,
                                     const struct smtp_reply *reply);

/* The engine's state for the caller. */
enum smtp_client_state {
  SMTP_CLIENT_RUNNING = 0,
  SMTP_CLIENT_STARTTLS, /* flush output; do the handshake; then smtp_client_tls_started() */
  SMTP_CLIENT_DONE,     /* QUIT answered (or the server closed after 421): close */
  SMTP_CLIENT_FAILED,   /* protocol failure: see smtp_client_error() */
};

/* Per-message outcome. */
struct smtp_client_result {
  int final_code;                    /* reply to end of data, or the failing step's code */
  enum smtp_client_step failed_step; /* SMTP_STEP_DONE when delivered */
  size_t rcpts_accepted;
};

struct smtp_client; /* opaque */

/* smtp_client_new - start a session that will send msgs[0..nmsgs-1] then QUIT. */
struct smtp_client *smtp_client_new(const struct smtp_client_config *cfg,
                                    const struct smtp_client_message *msgs, size_t nmsgs,
                                    smtp_client_reply_fn on_reply, void *ctx);
void smtp_client_free(struct smtp_client *c);

/* smtp_client_feed - server bytes; returns octets consumed (all, unless not RUNNING). */
size_t smtp_client_feed(struct smtp_client *c, const char *buf, size_t len);
/* smtp_client_eof - the server closed the connection. */
void smtp_client_eof(struct smtp_client *c);
/* Command and content bytes to send, and how many were sent. */
const char *smtp_client_output(const struct smtp_client *c, size_t *len);
void smtp_client_output_done(struct smtp_client *c, size_t n);

enum smtp_client_state smtp_client_state(const struct smtp_client *c);
/* smtp_client_tls_started - TLS is up after STARTTLS: the engine sends EHLO again. */
void smtp_client_tls_started(struct smtp_client *c);
/* smtp_client_result - outcome of message i (valid once DONE or FAILED). */
const struct smtp_client_result *smtp_client_result(const struct smtp_client *c, size_t i);
/* smtp_client_error - why the session FAILED, in English. */
const char *smtp_client_error(const struct smtp_client *c);
/* smtp_client_offers - the extension bits (enum smtp_ext) of the last EHLO reply. */
unsigned smtp_client_offers(const struct smtp_client *c);

/* smtp_step_name - "MAIL", "RCPT", ... for transcripts. */
const char *smtp_step_name(enum smtp_client_step step);

#endif
