/* listen_net.h - the sockets of `smtpcheck listen`: a listening socket on loopback or any
 * address, and one client connection ("link") read and written without ever blocking,
 * with STARTTLS by OpenSSL. Waiting is the caller's (listen_serve.c polls every link). */
#ifndef SMTPCHECK_LISTEN_NET_H
#define SMTPCHECK_LISTEN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/* Bounds of one session. */
struct listen_net_limits {
  long session_ms;   /* the whole session */
  long idle_ms;      /* silence from the client while we wait for it */
  size_t max_octets; /* octets read from one client */
};

/* One client connection: the non-blocking socket, and the TLS state once STARTTLS began. */
struct listen_link {
  int fd;
  SSL *ssl;
};

/* listen_socket - bind and listen on host:port (port "0": an ephemeral port). Returns
 * the socket (non-blocking), or -1 with a message in err. *bound gets "127.0.0.1:34567". */
int listen_socket(const char *host, const char *port, char *bound, size_t boundcap, char *err,
                  size_t errlen);

/* listen_accept - accept one waiting client without waiting; the socket is non-blocking.
 * Returns it, -2 when none is waiting, -1 on error (errno set). peer gets
 * "127.0.0.1:50000". */
int listen_accept(int lfd, char *peer, size_t peercap);

/* listen_tls_context - a server SSL_CTX (TLS 1.2 or later) with the certificate chain and
 * key; NULL with a message in err. */
SSL_CTX *listen_tls_context(const char *cert, const char *key, char *err, size_t errlen);

/* listen_link_read - one read: >0 octets, 0 end of stream, -1 error (*why says what),
 * -2 nothing to read now. */
ssize_t listen_link_read(struct listen_link *l, char *buf, size_t cap, const char **why);

/* listen_link_write - write what the socket takes now: the octets written (0: none, then
 * *events is what to poll for before trying again), or -1 when the connection is gone. */
ssize_t listen_link_write(struct listen_link *l, const char *p, size_t n, short *events);

/* listen_link_handshake - one step of the server TLS handshake (RFC 3207 4): 1 done
 * (detail: "TLSv1.3 TLS_AES_256_GCM_SHA384"), 0 not yet (poll for *events), -1 failed
 * (detail says why). */
int listen_link_handshake(struct listen_link *l, SSL_CTX *tls, short *events, char *detail,
                          size_t cap);

/* listen_link_pending - TLS has decrypted octets buffered (readable without polling). */
bool listen_link_pending(const struct listen_link *l);

/* listen_link_close - one close_notify attempt (never waits), then close the socket. */
void listen_link_close(struct listen_link *l);

#endif
