/* session.c - one client connection: bytes between the socket (or TLS) and the engine. */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* A session closing with unsent output gets this long before we give up on the peer. */
#define CLOSE_GRACE_MS 10000
/* Steps of session_pump before it yields to other sessions (fairness). */
#define PUMP_STEPS 256

/* How flushing output ended. */
enum flush_result { FLUSH_DONE = 0, FLUSH_BLOCKED, FLUSH_ERROR };

/* set_events - register the epoll interest the session needs now (if it changed). */
static void set_events(struct session *s, uint32_t events) {
  struct epoll_event ev;
  if (s->dead || s->events == events)
    return;
  memset(&ev, 0, sizeof(ev));
  ev.events = events;
  ev.data.ptr = s;
  if (epoll_ctl(s->d->epfd, EPOLL_CTL_MOD, s->fd, &ev) == 0)
    s->events = events;
}

/* timer_reads - the armed timer is one that client octets move (idle or per line). */
static bool timer_reads(const struct session *s) {
  return s->timer == TIMER_IDLE || s->timer == TIMER_LINE;
}

/* idle_timeout - refresh the RFC 5321 4.5.3.2 timer for the engine's current phase, or
 * arm the per-line deadline when it comes first. */
static void idle_timeout(struct session *s) {
  const struct refsmtpd_options *o = s->d->opt;
  /* 4.5.3.2.5-6: 3 minutes per data block; 4.5.3.2.7: 5 minutes between commands. */
  unsigned secs =
      smtp_server_phase(s->srv) == SMTP_PHASE_DATA ? o->timeout_data : o->timeout_command;
  uint64_t ms = (uint64_t)secs * 1000;
  if (s->line_started_ms != 0) {
    /* Reads do not extend a line that has begun: one octet per interval just inside the
     * idle timeout must not hold the session for ever (slowloris). Content in DATA keeps
     * only the per-block timeout: a big message is legal, a slow line is not. */
    uint64_t end = s->line_started_ms + (uint64_t)o->command_deadline * 1000;
    uint64_t now = daemon_now_ms();
    uint64_t left = end > now ? end - now : 0;
    if (left < ms) {
      daemon_set_deadline(s, TIMER_LINE, left);
      return;
    }
  }
  daemon_set_deadline(s, TIMER_IDLE, ms);
}

/* crlf_in - does p[0..n) end a line (a CR held from the last octets counts)? */
static bool crlf_in(const struct session *s, const char *p, size_t n) {
  const char *lf = memchr(p, '\n', n);
  while (lf != NULL) {
    if (lf > p ? lf[-1] == '\r' : s->line_cr)
      return true;
    lf = memchr(lf + 1, '\n', n - (size_t)(lf + 1 - p));
  }
  return false;
}

/* line_clock - the engine took p[0..n): start, keep or stop the clock of the unfinished
 * command line. RFC 5321 2.3.8: only CRLF ends a line, so a line held after octets with
 * a CRLF began among them, in this read. True if the clock changed. */
static bool line_clock(struct session *s, const char *p, size_t n) {
  uint64_t before = s->line_started_ms;
  if (smtp_server_phase(s->srv) != SMTP_PHASE_COMMAND || !smtp_server_line_pending(s->srv))
    s->line_started_ms = 0;
  else if (s->line_started_ms == 0 || crlf_in(s, p, n))
    s->line_started_ms = daemon_now_ms();
  if (n > 0)
    s->line_cr = p[n - 1] == '\r';
  return s->line_started_ms != before;
}

/* send_some - write up to len octets; *sent gets the count. */
static enum flush_result send_some(struct session *s, const char *p, size_t len, size_t *sent) {
  *sent = 0;
  while (*sent < len) {
    ssize_t n = send(s->fd, p + *sent, len - *sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return FLUSH_BLOCKED;
      return FLUSH_ERROR;
    }
    *sent += (size_t)n;
  }
  return FLUSH_DONE;
}

/* flush_tls - send queued ciphertext. */
static enum flush_result flush_tls(struct session *s) {
  const char *p;
  size_t len, sent;
  enum flush_result r;

  while ((len = tls_conn_outbound(s->tls, &p)) > 0) {
    r = send_some(s, p, len, &sent);
    tls_conn_outbound_done(s->tls, sent);
    if (r != FLUSH_DONE)
      return r;
  }
  return FLUSH_DONE;
}

