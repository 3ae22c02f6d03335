/* daemon.c - start-up, the epoll loop, timers, the SIGTERM drain and shutdown. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* Events taken from epoll per wait. */
#define EVENTS_PER_WAIT 256
/* Deadlines this close together fire in one scan, so scans stay rare. */
#define TIMER_SLACK_MS 50

/* daemon_now_ms - the monotonic clock in milliseconds. */
uint64_t daemon_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* daemon_set_deadline - arm a session's timer. */
void daemon_set_deadline(struct session *s, enum session_timer timer, uint64_t ms_from_now) {
  struct daemon *d = s->d;
  s->timer = timer;
  s->deadline_ms = daemon_now_ms() + ms_from_now;
  if (d->next_deadline_ms == 0 || s->deadline_ms < d->next_deadline_ms)
    d->next_deadline_ms = s->deadline_ms;
}

/* raise_fd_limit - thousands of sessions need thousands of descriptors. */
static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* configure_engine - the two engine configurations (MX/implicit TLS, submission). */
static void configure_engine(struct daemon *d) {
  const struct refsmtpd_options *o = d->opt;
  unsigned ext = SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME |
                 SMTP_EXT_ENHANCEDSTATUSCODES | SMTP_EXT_SMTPUTF8 | SMTP_EXT_CHUNKING |
                 SMTP_EXT_BINARYMIME;
  /* DSN (RFC 3461) is not offered: as the final delivery we would owe "delivered"
   * notifications, and refsmtpd sends no mail. */
  if (d->have_tls)
    ext |= SMTP_EXT_STARTTLS;
  if (d->have_users)
    ext |= SMTP_EXT_AUTH;
  memset(&d->cfg_smtp, 0, sizeof(d->cfg_smtp));
  d->cfg_smtp.hostname = d->hostname;
  d->cfg_smtp.extensions = ext;
  d->cfg_smtp.max_size = o->max_size;
  d->cfg_smtp.max_recipients = o->max_recipients;
  d->cfg_smtp.auth_mechanisms = "PLAIN LOGIN";
  /* RFC 4954 4: plaintext mechanisms only under TLS unless the operator says otherwise. */
  d->cfg_smtp.auth_requires_tls = !o->allow_plain_auth;
  d->cfg_smtp.max_auth_failures = 3;
  d->cfg_submission = d->cfg_smtp;
  /* RFC 6409 4.3 / RFC 4954 6: submission requires authentication (530 5.7.0). */
  d->cfg_submission.mail_requires_auth = true;
}

/* setup_signals - SIGTERM/SIGINT through a signalfd; SIGPIPE ignored. */
static int setup_signals(struct daemon *d, char *err, size_t errcap) {
  sigset_t set;
  struct epoll_event ev;

  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
    goto fail;
  d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (d->sigfd < 0)
    goto fail;
  d->signal_handle.kind = HANDLE_SIGNAL;
  memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLIN;
  ev.data.ptr = &d->signal_handle;
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sigfd, &ev) != 0)
    goto fail;
  return 0;
fail:
  snprintf(err, errcap, "cannot set up signal handling: %s", strerror(errno));
  return -1;
}

/* open_listeners - bind every --listen* address and watch it. */
static int open_listeners(struct daemon *d, char *err, size_t errcap) {
  for (size_t i = 0; i < d->opt->nlisten; i++) {
    struct listener *l = &d->listeners[i];
    struct epoll_event ev;
    if (listener_open(l, &d->opt->listen[i], err, errcap) != 0)
      return -1;
    d->nlisteners++;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = l;
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, l->fd, &ev) != 0) {
      snprintf(err, errcap, "cannot watch %s: %s", l->addr->text, strerror(errno));
      return -1;
    }
  }
  return 0;
}

