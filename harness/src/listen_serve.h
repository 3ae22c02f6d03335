/* listen_serve.h - the one poll loop of `smtpcheck listen`: accept clients and serve up
 * to `parallel` sessions at once in this thread, each with its own timers
 * (listen_client.h); clients beyond that wait in the listening socket's backlog. */
#ifndef SMTPCHECK_LISTEN_SERVE_H
#define SMTPCHECK_LISTEN_SERVE_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "listen_net.h"
#include "listen_session.h"

/* What the loop serves and when it stops. Not owned. */
struct listen_serve_config {
  int lfd;                             /* listening socket (listen_socket) */
  SSL_CTX *tls;                        /* NULL: no STARTTLS */
  struct listen_net_limits lim;        /* per session */
  struct listen_session_config engine; /* scenario, hostname, tls_available (on_message
                                          and ctx are the loop's) */
  size_t parallel;                     /* sessions served at once, at least 1 */
  long sessions;                       /* stop after this many ended (0: never) */
  long wait_ms;                        /* stop after this long without a client while
                                          none is open (negative: never) */
};

/* What the caller does with sessions. ctx is passed back. */
struct listen_serve_hooks {
  /* A message of session `session` (1, 2, ...) was received, dot-unstuffed (--save). */
  void (*message)(void *ctx, size_t session, size_t message, const char *data, size_t len,
                  size_t dropped);
  /* Session `session` ended and is graded (listen_session_finish done); 0, or -1 to stop
   * the loop (out of memory). */
  int (*ended)(void *ctx, size_t session, const char *peer, const struct listen_session *s,
               long duration_ms);
  void *ctx;
};

/* listen_serve - serve until `sessions` sessions have ended (returns 0), until wait_ms
 * passed with no session open and no client (1), or an error (-1, a message in err:
 * poll, accept, memory, or a hook). Sessions still open on an error are dropped. */
int listen_serve(const struct listen_serve_config *cfg, const struct listen_serve_hooks *h,
                 char *err, size_t errlen);

#endif
