/* listen_net.c - the sockets of `smtpcheck listen`: listen, accept, and read, write and
 * handshake on one client link without blocking (the caller polls, listen_serve.c). */
#include "listen_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "hostport.h"

/* Clients beyond --parallel wait here, in the kernel's queue, until a session ends. */
#define LISTEN_BACKLOG 64

/* listen_socket - getaddrinfo(AI_PASSIVE), SO_REUSEADDR, the first address that binds. */
int listen_socket(const char *host, const char *port, char *bound, size_t boundcap, char *err,
                  size_t errlen) {
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    snprintf(err, errlen, "cannot listen on %s:%s: %s", host, port, gai_strerror(rc));
    return -1;
  }
  int fd = -1, saved = 0;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    /* Non-blocking: a client that resets between poll and accept must not stall the loop. */
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
      saved = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) {
    snprintf(err, errlen, "cannot listen on %s:%s: %s", host, port, strerror(saved));
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
    hostport_format((struct sockaddr *)&ss, sl, bound, boundcap);
  return fd;
}

/* listen_accept - accept4 non-blocking; a client that went away before it was accepted
 * is as good as none. */
int listen_accept(int lfd, char *peer, size_t peercap) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED ? -2
                                                                                              : -1;
  hostport_format((struct sockaddr *)&ss, sl, peer, peercap);
  return fd;
}

/* listen_tls_context - TLS 1.2+ server context from PEM files. */
SSL_CTX *listen_tls_context(const char *cert, const char *key, char *err, size_t errlen) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    snprintf(err, errlen, "cannot create a TLS context");
    return NULL;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  /* Writes are retried after a poll, possibly in pieces. */
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    char e[256];
    ERR_error_string_n(ERR_get_error(), e, sizeof e);
    snprintf(err, errlen, "cannot load --tls-cert %s / --tls-key %s: %s", cert, key, e);
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

/* ssl_events - the socket events an SSL_ERROR_WANT_* waits for; 0 for any other error. */
static short ssl_events(int e) {
  return e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
}

/* listen_link_write - one send or SSL_write. */
ssize_t listen_link_write(struct listen_link *l, const char *p, size_t n, short *events) {
  *events = POLLOUT;
  if (l->ssl) {
    ERR_clear_error();
    int r = SSL_write(l->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
    if (r > 0)
      return r;
    *events = ssl_events(SSL_get_error(l->ssl, r));
    return *events ? 0 : -1;
  }
  ssize_t w = send(l->fd, p, n, MSG_NOSIGNAL);
  if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return 0;
  return w;
}

/* quickack - acknowledge at once: a client's Nagle algorithm holds back its pipelined
 * commands until the previous segment is acknowledged, and a delayed ACK would ride on
 * our reply, making a pipelining client look as if it waited for that reply. Linux
 * clears TCP_QUICKACK after a while, so it is set again before every read. */
static void quickack(int fd) {
#ifdef TCP_QUICKACK
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
  (void)fd;
#endif
}

/* listen_link_read - one recv or SSL_read. */
ssize_t listen_link_read(struct listen_link *l, char *buf, size_t cap, const char **why) {
  quickack(l->fd);
  if (l->ssl) {
    ERR_clear_error();
    int r = SSL_read(l->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    if (r > 0)
      return r;
    int e = SSL_get_error(l->ssl, r);
    if (ssl_events(e))
      return -2;
    if (e == SSL_ERROR_ZERO_RETURN)
      return 0;
    *why = "the TLS connection broke";
    return e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 ? 0 : -1;
  }
  ssize_t r = recv(l->fd, buf, cap, 0);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return -2;
  if (r < 0)
    *why = strerror(errno);
  return r;
}

/* listen_link_handshake - SSL_accept once; the SSL object is made on the first call. */
int listen_link_handshake(struct listen_link *l, SSL_CTX *tls, short *events, char *detail,
                          size_t cap) {
  if (!l->ssl) {
    l->ssl = SSL_new(tls);
    if (!l->ssl || SSL_set_fd(l->ssl, l->fd) != 1) {
      snprintf(detail, cap, "cannot create the TLS session");
      return -1;
    }
  }
  ERR_clear_error();
  int r = SSL_accept(l->ssl);
  if (r == 1) {
    snprintf(detail, cap, "%s %s", SSL_get_version(l->ssl), SSL_get_cipher_name(l->ssl));
    return 1;
  }
  *events = ssl_events(SSL_get_error(l->ssl, r));
  if (*events)
    return 0;
  char buf[200];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  snprintf(detail, cap, "%s", ERR_peek_last_error() || buf[0] ? buf : "connection closed");
  return -1;
}

/* listen_link_pending - SSL_has_pending: records read but not yet handed out. */
bool listen_link_pending(const struct listen_link *l) {
  return l->ssl && SSL_has_pending(l->ssl);
}

/* listen_link_close - SSL_shutdown once (non-blocking), free, close. */
void listen_link_close(struct listen_link *l) {
  if (l->ssl) {
    ERR_clear_error();
    SSL_shutdown(l->ssl);
    ERR_clear_error();
    SSL_free(l->ssl);
    l->ssl = NULL;
  }
  if (l->fd >= 0)
    close(l->fd);
  l->fd = -1;
}
