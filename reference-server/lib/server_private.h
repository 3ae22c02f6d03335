/* server_private.h - the server engine's session struct and the helpers its files share.
 *
 * The engine is split by idea: server.c (session, feed loop, output, public accessors),
 * server_reply.c (the one reply helper and the one state-change function),
 * server_input.c (command-line framing), server_commands.c (the command table),
 * server_ehlo.c (HELO/EHLO), server_data.c (DATA/BDAT), server_auth.c (AUTH),
 * server_sasl.c (SASL response lines, decoded as they arrive). */
#ifndef SMTP_SERVER_PRIVATE_H
#define SMTP_SERVER_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtp/address.h"
#include "smtp/command.h"
#include "smtp/data.h"
#include "smtp/line.h"
#include "smtp/server.h"

/* RFC 4954 4: a SASL response line may be up to 12288 octets; this limit applies only
 * to lines read inside an AUTH exchange, command lines keep the 512 octets of 5321. The
 * line is never stored: its base64 is decoded as it arrives (server_sasl.c). */
#define SERVER_SASL_LINE_MAX 12288
/* Decoded SASL response. RFC 4954 4: a server must take the largest response its
 * mechanisms produce; RFC 4616 2 makes PLAIN's authzid, authcid and passwd at least 255
 * octets each (767 with the two NULs), LOGIN sends one of them at a time. A response
 * that decodes to more is refused with 500 5.5.6 (RFC 4954 6: "longer than the maximum
 * buffer size available for the currently selected SASL mechanism"). */
#define SERVER_SASL_DECODED_MAX 1024
/* Longest authentication identity kept for smtp_server_auth_user(). */
#define SERVER_AUTH_USER_MAX 512
/* Message content handed to smtp_unstuff() per step (out needs len + 2). */
#define SERVER_DATA_STEP 1024
/* Room a processing step may need in the output buffer. A step queues at most one reply
 * (the longest: a hook's 599-octet text on 8 lines plus a wrapped ninth, 736 octets) and
 * then possibly a 421 (599 octets of hostname and text, wrapped: 623), or the daemon may
 * queue that 421 later (timeout, shutdown) before sending anything; a 421 is always the
 * last reply. A step runs only when this much is free, so nothing the engine formats can
 * fail to fit; test_server_memory.c drives the worst case without ever sending output. */
#define SERVER_STEP_ROOM 1536
/* Output capacity: one step's room plus 1 KiB for the replies of a pipelined batch
 * (RFC 2920) to queue up before the daemon sends them (about 70 short replies). */
#define SERVER_OUTPUT_CAP 2560
/* The longest reply text the engine composes (hostname plus a sentence). */
#define SERVER_TEXT_MAX 600

/* What the engine is reading now. */
enum server_mode {
  SERVER_MODE_COMMAND = 0,  /* command lines */
  SERVER_MODE_SKIP,         /* an over-long line: discard up to the next CRLF */
  SERVER_MODE_DATA,         /* DATA content up to CRLF.CRLF */
  SERVER_MODE_BDAT,         /* the octets of a BDAT chunk */
  SERVER_MODE_BDAT_DISCARD, /* the octets of a refused BDAT chunk */
  SERVER_MODE_AUTH,         /* a SASL response line */
  SERVER_MODE_PENDING,      /* a hook answered PENDING */
  SERVER_MODE_STARTTLS,     /* 220 sent: waiting for the handshake */
  SERVER_MODE_CLOSING,      /* 221 or 421 sent: nothing more is read */
  SERVER_MODE_COUNT
};

/* Which hook is PENDING, so smtp_server_resume() knows what to finish. */
enum server_pending {
  SERVER_PENDING_NONE = 0,
  SERVER_PENDING_MAIL,
  SERVER_PENDING_RCPT,
  SERVER_PENDING_DATA_END,
  SERVER_PENDING_AUTH,
};

/* Where an AUTH exchange stands. */
enum server_auth_step {
  SERVER_AUTH_NONE = 0,
  SERVER_AUTH_PLAIN_RESPONSE, /* 334 sent for PLAIN: waiting for the response */
  SERVER_AUTH_LOGIN_USER,     /* 334 VXNlcm5hbWU6 sent */
  SERVER_AUTH_LOGIN_PASS,     /* 334 UGFzc3dvcmQ6 sent */
};