/* flush_out - move the engine's reply bytes to the peer (through TLS when active). */
static enum flush_result flush_out(struct session *s) {
  const char *p;
  size_t len, sent;
  enum flush_result r;

  if (s->tls != NULL) {
    for (;;) {
      ssize_t took;
      r = flush_tls(s);
      if (r != FLUSH_DONE || s->handshaking)
        return r;
      p = smtp_server_output(s->srv, &len);
      if (len == 0)
        return FLUSH_DONE;
      took = tls_conn_write(s->tls, p, len);
      if (took < 0)
        return FLUSH_ERROR;
      if (took == 0)
        return FLUSH_BLOCKED;
      smtp_server_output_done(s->srv, (size_t)took);
    }
  }
  p = smtp_server_output(s->srv, &len);
  if (len == 0)
    return FLUSH_DONE;
  r = send_some(s, p, len, &sent);
  if (sent > 0)
    smtp_server_output_done(s->srv, sent);
  return r;
}

/* keep_input - remember input the engine did not take (at most one read's worth). */
static int keep_input(struct session *s, const char *p, size_t len) {
  if (len == 0)
    return 0;
  if (s->in == NULL) {
    s->in = malloc(DAEMON_READ_SIZE);
    if (s->in == NULL)
      return -1;
  }
  if (s->in != p)
    memmove(s->in, p, len);
  s->in_len = len;
  return 0;
}

/* drop_input - forget unconsumed input and its buffer. */
static void drop_input(struct session *s) {
  free(s->in);
  s->in = NULL;
  s->in_len = 0;
}

/* deliver - feed fresh plaintext to the engine, keeping what it did not take. */
static int deliver(struct session *s, const char *p, size_t len) {
  size_t n = 0;
  if (smtp_server_state(s->srv) == SMTP_SERVER_RUNNING)
    n = smtp_server_feed(s->srv, p, len);
  line_clock(s, p, n);
  switch (smtp_server_state(s->srv)) {
  case SMTP_SERVER_STARTTLS:
    /* RFC 3207 5, CVE-2011-0411: plaintext after STARTTLS must not survive into TLS. */
  case SMTP_SERVER_CLOSING:
    return 0;
  default:
    break;
  }
  /* The phase may have changed (354 starts DATA): time the next read accordingly. */
  if (timer_reads(s))
    idle_timeout(s);
  return keep_input(s, p + n, len - n);
}

/* feed_kept - feed remembered input; true if the engine took some. */
static bool feed_kept(struct session *s) {
  size_t n = smtp_server_feed(s->srv, s->in, s->in_len);
  if (n == 0)
    return false;
  /* Kept octets are old, not client activity: re-arm only if the line clock moved. */
  if (line_clock(s, s->in, n) && timer_reads(s))
    idle_timeout(s);
  s->in_len -= n;
  if (s->in_len > 0)
    memmove(s->in, s->in + n, s->in_len);
  else
    drop_input(s);
  return true;
}

/* read_tls_plaintext - decrypt what OpenSSL holds and feed it; true if anything moved. */
static bool read_tls_plaintext(struct session *s) {
  ssize_t n = tls_conn_read(s->tls, s->d->pbuf, DAEMON_READ_SIZE);
  if (n < 0) {
    s->eof = true;
    return false;
  }
  if (n == 0)
    return false;
  if (deliver(s, s->d->pbuf, (size_t)n) != 0) {
    session_close(s, "out of memory");
    return false;
  }
  return true;
}

/* start_tls - after the 220 to STARTTLS went out in plaintext: begin the handshake. */
static int start_tls(struct session *s) {
  /* RFC 3207 5 (CVE-2011-0411): discard plaintext that followed STARTTLS. */
  drop_input(s);
  s->tls = tls_conn_new(&s->d->tls);
  if (s->tls == NULL)
    return -1;
  s->handshaking = true;
  daemon_set_deadline(s, TIMER_HANDSHAKE, (uint64_t)s->d->opt->timeout_tls * 1000);
  return 0;
}

/* finish_close - CLOSING with all output sent: say close_notify and close. */
static void finish_close(struct session *s) {
  if (s->tls != NULL && s->tls->established) {
    size_t sent;
    const char *p;
    size_t len;
    tls_conn_shutdown(s->tls);
    len = tls_conn_outbound(s->tls, &p);
    if (len > 0)
      send_some(s, p, len, &sent); /* best effort: we close either way */
  }
  session_close(s, s->shutdown_sent ? "shutdown" : "closed by server");
}