/* daemon_init - everything that can fail at start-up. */
int daemon_init(struct daemon *d, const struct refsmtpd_options *opt, char *err, size_t errcap) {
  memset(d, 0, sizeof(*d));
  d->opt = opt;
  d->epfd = d->sigfd = d->reserve_fd = -1;
  d->metrics.fd = -1;
  d->start_time = (uint64_t)time(NULL);
  if (opt->hostname != NULL) {
    snprintf(d->hostname, sizeof(d->hostname), "%s", opt->hostname);
  } else if (gethostname(d->hostname, sizeof(d->hostname)) != 0 || d->hostname[0] == '\0') {
    snprintf(d->hostname, sizeof(d->hostname), "localhost");
  }
  d->hostname[sizeof(d->hostname) - 1] = '\0';
  d->default_domain[0] = d->hostname;
  d->policy.domains = opt->ndomains > 0 ? opt->domains : d->default_domain;
  d->policy.ndomains = opt->ndomains > 0 ? opt->ndomains : 1;
  if (!opt->no_store) {
    if (maildir_open(&d->maildir, opt->maildir, err, errcap) != 0)
      return -1;
    d->have_maildir = true;
  }
  if (opt->tls_cert != NULL) {
    if (tls_server_init(&d->tls, opt->tls_cert, opt->tls_key, err, errcap) != 0)
      return -1;
    d->have_tls = true;
  }
  if (opt->auth_users != NULL) {
    if (auth_users_load(&d->users, opt->auth_users, err, errcap) != 0)
      return -1;
    d->have_users = true;
  }
  configure_engine(d);
  hooks_init(&d->hooks);
  if (opt->max_per_ip > 0 && ipcount_init(&d->ipc, opt->max_sessions) != 0)
    goto oom;
  d->rbuf = malloc(DAEMON_READ_SIZE);
  d->pbuf = malloc(DAEMON_READ_SIZE);
  if (d->rbuf == NULL || d->pbuf == NULL)
    goto oom;
  raise_fd_limit();
  d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  d->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (d->epfd < 0) {
    snprintf(err, errcap, "epoll_create1: %s", strerror(errno));
    return -1;
  }
  if (setup_signals(d, err, errcap) != 0)
    return -1;
  /* The queue before the fsync worker: the worker publishes queue files too. */
  if (relay_init(d, err, errcap) != 0)
    return -1;
  if (d->have_maildir && batch_start(d, err, errcap) != 0)
    return -1;
  if (open_listeners(d, err, errcap) != 0)
    return -1;
  return metrics_open(d, err, errcap);
oom:
  snprintf(err, errcap, "out of memory");
  return -1;
}

/* close_listeners - stop accepting (the drain's first step). */
static void close_listeners(struct daemon *d) {
  for (size_t i = 0; i < d->nlisteners; i++) {
    if (d->listeners[i].fd < 0)
      continue;
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->listeners[i].fd, NULL);
    close(d->listeners[i].fd);
    d->listeners[i].fd = -1;
  }
}

/* on_signal - first SIGTERM/SIGINT drains; a second one stops at once. */
static void on_signal(struct daemon *d) {
  struct signalfd_siginfo si;
  while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    if (d->draining) {
      log_msg("second signal %u: closing %u sessions now", si.ssi_signo, d->nsessions);
      d->stop_now = true;
      continue;
    }
    d->draining = true;
    d->drain_started_ms = daemon_now_ms();
    log_msg("signal %u: draining %u sessions (no new connections)", si.ssi_signo, d->nsessions);
    close_listeners(d);
    for (struct session *s = d->sessions, *next; s != NULL; s = next) {
      next = s->next;
      session_shutdown(s);
    }
  }
}

/* run_timers - fire every deadline that passed; recompute the next one. */
static void run_timers(struct daemon *d) {
  uint64_t now = daemon_now_ms(), next = 0;
  if (d->next_deadline_ms == 0 || now + TIMER_SLACK_MS < d->next_deadline_ms)
    return;
  d->next_deadline_ms = 0;
  for (struct session *s = d->sessions, *after; s != NULL; s = after) {
    after = s->next;
    if (s->deadline_ms != 0 && s->deadline_ms <= now + TIMER_SLACK_MS)
      session_timeout(s);
  }
  /* session_timeout may have re-armed timers through daemon_set_deadline. */
  for (struct session *s = d->sessions; s != NULL; s = s->next)
    if (s->deadline_ms != 0 && (next == 0 || s->deadline_ms < next))
      next = s->deadline_ms;
  d->next_deadline_ms = next;
}

/* earliest - the sooner of two deadlines (0 means none). */
static uint64_t earliest(uint64_t a, uint64_t b) {
  if (a == 0)
    return b;
  if (b == 0)
    return a;
  return a < b ? a : b;
}

/* wait_ms - how long epoll may sleep: until the next session, relay, scraper or drain
 * deadline. */
static int wait_ms(const struct daemon *d) {
  uint64_t now, next = d->next_deadline_ms;
  if ((d->nbatch > 0 && !d->sync.busy) || d->dead != NULL)
    return 0;
  next = earliest(next, relay_next_deadline(d));
  for (const struct metrics_conn *c = d->metrics_conns; c != NULL; c = c->next)
    next = earliest(next, c->dead ? 1 : c->deadline_ms);
  if (d->draining)
    next = earliest(next, d->drain_started_ms + (uint64_t)d->opt->drain_timeout * 1000);
  if (next == 0)
    return -1;
  now = daemon_now_ms();
  if (next <= now)
    return 0;
  return next - now > 60000 ? 60000 : (int)(next - now);
}

