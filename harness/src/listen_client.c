/* listen_client.c - one client of `smtpcheck listen`, driven by its caller's poll loop:
 * feed what arrives to the engine, write each reply chunk once its delay is over, do the
 * STARTTLS handshake, and end the session on a timeout or the octet limit. The timing the
 * grader relies on (listen_session.h): a chunk is held its delay, counted from when it
 * became pending; octets read meanwhile are fed at once and so count as early. */
#include "listen_client.h"

#include <poll.h>

#include "clock.h"

/* listen_client_start - the session engine and the session's deadlines. */
int listen_client_start(struct listen_client *c, int fd, SSL_CTX *tls,
                        const struct listen_net_limits *lim,
                        const struct listen_session_config *cfg) {
  c->link.fd = fd;
  c->link.ssl = NULL;
  c->tls = tls;
  c->lim = lim;
  c->want = LW_READ;
  c->handshaking = c->armed = c->blocked = c->ended = false;
  c->sent = c->total = 0;
  c->start_ms = clock_now_ms();
  c->end_ms = c->start_ms + lim->session_ms;
  c->idle_since_ms = c->start_ms;
  if (listen_session_init(&c->s, cfg) < 0) {
    listen_link_close(&c->link);
    return -1;
  }
  return 0;
}

/* listen_client_fd - the socket descriptor. */
int listen_client_fd(const struct listen_client *c) {
  return c->link.fd;
}

/* listen_client_events - a blocked write or the handshake waits for what OpenSSL or the
 * socket asked; otherwise always read, since octets sent before a reply is written are
 * exactly what the grader must see (pipelining, talking before the greeting). */
short listen_client_events(const struct listen_client *c) {
  return c->handshaking || c->blocked ? c->io_events : POLLIN;
}

/* listen_client_wake - the next timer: handshake end, a chunk due, the idle timeout, or
 * the session end, whichever comes first. */
long listen_client_wake(const struct listen_client *c) {
  if (c->ended || listen_link_pending(&c->link))
    return 0;
  if (c->handshaking)
    return c->handshake_end_ms;
  const char *p;
  size_t n;
  long delay, wake;
  bool pending = listen_session_chunk(&c->s, &p, &n, &delay);
  if (c->blocked)
    wake = c->end_ms;
  else if (pending)
    wake = c->armed ? c->due_ms : 0;
  else
    wake = c->idle_since_ms + c->lim->idle_ms;
  return wake < c->end_ms ? wake : c->end_ms;
}

/* end_session - the session is over: say why in the transcript (the engine grades
 * quit-sent and quit-reply-read from the close). */
static void end_session(struct listen_client *c, const char *why) {
  listen_session_eof(&c->s, why);
  c->ended = true;
}

/* begin_tls - RFC 3207 4: the 220 to STARTTLS is written; the handshake may take the
 * idle timeout, and no longer than the session has left. */
static void begin_tls(struct listen_client *c, long now) {
  if (!c->tls) {
    c->want = listen_session_tls_done(&c->s, false, "no TLS context");
    c->armed = false;
    c->idle_since_ms = now;
    return;
  }
  c->handshaking = true;
  long left = c->end_ms - now;
  c->handshake_end_ms = now + (c->lim->idle_ms < left ? c->lim->idle_ms : left);
}

/* handshake_step - one SSL_accept; false while it waits for the socket. */
static bool handshake_step(struct listen_client *c, long now) {
  char detail[256];
  int r = listen_link_handshake(&c->link, c->tls, &c->io_events, detail, sizeof detail);
  if (r == 0 && now < c->handshake_end_ms)
    return false;
  if (r == 0)
    snprintf(detail, sizeof detail, "handshake timed out");
  c->handshaking = false;
  c->want = listen_session_tls_done(&c->s, r == 1, detail);
  c->armed = false;
  c->idle_since_ms = clock_now_ms();
  return true;
}

/* write_chunk - write the due chunk p[0..n); 1 written whole (the engine told), 0 the
 * socket is full (wait for it), -1 the session ended. A chunk not written by the end of
 * the session is a lost connection, as a write error is. */
static int write_chunk(struct listen_client *c, const char *p, size_t n, long now) {
  if (c->sent < n) {
    ssize_t w = listen_link_write(&c->link, p + c->sent, n - c->sent, &c->io_events);
    if (w >= 0)
      c->sent += (size_t)w;
    if (w < 0 || (c->sent < n && now >= c->end_ms)) {
      end_session(c, "writing to the client failed: the connection is gone");
      return -1;
    }
    if (c->sent < n) {
      c->blocked = true;
      return 0;
    }
  }
  c->blocked = c->armed = false;
  c->sent = 0;
  c->want = listen_session_chunk_written(&c->s);
  c->idle_since_ms = clock_now_ms();
  return 1;
}

/* read_once - one read fed to the engine; false when nothing was there or it ended. */
static bool read_once(struct listen_client *c, char *buf, size_t cap) {
  const char *why = NULL;
  ssize_t r = listen_link_read(&c->link, buf, cap, &why);
  if (r == -2)
    return false;
  if (r <= 0) {
    end_session(c, r == 0 ? NULL : why);
    return false;
  }
  c->total += (size_t)r;
  c->idle_since_ms = clock_now_ms();
  if (c->total > c->lim->max_octets) {
    listen_session_note(&c->s, "more than %zu octets from the client: closing", c->lim->max_octets);
    end_session(c, "octet limit reached");
    return false;
  }
  c->want = listen_session_feed(&c->s, buf, (size_t)r);
  return true;
}

/* The most engine steps in one call: a client that pipelines many commands to a
 * scenario without delays cannot keep the others waiting; the rest is done next call. */
#define STEP_ROUNDS 64

/* listen_client_step - one pass of the old per-session loop, per round: handshake, due
 * chunk, timeouts, then at most one read per call (poll tells when there is more). */
bool listen_client_step(struct listen_client *c, short revents, char *buf, size_t cap) {
  bool readable = (revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  for (int round = 0; round < STEP_ROUNDS && !c->ended; round++) {
    long now = clock_now_ms();
    if (c->handshaking) {
      if (!handshake_step(c, now))
        break;
      continue;
    }
    if (c->want == LW_CLOSE) {
      c->ended = true;
      break;
    }
    if (c->want == LW_TLS) {
      begin_tls(c, now);
      continue;
    }
    const char *p;
    size_t n;
    long delay;
    bool pending = listen_session_chunk(&c->s, &p, &n, &delay);
    if (pending && !c->armed) {
      c->armed = true;
      c->due_ms = now + delay;
    }
    if (pending && now >= c->due_ms) {
      if (write_chunk(c, p, n, now) <= 0)
        break;
      continue;
    }
    if (now >= c->end_ms) {
      listen_session_note(&c->s, "session time limit (%ld s) reached", c->lim->session_ms / 1000);
      end_session(c, "the session took too long: closing");
      break;
    }
    if (!pending && now - c->idle_since_ms >= c->lim->idle_ms) {
      listen_session_note(&c->s, "the client was silent for %ld s", c->lim->idle_ms / 1000);
      end_session(c, "idle timeout: closing");
      break;
    }
    if (!readable && !listen_link_pending(&c->link))
      break;
    readable = false;
    if (!read_once(c, buf, cap))
      break;
  }
  return c->ended;
}

/* listen_client_close - the link, then the engine's buffers and transcript. */
void listen_client_close(struct listen_client *c) {
  listen_link_close(&c->link);
  listen_session_free(&c->s);
}
