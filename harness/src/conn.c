/* conn.c - one client connection: non-blocking TCP with poll() timeouts, optional TLS.
 *
 * SIGPIPE: plain writes use send(MSG_NOSIGNAL); TLS records go through nosig_bio, a BIO
 * whose write also uses send(MSG_NOSIGNAL). A peer that closes early therefore gives -1
 * (EPIPE), never a signal, and callers need not touch the process's signal dispositions. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"

/* "[v6 address]:port" fits with room to spare. */
#define PEER_MAX 96

struct conn {
  int fd;
  SSL_CTX *ctx;
  SSL *ssl;
  BIO_METHOD *bio_method;
  char host[256];
  char peer[PEER_MAX];
  char error[512];
};

/* deadline_from - the absolute deadline for a timeout (-1: none). */
static long deadline_from(int timeout_ms) {
  return timeout_ms < 0 ? -1 : clock_now_ms() + timeout_ms;
}

/* wait_fd - poll fd for events until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long deadline) {
  for (;;) {
    int ms = -1;
    if (deadline >= 0) {
      long left = deadline - clock_now_ms();
      if (left <= 0)
        left = 0;
      ms = left > INT_MAX ? INT_MAX : (int)left;
    }
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, ms);
    if (r > 0)
      return 1; /* POLLERR/POLLHUP too: the next call reports what happened */
    if (r == 0) {
      if (deadline >= 0 && clock_now_ms() >= deadline)
        return 0;
      continue;
    }
    if (errno != EINTR)
      return -1;
  }
}

/* connect_one - connect one address before deadline: fd, or -1 with errno set. */
static int connect_one(const struct addrinfo *ai, long deadline) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0)
    return -1;
  int e = 0;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
    if (errno != EINPROGRESS && errno != EINTR) {
      e = errno;
      goto fail;
    }
    int w = wait_fd(fd, POLLOUT, deadline);
    if (w <= 0) {
      e = w == 0 ? ETIMEDOUT : errno;
      goto fail;
    }
    socklen_t sl = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
      e = errno;
    if (e != 0)
      goto fail;
  }
  int one = 1;
  /* Commands are small and pipelined groups are written at once: no Nagle delay. */
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
fail:
  close(fd);
  errno = e;
  return -1;
}

/* conn_open - try every address getaddrinfo gives, all within one deadline. */
struct conn *conn_open(const char *host, const char *port, int timeout_ms, char *err,
                       size_t errlen) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  struct conn *c = NULL;
  long deadline = deadline_from(timeout_ms);
  char where[PEER_MAX];
  if (err && errlen)
    err[0] = '\0';
  int g = getaddrinfo(host, port, &hints, &res);
  if (g != 0) {
    if (err)
      snprintf(err, errlen, "cannot resolve %s:%s: %s", host, port,
               g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
    return NULL;
  }
  c = calloc(1, sizeof *c);
  if (!c) {
    if (err)
      snprintf(err, errlen, "connect to %s:%s: out of memory", host, port);
    goto out;
  }
  c->fd = -1;
  snprintf(c->host, sizeof c->host, "%s", host);
  for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    hostport_format(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
    int fd = connect_one(ai, deadline);
    if (fd >= 0) {
      c->fd = fd;
      snprintf(c->peer, sizeof c->peer, "%s", where);
      break;
    }
    if (err) {
      if (errno == ETIMEDOUT && deadline >= 0 && clock_now_ms() >= deadline)
        snprintf(err, errlen, "connect to %s: timed out after %d ms", where, timeout_ms);
      else
        snprintf(err, errlen, "connect to %s: %s", where, strerror(errno));
    }
    if (deadline >= 0 && clock_now_ms() >= deadline)
      break;
  }
  if (c->fd < 0) {
    free(c);
    c = NULL;
  } else if (err && errlen) {
    err[0] = '\0';
  }
out:
  freeaddrinfo(res);
  return c;
}

/* nosig_write - BIO write through send(MSG_NOSIGNAL), so TLS never raises SIGPIPE. */
static int nosig_write(BIO *b, const char *buf, int len) {
  struct conn *c = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  ssize_t n = send(c->fd, buf, (size_t)len, MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    BIO_set_retry_write(b);
  return (int)n;
}

/* nosig_read - BIO read with recv; EAGAIN is a retry, 0 the peer's EOF. */
static int nosig_read(BIO *b, char *buf, int len) {
  struct conn *c = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  ssize_t n = recv(c->fd, buf, (size_t)len, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    BIO_set_retry_read(b);
  return (int)n;
}

/* nosig_ctrl - the few controls libssl asks of a transport BIO. */
static long nosig_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)b;
  (void)num;
  (void)ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1; /* send() does not buffer */
  default:
    return 0;
  }
}

/* nosig_method - the BIO_METHOD of nosig_bio (one per connection: no global state). */
static BIO_METHOD *nosig_method(void) {
  BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "smtpcheck-socket");
  if (!m)
    return NULL;
  if (!BIO_meth_set_write(m, nosig_write) || !BIO_meth_set_read(m, nosig_read) ||
      !BIO_meth_set_ctrl(m, nosig_ctrl)) {
    BIO_meth_free(m);
    return NULL;
  }
  return m;
}