/* drain_deadline - the overall limit on a drain: cut what is still open. */
static void drain_deadline(struct daemon *d) {
  if (!d->draining || d->stop_now)
    return;
  if (daemon_now_ms() < d->drain_started_ms + (uint64_t)d->opt->drain_timeout * 1000)
    return;
  log_msg("drain timeout (%u s): closing %u sessions and %zu relay connections now",
          d->opt->drain_timeout, d->nsessions, d->nrelays);
  d->stop_now = true;
}

/* free_dead - release sessions closed during this iteration; one whose message is on
 * the fsync worker becomes an orphan that batch_done frees. */
static void free_dead(struct daemon *d) {
  while (d->dead != NULL) {
    struct session *s = d->dead;
    d->dead = s->next_dead;
    if (s->in_batch)
      s->orphan = true;
    else
      session_destroy(s);
  }
}

/* daemon_run - the event loop; returns when drained after SIGTERM/SIGINT. */
int daemon_run(struct daemon *d) {
  struct epoll_event *evs = calloc(EVENTS_PER_WAIT, sizeof(*evs));
  if (evs == NULL) {
    log_msg("out of memory");
    return 1;
  }
  log_msg("ready: %zu listening addresses, hostname %s%s%s%s%s%s", d->nlisteners, d->hostname,
          d->have_tls ? ", STARTTLS" : "", d->have_users ? ", AUTH" : "",
          d->opt->no_store ? ", --no-store" : "", d->have_queue ? ", relaying" : "",
          d->opt->have_metrics ? ", metrics" : "");
  while (!d->stop_now &&
         !(d->draining && d->nsessions == 0 && d->nbatch == 0 && !d->sync.busy && !relay_busy(d))) {
    int n = epoll_wait(d->epfd, evs, EVENTS_PER_WAIT, wait_ms(d));
    if (n < 0 && errno != EINTR) {
      log_msg("epoll_wait: %s", strerror(errno));
      break;
    }
    for (int i = 0; i < n; i++) {
      enum handle_kind *kind = evs[i].data.ptr;
      if (*kind == HANDLE_LISTENER) {
        listener_accept(d, (struct listener *)(void *)kind);
      } else if (*kind == HANDLE_SIGNAL) {
        on_signal(d);
      } else if (*kind == HANDLE_SYNC) {
        batch_done(d);
      } else if (*kind == HANDLE_RELAY) {
        relay_event((struct relay_conn *)(void *)kind, evs[i].events);
      } else if (*kind == HANDLE_METRICS) {
        metrics_accept(d);
      } else if (*kind == HANDLE_METRICS_CONN) {
        metrics_conn_event(d, (struct metrics_conn *)(void *)kind, evs[i].events);
      } else {
        struct session *s = (struct session *)(void *)kind;
        if (!s->dead)
          session_event(s, evs[i].events);
      }
    }
    batch_kick(d);
    run_timers(d);
    relay_run(d);
    metrics_timers(d);
    drain_deadline(d);
    free_dead(d);
  }
  /* A second signal, the drain timeout (or an epoll failure): close what is left. A relay
   * connection cut before the next hop's 250 leaves its recipients pending. */
  relay_abort_all(d);
  while (d->sessions != NULL)
    session_close(d->sessions, "daemon stopping");
  free_dead(d);
  batch_stop(d); /* every message handed over becomes durable (or stays in tmp/) */
  free(evs);
  log_msg("stopped: %llu messages made durable in %llu fsync batches; %zu messages queued",
          (unsigned long long)d->batched_messages, (unsigned long long)d->batches, d->nqueued);
  return 0;
}

/* daemon_free - release everything. */
void daemon_free(struct daemon *d) {
  batch_stop(d);
  close_listeners(d);
  if (d->epfd >= 0)
    metrics_close(d);
  relay_free(d);
  free(d->batch);
  free(d->rbuf);
  free(d->pbuf);
  if (d->have_maildir)
    maildir_close(&d->maildir);
  if (d->have_tls)
    tls_server_free(&d->tls);
  if (d->have_users)
    auth_users_free(&d->users);
  if (d->opt != NULL && d->opt->max_per_ip > 0)
    ipcount_free(&d->ipc);
  if (d->sigfd >= 0)
    close(d->sigfd);
  if (d->epfd >= 0)
    close(d->epfd);
  if (d->reserve_fd >= 0)
    close(d->reserve_fd);
}