/* HELO/EHLO status of the session. */
enum server_greeted { SERVER_GREETED_NONE = 0, SERVER_GREETED_HELO, SERVER_GREETED_EHLO };

/* One mail transaction (RFC 5321 3.3): what MAIL said and what RCPT and data did. */
struct server_txn {
  bool open;            /* MAIL accepted */
  bool smtputf8;        /* MAIL ... SMTPUTF8 (RFC 6531 3.4) */
  enum smtp_body body;  /* MAIL ... BODY= */
  unsigned nrcpts;      /* accepted recipients */
  bool bdat_seen;       /* a BDAT was accepted: DATA is now refused (RFC 3030 2) */
  bool content_started; /* data_begin was called */
  bool oversize;        /* content passed max_size: answered 552 at the end */
  uint64_t octets;      /* content octets so far */
  unsigned defects;     /* enum smtp_data_defect bits (BDAT content) */
  bool prev_cr;         /* BDAT: the last octet of the previous chunk was CR */
  size_t line_len;      /* BDAT: octets in the current content line */
};

/* A SASL response line being read and decoded as it arrives (RFC 4954 4). */
struct server_sasl {
  size_t octets;    /* octets of the line so far, a CR that may start its CRLF included */
  size_t chars;     /* octets given to the decoder (the line without CRs) */
  size_t len;       /* decoded octets in work.sasl */
  unsigned defects; /* enum smtp_line_defect bits (bare CR, bare LF, NUL) */
  unsigned nquad;   /* octets held in quad[] */
  char quad[4];     /* a base64 quantum not yet complete */
  char first;       /* the line's first octet: "*" cancels, "=" is empty */
  bool cr;          /* the last octet was a CR */
  bool invalid;     /* not strict base64 (RFC 4648 3.1-3.5) */
  bool padded;      /* a quantum with '=' was decoded: it must be the last */
  bool overflow;    /* decodes to more than SERVER_SASL_DECODED_MAX octets */
  bool dirty;       /* work.sasl may hold credentials: wipe before reuse or free */
};

/* The session: one allocation, made by smtp_server_new(), about 4.6 KiB (issue 6: memory
 * per idle connection). Fields before `helo` are zeroed at creation; the buffers from
 * `helo` on are written before they are read, so they are not cleared (calloc would
 * write all of them on a reused heap block). */
struct smtp_server {
  const struct smtp_server_config *cfg;
  const struct smtp_server_hooks *hooks;
  void *ctx;
  const char *hostname; /* cfg->hostname, or "localhost" */
  smtp_server_trace_fn trace;
  void *trace_ctx;

  enum server_mode mode;
  enum server_pending pending;
  enum server_greeted greeted;
  bool tls;
  bool authenticated;
  unsigned max_recipients; /* cfg value raised to SMTP_SERVER_MIN_RECIPIENTS */
  unsigned max_errors;     /* cfg value, 0 -> 20 */
  unsigned max_auth_fail;  /* cfg value, 0 -> 3 */
  unsigned errors;         /* consecutive 5xx replies */
  unsigned auth_failures;  /* 535 replies */
  struct smtp_server_stats stats;
  struct server_txn txn;

  /* Command-line framing. The held octets were scanned as they arrived, so a line fed
   * one octet at a time costs its length, not its length squared: only new octets are
   * looked at (server_input.c). All three are reset with every line (server_line_reset). */
  size_t line_len;       /* octets of a partial line held in work.line, all scanned */
  unsigned line_defects; /* enum smtp_line_defect bits of those octets */
  bool line_cr;          /* the last held octet is a CR that an LF may still complete */
  int skip_cr;           /* smtp_line_skip()'s pending CR */
  bool skip_in_auth;     /* the over-long line was a SASL response */

  /* DATA and BDAT. */
  struct smtp_unstuffer unstuffer;
  struct smtp_bdat bdat;
  int bdat_code; /* the reply owed for a refused chunk */
  const char *bdat_enhanced;
  const char *bdat_text;