/* ssl_reason - the most useful English reason for the last failed SSL call. The verify
 * result is only the reason when verification was asked for: OpenSSL records it with
 * SSL_VERIFY_NONE too, where it never fails a handshake. */
static void ssl_reason(struct conn *c, int ssl_err, char *out, size_t cap) {
  unsigned long e = ERR_peek_last_error();
  if (c->ssl && (SSL_get_verify_mode(c->ssl) & SSL_VERIFY_PEER) &&
      SSL_get_verify_result(c->ssl) != X509_V_OK) {
    snprintf(out, cap, "certificate verification failed: %s",
             X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
  } else if (e != 0) {
    char buf[200];
    ERR_error_string_n(e, buf, sizeof buf);
    snprintf(out, cap, "%s", buf);
  } else if (ssl_err == SSL_ERROR_SYSCALL && errno != 0) {
    snprintf(out, cap, "%s", strerror(errno));
  } else if (ssl_err == SSL_ERROR_ZERO_RETURN || ssl_err == SSL_ERROR_SYSCALL) {
    snprintf(out, cap, "connection closed by peer");
  } else {
    snprintf(out, cap, "TLS error %d", ssl_err);
  }
  ERR_clear_error();
}

/* is_ip_literal - SNI must not carry an address (RFC 6066 3). */
static int is_ip_literal(const char *name) {
  unsigned char a[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

/* tls_setup - build the SSL_CTX and SSL for this connection; 0 or -1 with err. */
static int tls_setup(struct conn *c, const struct conn_tls_options *o, char *err, size_t errlen) {
  const char *name = o && o->sni ? o->sni : c->host;
  bool verify = o && o->verify;
  c->ctx = SSL_CTX_new(TLS_client_method());
  if (!c->ctx)
    goto fail;
  if (!SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION))
    goto fail;
  SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
  /* A peer that closes without close_notify reads as EOF, as SMTP servers often do. */
  SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
  if (verify) {
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    int ok = o->ca_file ? SSL_CTX_load_verify_locations(c->ctx, o->ca_file, NULL)
                        : SSL_CTX_set_default_verify_paths(c->ctx);
    if (!ok) {
      if (err)
        snprintf(err, errlen, "TLS with %s: cannot load CA file %s", c->peer,
                 o->ca_file ? o->ca_file : "(system default)");
      ERR_clear_error();
      return -1;
    }
  } else {
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
  }
  c->ssl = SSL_new(c->ctx);
  if (!c->ssl)
    goto fail;
  if (name[0] && !is_ip_literal(name) && !SSL_set_tlsext_host_name(c->ssl, name))
    goto fail;
  if (verify) {
    /* RFC 6125: the name we asked for must be in the certificate. */
    int ok = is_ip_literal(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), name)
                                 : SSL_set1_host(c->ssl, name);
    if (!ok)
      goto fail;
  }
  c->bio_method = nosig_method();
  if (!c->bio_method)
    goto fail;
  BIO *bio = BIO_new(c->bio_method);
  if (!bio)
    goto fail;
  BIO_set_data(bio, c);
  BIO_set_init(bio, 1);
  SSL_set_bio(c->ssl, bio, bio);
  return 0;
fail:
  if (err) {
    char why[200];
    ssl_reason(c, SSL_ERROR_SSL, why, sizeof why);
    snprintf(err, errlen, "TLS with %s: setup failed: %s", c->peer, why);
  }
  return -1;
}

/* tls_teardown - drop the TLS state after a failed handshake. */
static void tls_teardown(struct conn *c) {
  SSL_free(c->ssl); /* frees the BIO */
  c->ssl = NULL;
  SSL_CTX_free(c->ctx);
  c->ctx = NULL;
  BIO_meth_free(c->bio_method);
  c->bio_method = NULL;
}

/* conn_start_tls - RFC 3207 4 / RFC 8314: the handshake, TLS 1.2 at least.
 * Returns 0, -1 on failure, -2 on timeout; after a failure the connection is plain
 * again but its byte stream is unusable: close it. */
int conn_start_tls(struct conn *c, const struct conn_tls_options *o, int timeout_ms, char *err,
                   size_t errlen) {
  long deadline = deadline_from(timeout_ms);
  int rc = -1;
  if (err && errlen)
    err[0] = '\0';
  if (c->ssl) {
    if (err)
      snprintf(err, errlen, "TLS with %s: already started", c->peer);
    return -1;
  }
  ERR_clear_error();
  if (tls_setup(c, o, err, errlen) < 0)
    goto out;
  for (;;) {
    errno = 0;
    int r = SSL_connect(c->ssl);
    if (r == 1) {
      rc = 0;
      goto out;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      int w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
      if (w == 0) {
        if (err)
          snprintf(err, errlen, "TLS handshake with %s: timed out after %d ms", c->peer,
                   timeout_ms);
        rc = -2;
        goto out;
      }
      if (w > 0)
        continue;
    }
    if (err) {
      char why[220];
      ssl_reason(c, e, why, sizeof why);
      snprintf(err, errlen, "TLS handshake with %s: %s", c->peer, why);
    }
    goto out;
  }
out:
  if (rc != 0) {
    if (err)
      snprintf(c->error, sizeof c->error, "%s", err);
    tls_teardown(c);
  }
  return rc;
}

/* io_wait - the one "timed out" path of reads and writes: wait for events on the socket
 * until deadline; 1 ready, -2 timed out ("read from PEER: timed out" in c->error), -1 the
 * wait failed (events 0: the SSL error was no WANT_READ/WANT_WRITE). */
static int io_wait(struct conn *c, short events, long deadline, const char *what) {
  int w = events ? wait_fd(c->fd, events, deadline) : -1;
  if (w == 0) {
    snprintf(c->error, sizeof c->error, "%s %s: timed out", what, c->peer);
    return -2;
  }
  return w;
}

/* ssl_events - the socket events an SSL_ERROR_WANT_* asks for (0: none, a real error). */
static short ssl_events(int e) {
  return e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
}

/* conn_write_all - loop until every octet is written or the deadline passes. */
int conn_write_all(struct conn *c, const void *buf, size_t len, int timeout_ms) {
  const char *p = buf;
  long deadline = deadline_from(timeout_ms);
  while (len > 0) {
    if (c->ssl) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_write(c->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
      if (n > 0) {
        p += n;
        len -= (size_t)n;
        continue;
      }
      int e = SSL_get_error(c->ssl, n);
      int w = io_wait(c, ssl_events(e), deadline, "write to");
      if (w > 0)
        continue;
      if (w == -1)
        ssl_reason(c, e, c->error, sizeof c->error);
      return w;
    }
    ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int w = io_wait(c, POLLOUT, deadline, "write to");
      if (w > 0)
        continue;
      if (w == -2)
        return -2;
    }
    snprintf(c->error, sizeof c->error, "write to %s: %s", c->peer,
             n < 0 ? strerror(errno) : "nothing written");
    return -1;
  }
  return 0;
}

