/* client_session.h - private: the client engine's session state, shared by client*.c. */
#ifndef SMTP_CLIENT_SESSION_H
#define SMTP_CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtp/client.h"
#include "smtp/data.h"

/* Input buffer: the longest reply the client waits for (an EHLO reply is 64 lines of at
 * most 512 octets by RFC 5321 4.5.3.1.5; we allow twice that before giving up). */
#define SMTPC_IN_CAP 65536
/* Output room kept for streaming message content, beyond the longest command group. */
#define SMTPC_STREAM_ROOM 16384
/* RFC 3030 2: content goes in BDAT chunks of at most this many octets. */
#define SMTPC_BDAT_CHUNK (1024u * 1024u)

/* What content, if any, is being copied into the output buffer. */
enum smtpc_stream {
  SMTPC_STREAM_NONE = 0,
  SMTPC_STREAM_DATA, /* dot-stuffed, then the end-of-data mark */
  SMTPC_STREAM_BDAT, /* one BDAT chunk, raw */
};

/* Where an AUTH exchange stands. */
enum smtpc_auth_stage {
  SMTPC_AUTH_SENT = 0,  /* AUTH LOGIN, or PLAIN without initial response, sent: no 334 yet */
  SMTPC_AUTH_USER,      /* LOGIN: username sent */
  SMTPC_AUTH_FINAL,     /* credentials all sent: 235 or a failure comes next */
  SMTPC_AUTH_CANCELLED, /* "*" sent after an unexpected 334 (RFC 4954 4) */
};

/* The one allocation of a session: this struct, then results[], pending[], out[], in[]. */
struct smtp_client {
  struct smtp_client_config cfg;
  const struct smtp_client_message *msgs;
  size_t nmsgs;
  smtp_client_reply_fn on_reply;
  void *ctx;
  enum smtp_client_state state;
  char error[192];

  /* What the server said about itself. */
  unsigned offers; /* enum smtp_ext bits of the last EHLO */
  bool auth_plain; /* AUTH mechanisms offered */
  bool auth_login;
  bool tls_active;   /* smtp_client_tls_started() was called */
  bool tls_declined; /* opportunistic STARTTLS refused: go on in clear */
  bool auth_done;
  bool use_login; /* the mechanism chosen */
  enum smtpc_auth_stage auth_stage;
  bool quit_sent;
  bool aborted; /* a session failure: the QUIT reply leads to FAILED */

  /* The transaction of message cur. */
  size_t cur;
  size_t rcpt_next;    /* next recipient to send */
  size_t rcpt_replies; /* RCPT replies consumed */
  size_t accepted;
  bool mail_ok;
  bool pipelined;  /* MAIL..DATA sent as one RFC 2920 group */
  bool cur_failed; /* results[cur] already holds the first failure */
  bool chunking;   /* this message goes by BDAT */

  /* Content being copied to the output. */
  enum smtpc_stream stream;
  size_t content_off;
  size_t chunk_left; /* BDAT: octets of the current chunk still to copy */
  struct smtp_stuffer stuffer;

  /* Replies expected, in order (RFC 2920 3.1: replies come in command order). */
  enum smtp_client_step *pending;
  size_t pend_cap, pend_head, pend_count;

  struct smtp_client_result *results;
  char *out;
  size_t out_cap, out_start, out_len, out_reserve;
  char *in;
  size_t in_start, in_len;
};

/* smtpc_emit - append one formatted command line (CRLF added) and expect its reply. */
void smtpc_emit(struct smtp_client *c, enum smtp_client_step step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* smtpc_emit_raw - append octets without expecting a reply (content). */
void smtpc_emit_raw(struct smtp_client *c, const char *data, size_t len);
/* smtpc_expect - queue the step whose reply comes next after those already queued. */
void smtpc_expect(struct smtp_client *c, enum smtp_client_step step);
/* smtpc_out_free - octets the output buffer can still take after compaction. */
size_t smtpc_out_free(const struct smtp_client *c);
/* smtpc_out_compact - move unsent output to the start of the buffer. */
void smtpc_out_compact(struct smtp_client *c);

/* smtpc_abort - session failure: record why, fail the remaining messages, send QUIT. */
void smtpc_abort(struct smtp_client *c, enum smtp_client_step step, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* smtpc_fail_remaining - messages cur.. that have no outcome yet fail at step with code. */
void smtpc_fail_remaining(struct smtp_client *c, enum smtp_client_step step, int code);
/* smtpc_quit - send QUIT (once). */
void smtpc_quit(struct smtp_client *c);

/* Per-step reply handlers (client_hello.c, client_auth.c, client_txn.c). */
void smtpc_on_greeting(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_ehlo(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_helo(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_starttls(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_auth(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_mail(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_rcpt(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_data(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_bdat(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_dot(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_rset(struct smtp_client *c, const struct smtp_reply *r);
void smtpc_on_quit(struct smtp_client *c, const struct smtp_reply *r);

/* smtpc_after_hello - after EHLO/HELO: STARTTLS, AUTH or the first message. */
void smtpc_after_hello(struct smtp_client *c);
/* smtpc_send_ehlo - EHLO with our name (RFC 5321 4.1.1.1). */
void smtpc_send_ehlo(struct smtp_client *c);
/* smtpc_start_auth - AUTH PLAIN or LOGIN (RFC 4954), or abort if neither is offered. */
void smtpc_start_auth(struct smtp_client *c);
/* smtpc_auth_line_max - the longest AUTH line the configured credentials make. */
size_t smtpc_auth_line_max(const struct smtp_client_config *cfg);
/* smtpc_start_message - MAIL for message cur (with RCPTs and DATA when pipelining). */
void smtpc_start_message(struct smtp_client *c);
/* smtpc_stream_fill - copy as much pending content into the output as fits. */
void smtpc_stream_fill(struct smtp_client *c);
/* smtpc_group_max - the longest command group message m can make. */
size_t smtpc_group_max(const struct smtp_client_message *m);

#endif
