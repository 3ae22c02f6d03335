/* smtp/server.h - the sans-I/O SMTP server engine (RFC 5321 with extensions).
 *
 * Bytes from the client go in with smtp_server_feed(); reply bytes come out of
 * smtp_server_output(). Decisions the daemon makes (recipient policy, storage, AUTH)
 * come back through hooks; a hook may answer SMTP_HOOK_PENDING and the daemon later
 * calls smtp_server_resume(). The engine never reads a socket, sleeps, touches the
 * file system or allocates after smtp_server_new(). */
#ifndef SMTP_SERVER_H
#define SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtp/command.h"
#include "smtp/ext.h"

/* RFC 5321 4.5.3.1.8: at least 100 recipients must be buffered. */
#define SMTP_SERVER_MIN_RECIPIENTS 100

/* Configuration shared by many sessions; must outlive them. */
struct smtp_server_config {
  const char *hostname;        /* in the greeting and the EHLO reply */
  const char *greeting;        /* text after "220 hostname ", NULL for "ESMTP refsmtpd" */
  unsigned extensions;         /* enum smtp_ext bits to offer (STARTTLS/AUTH subject to state) */
  uint64_t max_size;           /* SIZE limit in octets (RFC 1870); 0 = no limit */
  unsigned max_recipients;     /* per transaction; values below 100 are raised to 100 */
  const char *auth_mechanisms; /* e.g. "PLAIN LOGIN"; used when SMTP_EXT_AUTH is offered */
  bool auth_requires_tls;      /* AUTH only offered/accepted after STARTTLS (538 otherwise) */
  bool mail_requires_auth;     /* submission: MAIL before AUTH gets 530 5.7.0 */
  unsigned max_auth_failures;  /* close with 421 after this many 535s; 0 = 3 */
  unsigned max_errors;         /* close with 421 after this many consecutive 5xx; 0 = 20 */
};

/* How a hook answered. */
enum smtp_hook_status {
  SMTP_HOOK_ACCEPT = 0, /* proceed with the default success reply (or *reply if code set) */
  SMTP_HOOK_REJECT,     /* send *reply (code 4xx/5xx) */
  SMTP_HOOK_PENDING,    /* decision later, via smtp_server_resume() */
};

/* A reply a hook wants sent; code 0 means "use the engine's default". */
struct smtp_hook_reply {
  int code;
  const char *enhanced; /* "2.1.5", or NULL */
  const char *text;     /* no CRLF; copied by the engine at once */
};

/* The daemon's side of the session. Any hook may be NULL (then: accept, discard). */
struct smtp_server_hooks {
  /* MAIL FROM accepted by syntax and state: cmd->path is the reverse-path. */
  enum smtp_hook_status (*mail)(void *ctx, const struct smtp_command *cmd,
                                struct smtp_hook_reply *reply);
  /* RCPT TO accepted by syntax and state. */
  enum smtp_hook_status (*rcpt)(void *ctx, const struct smtp_command *cmd,
                                struct smtp_hook_reply *reply);
  /* Message content begins (after 354, or with the first BDAT). */
  void (*data_begin)(void *ctx);
  /* A piece of message content, already dot-unstuffed. */
  void (*data_chunk)(void *ctx, const char *data, size_t len);
  /* Content complete: store it. PENDING lets the daemon reply 250 after fsync.
   * defects: enum smtp_data_defect bits seen in the content. */
  enum smtp_hook_status (*data_end)(void *ctx, unsigned defects, struct smtp_hook_reply *reply);
  /* The transaction ended without data_end (RSET, EHLO, STARTTLS, QUIT, close, error). */
  void (*reset)(void *ctx);
  /* AUTH credentials (decoded); ACCEPT gives 235, REJECT gives reply or 535 5.7.8. */
  enum smtp_hook_status (*auth)(void *ctx, const char *mechanism, const char *user, size_t user_len,
                                const char *pass, size_t pass_len, struct smtp_hook_reply *reply);
};

/* What the daemon must do next besides writing output. */
enum smtp_server_state {
  SMTP_SERVER_RUNNING = 0, /* keep reading */
  SMTP_SERVER_PENDING,     /* waiting for smtp_server_resume(); stop feeding */
  SMTP_SERVER_STARTTLS,    /* flush output, discard unread input, handshake, then
                              smtp_server_tls_started() */
  SMTP_SERVER_CLOSING,     /* flush output, then close the connection */
};