/* session_idle - no transaction, no pending decision, no handshake in progress. */
bool session_idle(const struct session *s) {
  return s->txn == NULL && !s->handshaking && !s->in_batch &&
         smtp_server_state(s->srv) == SMTP_SERVER_RUNNING;
}

/* session_pump - move bytes between the engine and the peer until nothing moves. */
void session_pump(struct session *s) {
  for (int step = 0; step < PUMP_STEPS; step++) {
    enum flush_result r;
    if (s->dead)
      return;
    r = flush_out(s);
    if (r == FLUSH_ERROR) {
      session_close(s, "write error");
      return;
    }
    if (s->handshaking) {
      set_events(s, EPOLLIN | (r == FLUSH_BLOCKED ? EPOLLOUT : 0));
      return;
    }
    if (s->d->draining && !s->shutdown_sent && session_idle(s)) {
      smtp_server_shutdown(s->srv);
      s->shutdown_sent = true;
      continue;
    }
    switch (smtp_server_state(s->srv)) {
    case SMTP_SERVER_RUNNING:
      if (r == FLUSH_BLOCKED) {
        /* The peer is not reading our replies: stop reading its commands. */
        set_events(s, EPOLLOUT);
        return;
      }
      if (s->in_len > 0) {
        if (feed_kept(s))
          continue;
        set_events(s, EPOLLOUT); /* nothing taken: retry soon, not a busy loop here */
        return;
      }
      if (s->tls != NULL && read_tls_plaintext(s))
        continue;
      if (s->eof) {
        session_close(s, "peer closed");
        return;
      }
      set_events(s, EPOLLIN);
      return;
    case SMTP_SERVER_PENDING:
      set_events(s, r == FLUSH_BLOCKED ? EPOLLOUT : 0);
      return;
    case SMTP_SERVER_STARTTLS:
      if (r == FLUSH_BLOCKED) {
        set_events(s, EPOLLOUT);
        return;
      }
      if (s->tls != NULL || !s->d->have_tls || start_tls(s) != 0) {
        session_close(s, "cannot start TLS");
        return;
      }
      continue;
    case SMTP_SERVER_CLOSING:
      if (r == FLUSH_BLOCKED) {
        if (s->timer != TIMER_CLOSE_GRACE)
          daemon_set_deadline(s, TIMER_CLOSE_GRACE, CLOSE_GRACE_MS);
        set_events(s, EPOLLOUT);
        return;
      }
      finish_close(s);
      return;
    }
  }
  /* Yield: a writable socket reports EPOLLOUT at once, so we come back next round. */
  set_events(s, EPOLLOUT);
}

/* handshake_step - advance a TLS handshake with fresh ciphertext. */
static void handshake_step(struct session *s) {
  char why[256] = "";
  enum tls_step st = tls_conn_handshake(s->tls, why, sizeof(why));
  if (st == TLS_STEP_WANT)
    return;
  if (st == TLS_STEP_ERROR) {
    flush_tls(s); /* send the alert if we can */
    if (!s->d->opt->quiet)
      log_msg("session %llu TLS handshake failed: %s", (unsigned long long)s->id, why);
    session_close(s, "TLS handshake failed");
    return;
  }
  s->handshaking = false;
  s->d->counters.tls_sessions++;
  if (!s->d->opt->quiet) {
    char desc[128];
    tls_conn_describe(s->tls, desc, sizeof(desc));
    log_msg("session %llu TLS %s", (unsigned long long)s->id, desc);
  }
  /* RFC 3207 4.2: after STARTTLS the engine forgets HELO and the transaction. */
  if (smtp_server_state(s->srv) == SMTP_SERVER_STARTTLS)
    smtp_server_tls_started(s->srv);
  idle_timeout(s);
}

