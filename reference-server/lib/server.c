/* server.c - the server session: creation, the feed loop, output, and what the daemon asks.
 *
 * smtp_server_feed() reads as many whole steps (a command line, a content block, a
 * chunk) as the input holds, so a pipelined batch (RFC 2920) is answered in order from
 * one call. It stops, returning less than it was given, when the session leaves RUNNING
 * or when the output buffer lacks room for another step's replies (backpressure: the
 * caller sends output, then feeds the rest again). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_private.h"

/* server_config_defaults - limits with their documented defaults and floors. */
static void server_config_defaults(struct smtp_server *s, const struct smtp_server_config *cfg) {
  s->hostname = cfg->hostname != NULL && cfg->hostname[0] != '\0' ? cfg->hostname : "localhost";
  /* RFC 5321 4.5.3.1.8: at least 100 recipients per transaction. */
  s->max_recipients = cfg->max_recipients < SMTP_SERVER_MIN_RECIPIENTS ? SMTP_SERVER_MIN_RECIPIENTS
                                                                       : cfg->max_recipients;
  s->max_errors = cfg->max_errors == 0 ? 20 : cfg->max_errors;
  s->max_auth_fail = cfg->max_auth_failures == 0 ? 3 : cfg->max_auth_failures;
}

/* smtp_server_session_size - the size of the block smtp_server_new() allocates. */
size_t smtp_server_session_size(void) {
  return sizeof(struct smtp_server);
}

/* smtp_server_new - the session's one allocation, and the 220 greeting (RFC 5321 3.1).
 * Only the fields before the buffers are zeroed: an idle session writes nothing but its
 * greeting into out[], and pages of the block it never writes need no memory. */
struct smtp_server *smtp_server_new(const struct smtp_server_config *cfg,
                                    const struct smtp_server_hooks *hooks, void *ctx,
                                    bool tls_active) {
  static const struct smtp_server_hooks no_hooks;
  char text[SERVER_TEXT_MAX];
  struct smtp_server *s = NULL;

  if (cfg == NULL)
    goto out;
  s = malloc(sizeof *s);
  if (s == NULL)
    goto out;
  memset(s, 0, offsetof(struct smtp_server, helo));
  s->helo[0] = '\0';
  s->auth_user[0] = '\0';
  s->cfg = cfg;
  s->hooks = hooks != NULL ? hooks : &no_hooks;
  s->ctx = ctx;
  s->tls = tls_active;
  s->mode = SERVER_MODE_COMMAND;
  server_config_defaults(s, cfg);
  /* RFC 2034 3: the greeting carries no enhanced code. */
  snprintf(text, sizeof text, "%.255s %s", s->hostname,
           cfg->greeting != NULL ? cfg->greeting : "ESMTP refsmtpd");
  server_reply(s, 220, NULL, text);
out:
  return s;
}

/* smtp_server_free - release the session; an open transaction gets its reset hook. */
void smtp_server_free(struct smtp_server *s) {
  if (s == NULL)
    return;
  server_txn_reset(s);
  /* Credentials may be in the work area (a session closed inside AUTH). */
  server_sasl_wipe(s);
  free(s);
}

/* server_reading - the session reads client bytes in this mode. */
static bool server_reading(const struct smtp_server *s) {
  switch (s->mode) {
  case SERVER_MODE_PENDING:
  case SERVER_MODE_STARTTLS:
  case SERVER_MODE_CLOSING:
    return false;
  default:
    return true;
  }
}

/* server_step - one bounded step of input in the current mode; returns octets consumed. */
static size_t server_step(struct smtp_server *s, const char *buf, size_t len) {
  switch (s->mode) {
  case SERVER_MODE_COMMAND:
    return server_input_line(s, buf, len);
  case SERVER_MODE_AUTH:
    return server_sasl_input(s, buf, len);
  case SERVER_MODE_SKIP:
    return server_input_skip(s, buf, len);
  case SERVER_MODE_DATA:
    return server_data_input(s, buf, len);
  case SERVER_MODE_BDAT:
  case SERVER_MODE_BDAT_DISCARD:
    return server_bdat_input(s, buf, len);
  default:
    return 0;
  }
}

/* smtp_server_feed - consume client bytes step by step while the session reads and the
 * output has room for a step's replies (and a 421 after them). */
size_t smtp_server_feed(struct smtp_server *s, const char *buf, size_t len) {
  size_t used = 0;
  while (used < len && server_reading(s) && server_output_free(s) >= SERVER_STEP_ROOM) {
    size_t n = server_step(s, buf + used, len - used);
    if (n == 0)
      break;
    used += n;
  }
  return used;
}

