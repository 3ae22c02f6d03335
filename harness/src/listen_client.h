/* listen_client.h - one client of `smtpcheck listen` in progress: its link, its session
 * engine, and the timers that pace the engine's replies (reply delay, split delay) and
 * bound the session (session and idle timeouts). Never blocks: the caller polls for
 * listen_client_events until listen_client_wake and then calls listen_client_step. */
#ifndef SMTPCHECK_LISTEN_CLIENT_H
#define SMTPCHECK_LISTEN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "listen_net.h"
#include "listen_session.h"

/* One served client. Fields after `private` are listen_client.c's. */
struct listen_client {
  struct listen_session s;
  size_t number; /* 1, 2, ... in order of acceptance (the N of sN) */
  char peer[80];
  long start_ms; /* when it was accepted */

  /* private */
  struct listen_link link;
  SSL_CTX *tls; /* not owned; NULL: STARTTLS cannot be done */
  const struct listen_net_limits *lim;
  enum listen_want want;
  bool handshaking; /* a TLS handshake is under way */
  bool armed;       /* the pending chunk's delay is counting: it is due at due_ms */
  bool blocked;     /* the socket took part of a due chunk: wait for io_events */
  bool ended;
  short io_events; /* what a blocked write or the handshake waits for */
  long end_ms, idle_since_ms, due_ms, handshake_end_ms;
  size_t sent;  /* octets of the pending chunk written */
  size_t total; /* octets read */
};

/* listen_client_start - a new session engine on cfg (its greeting pending) for the
 * accepted socket fd; the session clock starts now. Returns 0, or -1 (fd is closed). */
int listen_client_start(struct listen_client *c, int fd, SSL_CTX *tls,
                        const struct listen_net_limits *lim,
                        const struct listen_session_config *cfg);

/* listen_client_fd - the socket, to poll. */
int listen_client_fd(const struct listen_client *c);

/* listen_client_events - what to poll the socket for now. */
short listen_client_events(const struct listen_client *c);

/* listen_client_wake - the clock time (clock_now_ms) by which listen_client_step must be
 * called even if the socket stays quiet. */
long listen_client_wake(const struct listen_client *c);

/* listen_client_step - do what is due: the handshake, writing a reply whose delay is
 * over, a read when revents (from poll) says the socket is readable, the timeouts. buf
 * is scratch space for reads. Returns true once the session has ended (then grade c->s
 * and call listen_client_close). */
bool listen_client_step(struct listen_client *c, short revents, char *buf, size_t cap);

/* listen_client_close - close the link and free the session engine. */
void listen_client_close(struct listen_client *c);

#endif