/* on_readable - read once from the socket and hand the bytes on. */
static void on_readable(struct session *s) {
  struct daemon *d = s->d;
  ssize_t n;

  if (s->in_len > 0 || s->eof)
    return; /* the engine has not taken the last read yet */
  n = recv(s->fd, d->rbuf, DAEMON_READ_SIZE, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return;
    session_close(s, errno == ECONNRESET ? "reset by peer" : "read error");
    return;
  }
  if (n == 0) {
    s->eof = true;
    return;
  }
  if (timer_reads(s) && !s->handshaking)
    idle_timeout(s);
  if (s->tls == NULL) {
    if (deliver(s, d->rbuf, (size_t)n) != 0)
      session_close(s, "out of memory");
    return;
  }
  if (tls_conn_push(s->tls, d->rbuf, (size_t)n) != 0) {
    session_close(s, "out of memory");
    return;
  }
  if (s->handshaking)
    handshake_step(s);
  /* Plaintext is read from OpenSSL by session_pump while the engine is RUNNING. */
}

/* session_event - the socket is readable/writable/hung up. */
void session_event(struct session *s, uint32_t events) {
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    on_readable(s);
  if (events & EPOLLERR) {
    session_close(s, "socket error");
    return;
  }
  if (s->eof && s->handshaking) {
    session_close(s, "peer closed during TLS handshake");
    return;
  }
  /* A hung-up peer keeps reporting EPOLLHUP: do not spin while a decision is pending.
   * A message already on the fsync worker still becomes durable (batch_done frees the
   * session); nobody is left to hear its 250. */
  if (s->eof && smtp_server_state(s->srv) == SMTP_SERVER_PENDING) {
    session_close(s, "peer closed");
    return;
  }
  session_pump(s);
}

/* session_timeout - the session's deadline passed. */
void session_timeout(struct session *s) {
  s->deadline_ms = 0;
  switch (s->timer) {
  case TIMER_HANDSHAKE:
    session_close(s, "TLS handshake timeout");
    return;
  case TIMER_CLOSE_GRACE:
    session_close(s, "peer did not read the last reply");
    return;
  case TIMER_AUTH_DELAY: {
    /* RFC 4954 6: 535 5.7.8, sent only now so that guessing is slow. */
    struct smtp_hook_reply reply = {535, "5.7.8", "Authentication credentials invalid"};
    if (smtp_server_state(s->srv) == SMTP_SERVER_PENDING)
      smtp_server_resume(s->srv, SMTP_HOOK_REJECT, &reply);
    idle_timeout(s);
    break;
  }
  case TIMER_IDLE:
  case TIMER_LINE:
    if (s->in_batch) {
      idle_timeout(s); /* the disk is slow, not the client: wait for the worker */
      return;
    }
    if (!s->d->opt->quiet && s->timer == TIMER_LINE)
      log_msg("session %llu command line not finished in %u s (--command-deadline)",
              (unsigned long long)s->id, s->d->opt->command_deadline);
    else if (!s->d->opt->quiet)
      log_msg("session %llu timeout (RFC 5321 4.5.3.2)", (unsigned long long)s->id);
    /* RFC 5321 4.5.3.2: 421 4.4.2 and close after the timeout. */
    smtp_server_timeout(s->srv);
    daemon_set_deadline(s, TIMER_CLOSE_GRACE, CLOSE_GRACE_MS);
    break;
  }
  session_pump(s);
}

/* session_shutdown - the daemon is draining: close idle sessions now. */
void session_shutdown(struct session *s) {
  if (s->handshaking) {
    session_close(s, "shutdown during TLS handshake");
    return;
  }
  session_pump(s); /* shuts an idle session down; a busy one when its txn ends */
}

/* format_peer - fill peer, peer_v6, peer_port and ipkey from a socket address. */
static void format_peer(struct session *s, const struct sockaddr *sa) {
  ipcount_key(sa, s->ipkey);
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const void *)sa;
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], s->peer, sizeof(s->peer));
    } else {
      inet_ntop(AF_INET6, &sin6->sin6_addr, s->peer, sizeof(s->peer));
      s->peer_v6 = true;
    }
    s->peer_port = ntohs(sin6->sin6_port);
  } else {
    const struct sockaddr_in *sin = (const void *)sa;
    inet_ntop(AF_INET, &sin->sin_addr, s->peer, sizeof(s->peer));
    s->peer_port = ntohs(sin->sin_port);
  }
}