/* smtp_server_output - the unsent reply bytes. */
const char *smtp_server_output(const struct smtp_server *s, size_t *len) {
  *len = s->out_len - s->out_head;
  return s->out + s->out_head;
}

/* smtp_server_output_done - n octets were sent; forget them. */
void smtp_server_output_done(struct smtp_server *s, size_t n) {
  size_t waiting = s->out_len - s->out_head;
  s->out_head += n < waiting ? n : waiting;
  if (s->out_head == s->out_len) {
    s->out_head = 0;
    s->out_len = 0;
  }
}

/* smtp_server_state - the daemon's view of the mode. */
enum smtp_server_state smtp_server_state(const struct smtp_server *s) {
  switch (s->mode) {
  case SERVER_MODE_PENDING:
    return SMTP_SERVER_PENDING;
  case SERVER_MODE_STARTTLS:
    return SMTP_SERVER_STARTTLS;
  case SERVER_MODE_CLOSING:
    return SMTP_SERVER_CLOSING;
  default:
    return SMTP_SERVER_RUNNING;
  }
}

/* smtp_server_phase - RFC 5321 4.5.3.2: content blocks have their own timeout. */
enum smtp_server_phase smtp_server_phase(const struct smtp_server *s) {
  switch (s->mode) {
  case SERVER_MODE_DATA:
  case SERVER_MODE_BDAT:
  case SERVER_MODE_BDAT_DISCARD:
    return SMTP_PHASE_DATA;
  default:
    return SMTP_PHASE_COMMAND;
  }
}

/* smtp_server_resume - the PENDING hook's answer; PENDING again changes nothing. */
void smtp_server_resume(struct smtp_server *s, enum smtp_hook_status status,
                        const struct smtp_hook_reply *reply) {
  if (s->mode != SERVER_MODE_PENDING || status == SMTP_HOOK_PENDING)
    return;
  enum server_pending what = s->pending;
  s->pending = SERVER_PENDING_NONE;
  server_set_mode(s, SERVER_MODE_COMMAND);
  switch (what) {
  case SERVER_PENDING_MAIL:
    server_resume_mail(s, status, reply);
    break;
  case SERVER_PENDING_RCPT:
    server_resume_rcpt(s, status, reply);
    break;
  case SERVER_PENDING_DATA_END:
    server_resume_data_end(s, status, reply);
    break;
  case SERVER_PENDING_AUTH:
    server_resume_auth(s, status, reply);
    break;
  default:
    break;
  }
}

/* smtp_server_tls_started - RFC 3207 4.2: after the handshake the server discards what
 * it knew from the client and no longer offers STARTTLS. */
void smtp_server_tls_started(struct smtp_server *s) {
  s->tls = true;
  server_session_reset(s);
  server_set_mode(s, SERVER_MODE_COMMAND);
}

/* smtp_server_timeout - RFC 5321 4.5.3.2: an idle client gets 421 4.4.2 and is dropped. */
void smtp_server_timeout(struct smtp_server *s) {
  server_close(s, "4.4.2", "Error: timeout exceeded");
}

/* smtp_server_shutdown - RFC 5321 3.8: the server is going away: 421 4.3.2. */
void smtp_server_shutdown(struct smtp_server *s) {
  server_close(s, "4.3.2", "Service shutting down, closing transmission channel");
}

/* smtp_server_helo - the client's HELO/EHLO argument, "" before one. */
const char *smtp_server_helo(const struct smtp_server *s) {
  return s->helo;
}

/* smtp_server_is_esmtp - the session was opened with EHLO. */
bool smtp_server_is_esmtp(const struct smtp_server *s) {
  return s->greeted == SERVER_GREETED_EHLO;
}

/* smtp_server_tls_active - the connection is under TLS. */
bool smtp_server_tls_active(const struct smtp_server *s) {
  return s->tls;
}

/* smtp_server_auth_user - the authenticated identity, NULL before AUTH succeeded. */
const char *smtp_server_auth_user(const struct smtp_server *s) {
  return s->authenticated ? s->auth_user : NULL;
}

/* smtp_server_stats - counters for logs and metrics. */
const struct smtp_server_stats *smtp_server_stats(const struct smtp_server *s) {
  return &s->stats;
}

/* smtp_server_set_trace - report every mode change to fn (NULL: stop). */
void smtp_server_set_trace(struct smtp_server *s, smtp_server_trace_fn fn, void *ctx) {
  s->trace = fn;
  s->trace_ctx = ctx;
}
