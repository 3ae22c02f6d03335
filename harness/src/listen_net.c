/* listen_net.c - the I/O of `smtpcheck listen`: accept, then one poll loop per session
 * that feeds the engine, writes each reply chunk when its delay is over, and does the
 * STARTTLS handshake. Every wait is bounded by the session limits. */
#include "listen_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "hostport.h"

/* now_ms - a monotonic clock in milliseconds. */
static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
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

/* listen_accept - poll the listening socket, then accept4 non-blocking. */
int listen_accept(int lfd, long timeout_ms, char *peer, size_t peercap) {
  struct pollfd pfd = {.fd = lfd, .events = POLLIN};
  int n = poll(&pfd, 1, timeout_ms < 0 ? -1 : (int)timeout_ms);
  if (n == 0)
    return -2;
  if (n < 0)
    return errno == EINTR ? -2 : -1;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? -2 : -1;
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

/* One connection: the socket, and the TLS state once STARTTLS is done. */
struct link {
  int fd;
  SSL *ssl;
};

/* wait_fd - poll for events until deadline; 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, long deadline) {
  long left = deadline - now_ms();
  if (left <= 0)
    return 0;
  struct pollfd pfd = {.fd = fd, .events = events};
  int n = poll(&pfd, 1, (int)left);
  if (n < 0 && errno == EINTR)
    return 0;
  return n < 0 ? -1 : n;
}

/* link_write - write everything before deadline; 0, or -1. */
static int link_write(struct link *l, const char *p, size_t n, long deadline) {
  while (n > 0) {
    ssize_t w;
    short ev = POLLOUT;
    if (l->ssl) {
      ERR_clear_error();
      int r = SSL_write(l->ssl, p, (int)n);
      if (r > 0) {
        w = r;
      } else {
        int e = SSL_get_error(l->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
          return -1;
        ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        w = 0;
      }
    } else {
      w = send(l->fd, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EINTR)
        return -1;
      if (w < 0)
        w = 0;
    }
    p += w;
    n -= (size_t)w;
    if (n > 0 && w == 0 && wait_fd(l->fd, ev, deadline) <= 0)
      return -1;
  }
  return 0;
}

/* quickack - acknowledge at once: a client's Nagle algorithm holds back its pipelined
 * commands until the previous segment is acknowledged, and a delayed ACK would ride on
 * our reply, making a pipelining client look as if it waited for that reply. Linux
 * clears TCP_QUICKACK after a while, so it is set again after every read. */
static void quickack(int fd) {
#ifdef TCP_QUICKACK
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
  (void)fd;
#endif
}

/* link_read - >0 octets, 0 end of stream, -1 error, -2 nothing now. */
static ssize_t link_read(struct link *l, char *buf, size_t cap, const char **why) {
  quickack(l->fd);
  if (l->ssl) {
    ERR_clear_error();
    int r = SSL_read(l->ssl, buf, (int)cap);
    if (r > 0)
      return r;
    int e = SSL_get_error(l->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return -2;
    if (e == SSL_ERROR_ZERO_RETURN)
      return 0;
    *why = "the TLS connection broke";
    return e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 ? 0 : -1;
  }
  ssize_t r = recv(l->fd, buf, cap, 0);
  if (r < 0 && (errno == EAGAIN || errno == EINTR))
    return -2;
  if (r < 0)
    *why = strerror(errno);
  return r;
}

/* handshake - RFC 3207 4: the server side of TLS, bounded by deadline. */
static bool handshake(struct link *l, SSL_CTX *tls, long deadline, char *detail, size_t cap) {
  l->ssl = SSL_new(tls);
  if (!l->ssl || SSL_set_fd(l->ssl, l->fd) != 1) {
    snprintf(detail, cap, "cannot create the TLS session");
    return false;
  }
  for (;;) {
    ERR_clear_error();
    int r = SSL_accept(l->ssl);
    if (r == 1)
      break;
    int e = SSL_get_error(l->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      char buf[200];
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      snprintf(detail, cap, "%s", ERR_peek_last_error() || buf[0] ? buf : "connection closed");
      return false;
    }
    if (wait_fd(l->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) <= 0) {
      snprintf(detail, cap, "handshake timed out");
      return false;
    }
  }
  snprintf(detail, cap, "%s %s", SSL_get_version(l->ssl), SSL_get_cipher_name(l->ssl));
  return true;
}

/* listen_serve - the poll loop of one session. */
void listen_serve(int fd, SSL_CTX *tls, const struct listen_net_limits *lim,
                  struct listen_session *s) {
  struct link l = {.fd = fd};
  quickack(fd);
  long start = now_ms(), end = start + lim->session_ms, idle_since = start;
  bool armed = false;
  long due = 0;
  size_t total = 0;
  char buf[16384];
  enum listen_want want = LW_READ;
  while (want != LW_CLOSE) {
    long now = now_ms();
    if (want == LW_TLS) {
      char detail[256];
      bool ok =
          tls && handshake(&l, tls, now + (lim->idle_ms < end - now ? lim->idle_ms : end - now),
                           detail, sizeof detail);
      want = listen_session_tls_done(s, ok, tls ? detail : "no TLS context");
      armed = false;
      idle_since = now_ms();
      continue;
    }
    const char *p;
    size_t n;
    long delay;
    bool pending = listen_session_chunk(s, &p, &n, &delay);
    if (pending && !armed) {
      armed = true;
      due = now + delay;
    }
    if (pending && now >= due) {
      if (link_write(&l, p, n, end) < 0) {
        listen_session_eof(s, "writing to the client failed: the connection is gone");
        break;
      }
      armed = false;
      want = listen_session_chunk_written(s);
      idle_since = now_ms();
      continue;
    }
    if (now >= end) {
      listen_session_note(s, "session time limit (%ld s) reached", lim->session_ms / 1000);
      listen_session_eof(s, "the session took too long: closing");
      break;
    }
    if (!pending && now - idle_since >= lim->idle_ms) {
      listen_session_note(s, "the client was silent for %ld s", lim->idle_ms / 1000);
      listen_session_eof(s, "idle timeout: closing");
      break;
    }
    long wake = pending ? due : idle_since + lim->idle_ms;
    wake = wake < end ? wake : end;
    if (!(l.ssl && SSL_has_pending(l.ssl)) && wait_fd(fd, POLLIN, wake) <= 0)
      continue;
    const char *why = NULL;
    ssize_t r = link_read(&l, buf, sizeof buf, &why);
    if (r == -2)
      continue;
    if (r <= 0) {
      listen_session_eof(s, r == 0 ? NULL : why);
      break;
    }
    total += (size_t)r;
    idle_since = now_ms();
    if (total > lim->max_octets) {
      listen_session_note(s, "more than %zu octets from the client: closing", lim->max_octets);
      listen_session_eof(s, "octet limit reached");
      break;
    }
    want = listen_session_feed(s, buf, (size_t)r);
  }
  if (l.ssl) {
    SSL_shutdown(l.ssl);
    SSL_free(l.ssl);
  }
  close(fd);
}