/* session_new - wrap an accepted socket; NULL on failure (the caller closes fd). */
struct session *session_new(struct daemon *d, struct listener *l, int fd,
                            const struct sockaddr *peer) {
  struct session *s = calloc(1, sizeof(*s));
  const struct smtp_server_config *cfg;
  bool implicit_tls = l->addr->kind == LISTEN_TLS;
  struct epoll_event ev;

  if (s == NULL)
    return NULL;
  s->kind = HANDLE_SESSION;
  s->d = d;
  s->fd = fd;
  s->listener = l;
  s->id = ++d->next_id;
  s->opened_ms = daemon_now_ms();
  format_peer(s, peer);
  d->counters.sessions++;
  for (size_t i = 0; i < d->opt->nrelay_from && !s->may_relay; i++)
    s->may_relay = cidr_match(&d->opt->relay_from[i], peer);
  cfg = l->addr->kind == LISTEN_SUBMISSION ? &d->cfg_submission : &d->cfg_smtp;
  s->srv = smtp_server_new(cfg, &d->hooks, s, implicit_tls);
  if (s->srv == NULL)
    goto fail;
  if (implicit_tls) {
    /* RFC 8314 3.3: TLS first; the greeting waits for the handshake. */
    s->tls = tls_conn_new(&d->tls);
    if (s->tls == NULL)
      goto fail;
    s->handshaking = true;
    daemon_set_deadline(s, TIMER_HANDSHAKE, (uint64_t)d->opt->timeout_tls * 1000);
  } else {
    idle_timeout(s);
  }
  memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLIN;
  ev.data.ptr = s;
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
    goto fail;
  s->events = EPOLLIN;
  s->next = d->sessions;
  if (d->sessions != NULL)
    d->sessions->prev = s;
  d->sessions = s;
  d->nsessions++;
  if (d->opt->max_per_ip > 0)
    ipcount_add(&d->ipc, s->ipkey);
  if (!d->opt->quiet)
    log_msg("session %llu open %s%s%s:%u on %s", (unsigned long long)s->id, s->peer_v6 ? "[" : "",
            s->peer, s->peer_v6 ? "]" : "", s->peer_port, l->addr->text);
  session_pump(s);
  return s;
fail:
  if (s->srv != NULL)
    smtp_server_free(s->srv);
  tls_conn_free(s->tls);
  free(s);
  return NULL;
}

/* session_close - close now (reason for the log line); the memory goes at loop end. */
void session_close(struct session *s, const char *reason) {
  struct daemon *d = s->d;
  if (s->dead)
    return;
  s->dead = true;
  {
    /* Metrics: the session's counters join the totals now that it ends. */
    const struct smtp_server_stats *st = smtp_server_stats(s->srv);
    d->counters.commands += st->commands;
    d->counters.replies[0] += st->replies_2xx;
    d->counters.replies[1] += st->replies_3xx;
    d->counters.replies[2] += st->replies_4xx;
    d->counters.replies[3] += st->replies_5xx;
    d->counters.auth_failures += st->auth_failures;
  }
  if (!d->opt->quiet) {
    const struct smtp_server_stats *st = smtp_server_stats(s->srv);
    uint64_t ms = daemon_now_ms() - s->opened_ms;
    log_msg("session %llu close (%s) %llu.%03llus commands=%llu messages=%llu octets=%llu "
            "replies=%llu/%llu/%llu/%llu auth_failures=%llu",
            (unsigned long long)s->id, reason, (unsigned long long)(ms / 1000),
            (unsigned long long)(ms % 1000), (unsigned long long)st->commands,
            (unsigned long long)s->messages_stored, (unsigned long long)st->message_octets,
            (unsigned long long)st->replies_2xx, (unsigned long long)st->replies_3xx,
            (unsigned long long)st->replies_4xx, (unsigned long long)st->replies_5xx,
            (unsigned long long)st->auth_failures);
  }
  epoll_ctl(d->epfd, EPOLL_CTL_DEL, s->fd, NULL);
  close(s->fd);
  s->fd = -1;
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    d->sessions = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  s->prev = s->next = NULL;
  d->nsessions--;
  if (d->opt->max_per_ip > 0)
    ipcount_remove(&d->ipc, s->ipkey);
  s->next_dead = d->dead;
  d->dead = s;
}

/* session_destroy - free a closed session (the engine may call the reset hook). */
void session_destroy(struct session *s) {
  smtp_server_free(s->srv);
  txn_free(s);
  tls_conn_free(s->tls);
  free(s->in);
  free(s);
}