/* Which timeout of RFC 5321 4.5.3.2 applies now. */
enum smtp_server_phase {
  SMTP_PHASE_COMMAND = 0, /* waiting for a command: 5 minutes */
  SMTP_PHASE_DATA,        /* inside DATA or BDAT content: 3 minutes per block */
};

struct smtp_server; /* opaque */

/* smtp_server_new - allocate one session (the only allocation) and queue the greeting.
 * tls_active: the connection is already TLS (implicit TLS, RFC 8314). */
struct smtp_server *smtp_server_new(const struct smtp_server_config *cfg,
                                    const struct smtp_server_hooks *hooks, void *ctx,
                                    bool tls_active);
/* smtp_server_free - release a session; calls hooks->reset if a transaction is open. */
void smtp_server_free(struct smtp_server *s);
/* smtp_server_session_size - octets smtp_server_new() allocates per session (for memory
 * budgets: a daemon holding N idle connections needs about N times this). */
size_t smtp_server_session_size(void);

/* smtp_server_feed - give the engine client bytes. Returns how many it consumed; it
 * stops early (returning less than len) when the state is no longer RUNNING or the
 * output buffer is full; the caller keeps the rest and feeds it again later. In the
 * STARTTLS state the rest must be discarded (RFC 3207 5, CVE-2011-0411). */
size_t smtp_server_feed(struct smtp_server *s, const char *buf, size_t len);

/* smtp_server_output - the reply bytes waiting to be sent (pointer valid until the next
 * call into the engine). */
const char *smtp_server_output(const struct smtp_server *s, size_t *len);
/* smtp_server_output_done - n octets of output were sent. */
void smtp_server_output_done(struct smtp_server *s, size_t n);

/* smtp_server_state - what the daemon must do next. */
enum smtp_server_state smtp_server_state(const struct smtp_server *s);
/* smtp_server_phase - which timeout applies. */
enum smtp_server_phase smtp_server_phase(const struct smtp_server *s);
/* smtp_server_line_pending - part of a command line (or SASL response line) has
 * arrived without its CRLF: the daemon's per-line deadline runs. */
bool smtp_server_line_pending(const struct smtp_server *s);

/* smtp_server_resume - answer a PENDING hook; the engine queues the reply and returns
 * to RUNNING (or CLOSING). */
void smtp_server_resume(struct smtp_server *s, enum smtp_hook_status status,
                        const struct smtp_hook_reply *reply);

/* smtp_server_tls_started - the TLS handshake after STARTTLS succeeded: forget HELO/EHLO
 * and any transaction (RFC 3207 4.2) and stop offering STARTTLS. */
void smtp_server_tls_started(struct smtp_server *s);

/* smtp_server_timeout - the peer was idle too long: queue 421 4.4.2 and close. */
void smtp_server_timeout(struct smtp_server *s);
/* smtp_server_shutdown - the daemon is stopping: queue 421 4.3.2 and close. */
void smtp_server_shutdown(struct smtp_server *s);

/* Session facts for the daemon's trace header and logs. */
const char *smtp_server_helo(const struct smtp_server *s); /* "" before HELO/EHLO */
bool smtp_server_is_esmtp(const struct smtp_server *s);    /* EHLO (not HELO) */
bool smtp_server_tls_active(const struct smtp_server *s);
const char *smtp_server_auth_user(const struct smtp_server *s); /* NULL if not authenticated */

/* A state-change trace: the engine's internal state names, old and new ("COMMAND",
 * "DATA", "BDAT", "AUTH", "PENDING", "STARTTLS", "CLOSING", ...). */
typedef void (*smtp_server_trace_fn)(void *ctx, const char *old_state, const char *new_state);
/* smtp_server_set_trace - call fn on every internal state change (fn NULL: stop). */
void smtp_server_set_trace(struct smtp_server *s, smtp_server_trace_fn fn, void *ctx);

/* Counters for logs and metrics. */
struct smtp_server_stats {
  uint64_t commands, replies_2xx, replies_3xx, replies_4xx, replies_5xx;
  uint64_t messages, message_octets, auth_failures;
};
const struct smtp_server_stats *smtp_server_stats(const struct smtp_server *s);

#endif
