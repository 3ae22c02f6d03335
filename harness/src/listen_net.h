/* listen_net.h - the sockets of `smtpcheck listen`: a listening socket on loopback or
 * any address, one client served at a time in a poll loop, STARTTLS with OpenSSL. */
#ifndef SMTPCHECK_LISTEN_NET_H
#define SMTPCHECK_LISTEN_NET_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "listen_session.h"

/* Bounds of one session. */
struct listen_net_limits {
  long session_ms;   /* the whole session */
  long idle_ms;      /* silence from the client while we wait for it */
  size_t max_octets; /* octets read from one client */
};

/* listen_socket - bind and listen on host:port (port "0": an ephemeral port). Returns
 * the socket, or -1 with a message in err. *bound gets "127.0.0.1:34567". */
int listen_socket(const char *host, const char *port, char *bound, size_t boundcap, char *err,
                  size_t errlen);

/* listen_accept - wait up to timeout_ms (negative: without limit) for a client; the
 * accepted socket is non-blocking. Returns it, -2 on timeout, -1 on error. peer gets
 * "127.0.0.1:50000". */
int listen_accept(int lfd, long timeout_ms, char *peer, size_t peercap);

/* listen_tls_context - a server SSL_CTX (TLS 1.2 or later) with the certificate chain and
 * key; NULL with a message in err. */
SSL_CTX *listen_tls_context(const char *cert, const char *key, char *err, size_t errlen);

/* listen_serve - run one session on fd until it ends (the client closes, QUIT, a 421, a
 * limit). Closes fd. tls may be NULL (then STARTTLS is never offered). */
void listen_serve(int fd, SSL_CTX *tls, const struct listen_net_limits *lim,
                  struct listen_session *s);

#endif
