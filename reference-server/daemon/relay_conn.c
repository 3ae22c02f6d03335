/* relay_conn.c - one outbound SMTP connection: non-blocking connect, bytes between the
 * socket (or TLS memory BIOs) and the sans-I/O client engine, from the daemon's epoll. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay.h"
#include "smtp/reply.h"

/* Steps of relay_pump before it yields to other connections. */
#define RELAY_PUMP_STEPS 256

/* set_events - the epoll interest the connection needs now. */
static void set_events(struct relay_conn *c, uint32_t events) {
  struct epoll_event ev;
  if (c->dead || c->events == events)
    return;
  memset(&ev, 0, sizeof(ev));
  ev.events = events;
  ev.data.ptr = c;
  if (epoll_ctl(c->d->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
    c->events = events;
}

/* touch - progress: push the idle deadline (RFC 5321 4.5.3.2: minutes per step). */
static void touch(struct relay_conn *c) {
  c->deadline_ms = daemon_now_ms() + (uint64_t)c->d->opt->timeout_command * 1000;
}

/* send_all - write what the socket takes; -1 on error, else octets sent. */
static ssize_t send_all(struct relay_conn *c, const char *p, size_t len) {
  size_t sent = 0;
  while (sent < len) {
    ssize_t n = send(c->fd, p + sent, len - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      return -1;
    }
    sent += (size_t)n;
  }
  return (ssize_t)sent;
}

/* flush_tls - queued ciphertext to the socket; 1 if all went, 0 if blocked, -1 error. */
static int flush_tls(struct relay_conn *c) {
  const char *p;
  size_t len;
  while ((len = tls_conn_outbound(c->tls, &p)) > 0) {
    ssize_t n = send_all(c, p, len);
    if (n < 0)
      return -1;
    tls_conn_outbound_done(c->tls, (size_t)n);
    if ((size_t)n < len)
      return 0;
  }
  return 1;
}

/* refused - the channel is up but was refused by refuse_peer: only the QUIT reply and
 * the close are awaited (what arrives is read and dropped, see feed). */
static bool refused(const struct relay_conn *c) {
  return c->tls != NULL && !c->handshaking && c->tls->established &&
         smtp_client_state(c->client) == SMTP_CLIENT_STARTTLS;
}

/* flush_out - the engine's commands to the peer; 1 all sent, 0 blocked, -1 error. */
static int flush_out(struct relay_conn *c) {
  for (;;) {
    size_t len;
    const char *p;
    int r;
    if (c->tls != NULL) {
      r = flush_tls(c);
      /* Nothing of the engine's over a handshake or a refused channel (verify mode). */
      if (r <= 0 || c->handshaking || refused(c))
        return r;
    }
    p = smtp_client_output(c->client, &len);
    if (len == 0)
      return 1;
    if (c->tls != NULL) {
      ssize_t took = tls_conn_write(c->tls, p, len);
      if (took < 0)
        return -1;
      if (took == 0)
        return 0;
      smtp_client_output_done(c->client, (size_t)took);
      continue;
    }
    ssize_t n = send_all(c, p, len);
    if (n < 0)
      return -1;
    if (n > 0)
      smtp_client_output_done(c->client, (size_t)n);
    if ((size_t)n < len)
      return 0;
  }
}

/* refuse_peer - verify mode and the next hop did not prove who it is: no mail goes over
 * this channel. The engine is never told that TLS is up, so it stays in its STARTTLS
 * state and sends nothing; QUIT and close_notify go out over TLS (RFC 5321 4.1.1.10, as
 * Postfix's smtp client does), and the attempt ends when the next hop closes after its
 * 221 (or at the command timeout) as a temporary failure, retried (RFC 5321 4.5.4.1). */
static void refuse_peer(struct relay_conn *c, const char *why) {
  static const char quit[] = "QUIT\r\n";
  snprintf(c->error, sizeof(c->error), "TLS with %s not verified: %s", c->next_hop, why);
  c->d->counters.relay_tls_refused++;
  if (tls_conn_write(c->tls, quit, sizeof(quit) - 1) > 0)
    tls_conn_shutdown(c->tls);
}

/* handshake - advance the STARTTLS handshake; -1 on failure. */
static int handshake(struct relay_conn *c) {
  char why[320] = ""; /* fits c->error with the longest next_hop */
  enum tls_step st = tls_conn_handshake(c->tls, why, sizeof(why));
  if (st == TLS_STEP_ERROR) {
    flush_tls(c);
    snprintf(c->error, sizeof(c->error), "TLS handshake with %s failed: %s", c->next_hop, why);
    return -1;
  }
  if (st == TLS_STEP_DONE) {
    c->handshaking = false;
    c->d->counters.tls_sessions++;
    /* --relay-tls verify: RFC 6125 6 / RFC 7672 3.2: the chain and the name, checked
     * before the engine may send anything over the channel. */
    if (c->d->tls_client.verify && tls_conn_verified(c->tls, why, sizeof(why)) != 0) {
      refuse_peer(c, why);
      return 0;
    }
    /* RFC 3207 4.2: the engine forgets what it knew and sends EHLO again. */
    smtp_client_tls_started(c->client);
  }
  return 0;
}

/* start_tls - the engine got 220 to STARTTLS: begin the client handshake. */
static int start_tls(struct relay_conn *c) {
  char why[256] = "";
  if (!c->d->have_tls_client) {
    snprintf(c->error, sizeof(c->error), "STARTTLS without a TLS client context");
    return -1;
  }
  c->tls = tls_conn_new_client(&c->d->tls_client, c->next_hop, why, sizeof(why));
  if (c->tls == NULL) {
    snprintf(c->error, sizeof(c->error), "TLS with %s not started: %s", c->next_hop, why);
    return -1;
  }
  c->handshaking = true;
  return handshake(c); /* writes the ClientHello */
}

/* feed - plaintext from the peer to the engine. */
static void feed(struct relay_conn *c, const char *p, size_t len) {
  if (refused(c))
    return; /* the reply to our QUIT: the close that follows ends the attempt */
  if (smtp_client_state(c->client) == SMTP_CLIENT_RUNNING)
    smtp_client_feed(c->client, p, len);
  /* In the STARTTLS state the engine dropped what followed the 220 (RFC 3207 5). */
}

/* read_some - one read from the socket; 1 if data moved, 0 if nothing, -1 if closed. */
static int read_some(struct relay_conn *c) {
  struct daemon *d = c->d;
  ssize_t n = recv(c->fd, d->rbuf, DAEMON_READ_SIZE, 0);
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
  if (n == 0)
    return -1;
  touch(c);
  if (c->tls == NULL) {
    feed(c, d->rbuf, (size_t)n);
    return 1;
  }
  if (tls_conn_push(c->tls, d->rbuf, (size_t)n) != 0)
    return -1;
  if (c->handshaking && handshake(c) != 0)
    return -2;
  for (;;) {
    ssize_t m = tls_conn_read(c->tls, d->pbuf, DAEMON_READ_SIZE);
    if (m < 0)
      return -1;
    if (m == 0)
      break;
    feed(c, d->pbuf, (size_t)m);
  }
  return 1;
}

/* relay_pump - move bytes until nothing moves, then wait for epoll. */
static void relay_pump(struct relay_conn *c, bool readable) {
  for (int step = 0; step < RELAY_PUMP_STEPS && !c->dead; step++) {
    int w = flush_out(c), r = 0;
    if (w < 0) {
      if (c->error[0] == '\0')
        snprintf(c->error, sizeof(c->error), "write to %s failed: %s", c->next_hop,
                 strerror(errno));
      relay_conn_finished(c);
      return;
    }
    switch (smtp_client_state(c->client)) {
    case SMTP_CLIENT_DONE:
    case SMTP_CLIENT_FAILED:
      if (c->error[0] == '\0' && smtp_client_state(c->client) == SMTP_CLIENT_FAILED)
        snprintf(c->error, sizeof(c->error), "%s", smtp_client_error(c->client));
      relay_conn_finished(c);
      return;
    case SMTP_CLIENT_STARTTLS:
      if (c->tls == NULL && w == 1) {
        if (start_tls(c) != 0) {
          relay_conn_finished(c);
          return;
        }
        continue; /* flush the ClientHello */
      }
      break;
    case SMTP_CLIENT_RUNNING:
      break;
    }
    if (readable) {
      r = read_some(c);
      if (r == -2) {
        relay_conn_finished(c);
        return;
      }
      if (r < 0) {
        /* The peer closed: after QUIT that is the end, else the engine says failed. */
        smtp_client_eof(c->client);
        if (smtp_client_state(c->client) != SMTP_CLIENT_DONE && c->error[0] == '\0')
          snprintf(c->error, sizeof(c->error), "%s", smtp_client_error(c->client));
        relay_conn_finished(c);
        return;
      }
      if (r > 0)
        continue;
    }
    /* Writability matters only while output is blocked (handshake records included). */
    set_events(c, EPOLLIN | (w == 0 ? EPOLLOUT : 0));
    return;
  }
  set_events(c, EPOLLIN | EPOLLOUT); /* yield; come back next round */
}

/* relay_event - an outbound connection is ready. */
void relay_event(struct relay_conn *c, uint32_t events) {
  if (c->dead)
    return;
  if (c->connecting) {
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
      soerr = errno;
    if (soerr != 0) {
      snprintf(c->error, sizeof(c->error), "connect to %s failed: %s", c->next_hop,
               strerror(soerr));
      relay_conn_finished(c);
      return;
    }
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0)
      return;
    c->connecting = false;
    touch(c);
  }
  relay_pump(c, (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0);
}

/* on_reply - note what the next hop said about the recipients of this attempt. */
static void on_reply(void *ctx, enum smtp_client_step step, const struct smtp_reply *r) {
  struct relay_conn *c = ctx;
  struct queue_entry *e = c->e;
  size_t tlen = r->nlines > 0 ? r->lines[0].len : 0;
  const char *text = r->nlines > 0 ? r->lines[0].text : "";
  bool ok = r->code / 100 == 2;

  touch(c);
  if (e == NULL)
    return;
  switch (step) {
  case SMTP_STEP_MAIL:
    if (ok)
      return;
    c->mail_failed = true;
    for (size_t i = 0; i < c->nrcpts; i++)
      relay_set_diag(&e->rcpts[c->rcpt_index[i]], r->code, text, tlen, true);
    return;
  case SMTP_STEP_RCPT:
    /* RFC 2920 3.1: RCPT replies come in command order, one per recipient. */
    if (c->rcpt_replies < c->nrcpts && !c->mail_failed)
      relay_set_diag(&e->rcpts[c->rcpt_index[c->rcpt_replies]], r->code, text, tlen, true);
    c->rcpt_replies++;
    return;
  case SMTP_STEP_DATA:
  case SMTP_STEP_DOT:
    if (step == SMTP_STEP_DATA && r->code == 354)
      return;
    for (size_t i = 0; i < c->nrcpts; i++) {
      struct queue_rcpt *q = &e->rcpts[c->rcpt_index[i]];
      if (q->status != QUEUE_PENDING || q->code / 100 != 2 || c->mail_failed)
        continue;
      if (step == SMTP_STEP_DOT && ok) {
        /* Delivered: out of the queue durably now, before anything else can fail. */
        if (queue_mark(&c->d->queue, e, c->rcpt_index[i], QUEUE_DELIVERED) != 0)
          log_msg("queue %s: cannot record delivery to <%s>: %s (it may be sent twice)", e->name,
                  q->addr, strerror(errno));
        q->status = QUEUE_DELIVERED;
        c->d->counters.relay_delivered++;
        relay_set_diag(q, r->code, text, tlen, true);
      } else {
        relay_set_diag(q, r->code, text, tlen, true);
        q->code = r->code; /* the message failed after the recipient was accepted */
      }
    }
    return;
  default:
    return;
  }
}

/* open_socket - a non-blocking socket connecting to next_hop. -1 with err. */
static int open_socket(struct relay_conn *c, char *err, size_t errcap) {
  struct sockaddr_storage ss;
  socklen_t len;
  int one = 1;
  if (routes_resolve(c->next_hop, &ss, &len, err, errcap) != 0)
    return -1;
  c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    snprintf(err, errcap, "socket: %s", strerror(errno));
    return -1;
  }
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(c->fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
    snprintf(err, errcap, "connect to %s failed: %s", c->next_hop, strerror(errno));
    return -1;
  }
  c->connecting = true;
  return 0;
}

/* relay_conn_start - connect and set up the engine for one attempt. */
struct relay_conn *relay_conn_start(struct daemon *d, struct queue_entry *e, const char *next_hop,
                                    const size_t *idx, size_t n, char *err, size_t errcap) {
  struct relay_conn *c = calloc(1, sizeof(*c));
  struct smtp_client_config cfg;
  struct epoll_event ev;

  if (c == NULL)
    goto oom;
  c->kind = HANDLE_RELAY;
  c->d = d;
  c->e = e;
  c->fd = -1;
  snprintf(c->next_hop, sizeof(c->next_hop), "%s", next_hop);
  c->rcpts = calloc(n, sizeof(*c->rcpts));
  c->rcpt_index = calloc(n, sizeof(*c->rcpt_index));
  if (c->rcpts == NULL || c->rcpt_index == NULL)
    goto oom;
  for (size_t i = 0; i < n; i++) {
    c->rcpt_index[i] = idx[i];
    c->rcpts[i] = e->rcpts[idx[i]].addr;
  }
  c->nrcpts = n;
  c->content = queue_read_content(&d->queue, e, &c->content_len);
  if (c->content == NULL) {
    snprintf(err, errcap, "cannot read queue file %s: %s", e->name, strerror(errno));
    goto fail;
  }
  c->msg.from = e->from;
  c->msg.rcpts = c->rcpts;
  c->msg.nrcpts = n;
  c->msg.content = c->content;
  c->msg.content_len = c->content_len;
  memset(&cfg, 0, sizeof(cfg));
  cfg.ehlo = d->hostname;
  /* verify needs STARTTLS as require does; the certificate is checked in handshake. */
  cfg.starttls = d->opt->relay_tls == RELAY_TLS_REQUIRE || d->opt->relay_tls == RELAY_TLS_VERIFY
                     ? SMTP_CLIENT_TLS_REQUIRE
                 : d->opt->relay_tls == RELAY_TLS_NONE ? SMTP_CLIENT_TLS_NONE
                                                       : SMTP_CLIENT_TLS_OPPORTUNISTIC;
  cfg.use_pipelining = true;
  /* BDAT is not used: the content is sent as received, dot-stuffed (RFC 5321 4.5.2). */
  cfg.use_chunking = false;
  c->client = smtp_client_new(&cfg, &c->msg, 1, on_reply, c);
  if (c->client == NULL) {
    snprintf(err, errcap, "cannot start an SMTP client for %s (bad address?)", e->name);
    goto fail;
  }
  if (open_socket(c, err, errcap) != 0)
    goto fail;
  memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLOUT;
  ev.data.ptr = c;
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
    snprintf(err, errcap, "epoll_ctl: %s", strerror(errno));
    goto fail;
  }
  c->events = EPOLLOUT;
  c->opened_ms = daemon_now_ms();
  touch(c);
  return c;
oom:
  snprintf(err, errcap, "out of memory");
fail:
  if (c != NULL)
    relay_conn_free(c);
  return NULL;
}

/* relay_conn_free - close and release. */
void relay_conn_free(struct relay_conn *c) {
  if (c->fd >= 0) {
    epoll_ctl(c->d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
  }
  if (c->client != NULL)
    smtp_client_free(c->client);
  tls_conn_free(c->tls);
  free(c->content);
  free(c->rcpts);
  free(c->rcpt_index);
  free(c);
}
