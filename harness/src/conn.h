/* conn.h - one client connection: TCP to HOST:PORT with timeouts, optional TLS (OpenSSL).
 *
 * The socket is non-blocking; every call waits with poll() for at most its timeout_ms
 * (a negative timeout_ms waits without limit). Writes never raise SIGPIPE: plain writes
 * use send(MSG_NOSIGNAL) and TLS goes through a BIO that does the same, so callers need
 * not ignore SIGPIPE. */
#ifndef SMTPCHECK_CONN_H
#define SMTPCHECK_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hostport.h"

struct conn;

/* TLS settings: sni (also the name verified; NULL: the host given to conn_open),
 * ca_file (NULL: the system's default CA paths), verify (false: any certificate). */
struct conn_tls_options {
  const char *sni;
  const char *ca_file;
  bool verify;
};

/* conn_open - connect (getaddrinfo, every address tried) within timeout_ms.
   NULL on failure with a message in err ("connect to 127.0.0.1:25: Connection refused"). */
struct conn *conn_open(const char *host, const char *port, int timeout_ms, char *err,
                       size_t errlen);

/* conn_start_tls - client TLS handshake on the open connection (TLS 1.2+), within timeout. */
int conn_start_tls(struct conn *c, const struct conn_tls_options *o, int timeout_ms, char *err,
                   size_t errlen);

/* conn_write_all - write everything; 0 ok, -1 error/closed, -2 timeout. */
int conn_write_all(struct conn *c, const void *buf, size_t len, int timeout_ms);

/* conn_read - read what is available: >0 octets, 0 EOF, -1 error, -2 timeout. */
ssize_t conn_read(struct conn *c, void *buf, size_t cap, int timeout_ms);

bool conn_is_tls(const struct conn *c);

/* conn_peer - "127.0.0.1:2525" for messages. */
const char *conn_peer(const struct conn *c);

void conn_close(struct conn *c);

/* conn_fd - the socket, for callers that poll several connections (do not read it). */
int conn_fd(const struct conn *c);

/* conn_tls_pending - octets already decrypted and buffered (readable without polling). */
size_t conn_tls_pending(const struct conn *c);

/* conn_tls_describe - "TLSv1.3 TLS_AES_256_GCM_SHA384" once TLS is up, else "". */
const char *conn_tls_describe(const struct conn *c, char *buf, size_t cap);

/* conn_last_error - the last error of a read/write/handshake in English ("" if none). */
const char *conn_last_error(const struct conn *c);

#endif