/* conn_read - one read of whatever is available, waiting until the deadline for some. */
ssize_t conn_read(struct conn *c, void *buf, size_t cap, int timeout_ms) {
  long deadline = deadline_from(timeout_ms);
  if (cap == 0) {
    snprintf(c->error, sizeof c->error, "read from %s: no buffer space", c->peer);
    return -1;
  }
  for (;;) {
    if (c->ssl) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_read(c->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
      if (n > 0)
        return n;
      int e = SSL_get_error(c->ssl, n);
      if (e == SSL_ERROR_ZERO_RETURN ||
          (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)) {
        return 0;
      }
      int w = io_wait(c, ssl_events(e), deadline, "read from");
      if (w > 0)
        continue;
      if (w == -1)
        ssl_reason(c, e, c->error, sizeof c->error);
      return w;
    }
    ssize_t n = recv(c->fd, buf, cap, 0);
    if (n >= 0)
      return n;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int w = io_wait(c, POLLIN, deadline, "read from");
      if (w > 0)
        continue;
      if (w == -2)
        return -2;
    }
    snprintf(c->error, sizeof c->error, "read from %s: %s", c->peer, strerror(errno));
    return -1;
  }
}

/* conn_is_tls - true once conn_start_tls succeeded. */
bool conn_is_tls(const struct conn *c) {
  return c && c->ssl != NULL;
}

/* conn_peer - the numeric address connected to. */
const char *conn_peer(const struct conn *c) {
  return c ? c->peer : "";
}

/* conn_fd - the socket descriptor. */
int conn_fd(const struct conn *c) {
  return c ? c->fd : -1;
}

/* conn_tls_pending - decrypted octets waiting in OpenSSL's buffer. */
size_t conn_tls_pending(const struct conn *c) {
  if (!c || !c->ssl)
    return 0;
  int n = SSL_pending(c->ssl);
  return n > 0 ? (size_t)n : 0;
}

/* conn_tls_describe - protocol version and cipher, for transcripts. */
const char *conn_tls_describe(const struct conn *c, char *buf, size_t cap) {
  if (cap == 0)
    return buf;
  buf[0] = '\0';
  if (c && c->ssl)
    snprintf(buf, cap, "%s %s", SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
  return buf;
}

/* conn_last_error - the message of the last failed read, write or handshake. */
const char *conn_last_error(const struct conn *c) {
  return c ? c->error : "";
}

/* conn_close - one polite close_notify attempt (never waits), then close. */
void conn_close(struct conn *c) {
  if (!c)
    return;
  if (c->ssl) {
    ERR_clear_error();
    (void)SSL_shutdown(c->ssl);
    ERR_clear_error();
    tls_teardown(c);
  }
  if (c->fd >= 0)
    close(c->fd);
  free(c);
}