  /* AUTH. */
  enum server_auth_step auth_step;
  const char *auth_mech; /* static name of the mechanism in progress */
  size_t auth_user_len;
  struct server_sasl sasl;

  /* Output: bytes [out_head, out_len) of out[] are waiting to be sent. */
  size_t out_head;
  size_t out_len;

  /* RFC 5321 4.1.1.1: the HELO/EHLO argument, a Domain or address literal (4.1.2, 4.1.3:
   * at most 255 octets, which smtp_command_parse() enforces). */
  char helo[SMTP_DOMAIN_MAX + 1];
  char auth_user[SERVER_AUTH_USER_MAX + 1];
  char out[SERVER_OUTPUT_CAP];

  /* One work area for what only one mode needs at a time. A partial command line is
   * complete (line_len 0) before DATA or AUTH begins; an AUTH initial response still in
   * `line` is decoded in place into `sasl`, which is safe because the decoder copies each
   * 4-octet quantum out before writing its 3 octets at a lower offset. */
  union {
    char line[SMTP_COMMAND_LINE_MAX];   /* COMMAND: a partial command line */
    char data[SERVER_DATA_STEP + 2];    /* DATA: one step of unstuffed content */
    char sasl[SERVER_SASL_DECODED_MAX]; /* AUTH: the decoded response */
  } work;
};

/* server_reply.c */
int server_reply(struct smtp_server *s, int code, const char *enhanced, const char *text);
int server_refuse(struct smtp_server *s, int code, const char *enhanced, const char *text);
int server_reply_hook(struct smtp_server *s, const struct smtp_hook_reply *r, bool accept,
                      int def_code, const char *def_enhanced, const char *def_text);
void server_close(struct smtp_server *s, const char *enhanced, const char *text);
void server_set_mode(struct smtp_server *s, enum server_mode mode);
const char *server_mode_name(enum server_mode mode);
size_t server_output_free(const struct smtp_server *s);

/* server_input.c */
void server_line_reset(struct smtp_server *s);
size_t server_input_line(struct smtp_server *s, const char *buf, size_t len);
void server_skip_begin(struct smtp_server *s, char last);
size_t server_input_skip(struct smtp_server *s, const char *buf, size_t len);

/* server_commands.c */
void server_command(struct smtp_server *s, const struct smtp_line *line);
void server_txn_reset(struct smtp_server *s);
void server_session_reset(struct smtp_server *s);
void server_resume_mail(struct smtp_server *s, enum smtp_hook_status st,
                        const struct smtp_hook_reply *r);
void server_resume_rcpt(struct smtp_server *s, enum smtp_hook_status st,
                        const struct smtp_hook_reply *r);

/* server_ehlo.c */
unsigned server_offered(const struct smtp_server *s);
void server_cmd_helo(struct smtp_server *s, const struct smtp_command *cmd);
void server_cmd_ehlo(struct smtp_server *s, const struct smtp_command *cmd);

/* server_data.c */
void server_cmd_data(struct smtp_server *s, const struct smtp_command *cmd);
void server_cmd_bdat(struct smtp_server *s, const struct smtp_command *cmd);
size_t server_data_input(struct smtp_server *s, const char *buf, size_t len);
size_t server_bdat_input(struct smtp_server *s, const char *buf, size_t len);
void server_resume_data_end(struct smtp_server *s, enum smtp_hook_status st,
                            const struct smtp_hook_reply *r);

/* server_auth.c */
size_t server_auth_mechs(const struct smtp_server *s, char *buf, size_t cap);
void server_cmd_auth(struct smtp_server *s, const struct smtp_command *cmd);
void server_auth_response(struct smtp_server *s);
void server_auth_too_long(struct smtp_server *s);
void server_resume_auth(struct smtp_server *s, enum smtp_hook_status st,
                        const struct smtp_hook_reply *r);

/* server_sasl.c */
void server_sasl_begin(struct smtp_server *s);
void server_sasl_take(struct smtp_server *s, const char *p, size_t n);
size_t server_sasl_input(struct smtp_server *s, const char *buf, size_t len);
void server_sasl_wipe(struct smtp_server *s);

#endif
