/* relay.c - the relay queue's scheduler: which message goes where and when, retries with
 * backoff, expiry, and what each recipient's outcome means (RFC 5321 4.5.4.1, 6.1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "relay.h"

/* log_bad_file - a queue file that cannot be read at start-up stays where it is. */
static void log_bad_file(const char *name, const char *why) {
  log_msg("queue: skipping unreadable file new/%s: %s", name, why);
}

/* relay_init - open the queue, load routes, the TLS client context; scan the queue. */
int relay_init(struct daemon *d, char *err, size_t errcap) {
  const struct refsmtpd_options *o = d->opt;
  uint64_t now = daemon_now_ms();

  if (o->queue == NULL)
    return 0;
  if (queue_open(&d->queue, o->queue, err, errcap) != 0)
    return -1;
  d->have_queue = true;
  if (routes_load(&d->routes, o->routes, o->relay_host, err, errcap) != 0)
    return -1;
  if (o->relay_tls != RELAY_TLS_NONE) {
    if (tls_client_init(&d->tls_client, o->relay_tls == RELAY_TLS_VERIFY, o->relay_ca, err,
                        errcap) != 0)
      return -1;
    d->have_tls_client = true;
  }
  /* RFC 5321 4.5.4.1: the queue outlives the process; everything in it is due now. */
  d->nqueued = queue_scan(&d->queue, &d->queued, log_bad_file);
  for (struct queue_entry *e = d->queued; e != NULL; e = e->next) {
    e->round = 1;
    e->next_ms = now;
  }
  if (d->nqueued > 0)
    d->relay_next_ms = now;
  log_msg("queue %s: %zu messages waiting", o->queue, d->nqueued);
  return 0;
}

/* relay_free - close connections, release entries. */
void relay_free(struct daemon *d) {
  while (d->relays != NULL) {
    struct relay_conn *c = d->relays;
    d->relays = c->next;
    relay_conn_free(c);
  }
  d->nrelays = 0;
  while (d->queued != NULL) {
    struct queue_entry *e = d->queued;
    d->queued = e->next;
    queue_entry_free(e);
  }
  d->nqueued = 0;
  if (d->have_queue) {
    routes_free(&d->routes);
    queue_close(&d->queue);
    d->have_queue = false;
  }
  if (d->have_tls_client) {
    tls_client_free(&d->tls_client);
    d->have_tls_client = false;
  }
}

/* relay_set_diag - remember a recipient's last reply or error (printable ASCII only). */
void relay_set_diag(struct queue_rcpt *r, int code, const char *text, size_t len, bool smtp) {
  char buf[320];
  size_t o = 0;
  if (smtp)
    o = (size_t)snprintf(buf, sizeof(buf), "%03d ", code);
  for (size_t i = 0; i < len && o + 1 < sizeof(buf); i++) {
    unsigned char ch = (unsigned char)text[i];
    buf[o++] = ch < ' ' || ch >= 0x7f ? '?' : (char)ch;
  }
  buf[o] = '\0';
  free(r->diag);
  r->diag = strdup(buf);
  r->diag_smtp = smtp;
  r->code = code;
}

/* relay_enqueue - a message reached the queue: schedule it now. */
void relay_enqueue(struct daemon *d, const char *name) {
  struct queue_entry *e = queue_load(&d->queue, name);
  if (e == NULL) {
    log_msg("queue: cannot read new/%s back: %s (left for the next start)", name, strerror(errno));
    return;
  }
  e->round = 1;
  e->next_ms = daemon_now_ms();
  e->next = d->queued;
  d->queued = e;
  d->nqueued++;
  d->relay_next_ms = e->next_ms;
}

/* domain_of - the domain of an address ("" if none). */
static const char *domain_of(const char *addr) {
  const char *at = strrchr(addr, '@');
  return at != NULL ? at + 1 : "";
}

/* next_hop_of - where recipient i goes now (routes may have changed since it queued). */
static const char *next_hop_of(const struct daemon *d, const struct queue_entry *e, size_t i) {
  const char *dom = domain_of(e->rcpts[i].addr);
  return routes_next_hop(&d->routes, dom, strlen(dom));
}

/* backoff_ms - RFC 5321 4.5.4.1: retry at least 30 minutes apart in real life; here
 * --retry-min doubled per round, capped at --retry-max. */
static uint64_t backoff_ms(const struct daemon *d, unsigned attempts) {
  uint64_t secs = d->opt->retry_min;
  for (unsigned i = 1; i < attempts && secs < d->opt->retry_max; i++)
    secs *= 2;
  if (secs > d->opt->retry_max)
    secs = d->opt->retry_max;
  return secs * 1000;
}

/* bounce_now - mark recipients idx[0..n-1] bounced on disk, then send one DSN for them. */
static void bounce_now(struct daemon *d, struct queue_entry *e, const size_t *idx, size_t n) {
  if (n == 0)
    return;
  for (size_t i = 0; i < n; i++) {
    if (queue_mark(&d->queue, e, idx[i], QUEUE_BOUNCED) != 0)
      log_msg("queue %s: cannot record the bounce of <%s>: %s", e->name, e->rcpts[idx[i]].addr,
              strerror(errno));
    e->rcpts[idx[i]].status = QUEUE_BOUNCED;
    if (!d->opt->quiet)
      log_msg("relay %s to=<%s>: bounced: %s", e->id, e->rcpts[idx[i]].addr,
              e->rcpts[idx[i]].diag != NULL ? e->rcpts[idx[i]].diag : "");
  }
  d->counters.relay_bounced += n;
  if (bounce_send(d, e, idx, n) != 0)
    log_msg("relay %s: cannot send the bounce to <%s>: %s", e->id, e->from, strerror(errno));
}

/* entry_remove - unlink the file of a message with no recipient pending, free it. */
static void entry_remove(struct daemon *d, struct queue_entry *e) {
  struct queue_entry **pp = &d->queued;
  while (*pp != NULL && *pp != e)
    pp = &(*pp)->next;
  if (*pp == NULL)
    return;
  *pp = e->next;
  d->nqueued--;
  if (queue_remove(&d->queue, e) != 0)
    log_msg("queue: cannot remove new/%s: %s", e->name, strerror(errno));
  else if (!d->opt->quiet)
    log_msg("relay %s: done, removed from the queue", e->id);
  queue_entry_free(e);
}

/* expire - RFC 5321 4.5.4.1: give up after the queue lifetime; bounce what is pending. */
static void expire(struct daemon *d, struct queue_entry *e) {
  size_t *idx = calloc(e->nrcpts, sizeof(*idx)), n = 0;
  for (size_t i = 0; i < e->nrcpts; i++) {
    struct queue_rcpt *r = &e->rcpts[i];
    if (r->status != QUEUE_PENDING)
      continue;
    if (r->diag == NULL) {
      const char *why = "delivery time expired";
      relay_set_diag(r, 0, why, strlen(why), false);
    }
    r->code = 0; /* the status becomes 4.4.7 unless the last reply says better */
    if (idx != NULL)
      idx[n++] = i;
  }
  if (idx == NULL) {
    log_msg("relay %s: out of memory while expiring; will retry", e->id);
    e->next_ms = daemon_now_ms() + 1000;
    return;
  }
  bounce_now(d, e, idx, n);
  free(idx);
  entry_remove(d, e);
}

/* end_round - after an attempt: go on in this round, back off, or finish the entry. */
static void end_round(struct daemon *d, struct queue_entry *e) {
  bool pending = false, untried = false;
  for (size_t i = 0; i < e->nrcpts; i++) {
    if (e->rcpts[i].status != QUEUE_PENDING)
      continue;
    pending = true;
    untried |= e->rcpts[i].round < e->round;
  }
  if (!pending) {
    entry_remove(d, e);
    return;
  }
  if (untried) {
    e->next_ms = daemon_now_ms(); /* other next hops of this round */
  } else {
    uint64_t wait = backoff_ms(d, ++e->attempts), now = (uint64_t)time(NULL);
    uint64_t expiry = e->created + d->opt->queue_lifetime;
    /* Never sleep past the expiry: the bounce goes out when the lifetime ends. */
    if (expiry > now && (expiry - now) * 1000 < wait)
      wait = (expiry - now) * 1000;
    e->round++;
    e->next_ms = daemon_now_ms() + wait;
  }
  if (d->relay_next_ms == 0 || e->next_ms < d->relay_next_ms)
    d->relay_next_ms = e->next_ms;
}

/* attempt_failed - no connection could carry the attempt: every recipient waits. */
static void attempt_failed(struct daemon *d, struct queue_entry *e, const size_t *idx, size_t n,
                           const char *why) {
  for (size_t i = 0; i < n; i++) {
    relay_set_diag(&e->rcpts[idx[i]], 0, why, strlen(why), false);
    d->counters.relay_deferred++;
  }
  if (!d->opt->quiet)
    log_msg("relay %s: deferred (%zu recipients): %s", e->id, n, why);
  end_round(d, e);
}

/* start_attempt - the pending recipients of this round that share the first one's next
 * hop go in one connection; a recipient no route serves any more bounces. */
static void start_attempt(struct daemon *d, struct queue_entry *e) {
  size_t *idx = calloc(e->nrcpts, sizeof(*idx)), n = 0, *noroute, nn = 0;
  const char *hop = NULL;
  char err[256];
  struct relay_conn *c;

  noroute = calloc(e->nrcpts, sizeof(*noroute));
  if (idx == NULL || noroute == NULL) {
    free(idx);
    free(noroute);
    e->next_ms = daemon_now_ms() + 1000;
    return;
  }
  for (size_t i = 0; i < e->nrcpts; i++) {
    struct queue_rcpt *r = &e->rcpts[i];
    const char *h;
    if (r->status != QUEUE_PENDING || r->round >= e->round)
      continue;
    h = next_hop_of(d, e, i);
    if (h == NULL) {
      /* RFC 3463 5.4.4: unable to route. */
      relay_set_diag(r, 550, "5.4.4 No route to that domain", 29, true);
      noroute[nn++] = i;
      continue;
    }
    if (hop == NULL)
      hop = h;
    if (strcmp(h, hop) == 0) {
      r->round = e->round;
      r->code = 0;
      idx[n++] = i;
    }
  }
  bounce_now(d, e, noroute, nn);
  free(noroute);
  if (n == 0) {
    free(idx);
    end_round(d, e);
    return;
  }
  d->counters.relay_attempts++;
  c = relay_conn_start(d, e, hop, idx, n, err, sizeof(err));
  if (c == NULL) {
    attempt_failed(d, e, idx, n, err);
    free(idx);
    return;
  }
  if (!d->opt->quiet)
    log_msg("relay %s: connecting to %s for %zu recipients (round %u)", e->id, hop, n, e->round);
  free(idx);
  e->busy = true;
  c->next = d->relays;
  d->relays = c;
  d->nrelays++;
}

/* relay_conn_finished - decide every recipient of the attempt. */
void relay_conn_finished(struct relay_conn *c) {
  struct daemon *d = c->d;
  struct queue_entry *e = c->e;
  const struct smtp_client_result *res;
  size_t *bounce, nb = 0, delivered = 0, deferred = 0;

  if (c->dead || e == NULL)
    return;
  c->dead = true;
  c->e = NULL;
  e->busy = false;
  res = smtp_client_result(c->client, 0);
  bounce = calloc(c->nrcpts, sizeof(*bounce));
  for (size_t i = 0; i < c->nrcpts; i++) {
    size_t k = c->rcpt_index[i];
    struct queue_rcpt *r = &e->rcpts[k];
    if (r->status == QUEUE_DELIVERED) {
      delivered++;
      continue;
    }
    if (r->status != QUEUE_PENDING)
      continue;
    if (r->code == 0 && res != NULL && res->final_code >= 400 &&
        res->failed_step != SMTP_STEP_DONE) {
      /* No reply of its own (greeting, EHLO, STARTTLS...): the session's failing reply. */
      char why[700];
      snprintf(why, sizeof(why), "%s refused: %s", smtp_step_name(res->failed_step),
               c->error[0] != '\0' ? c->error : "no detail");
      relay_set_diag(r, res->final_code, why, strlen(why), false);
    } else if (r->code == 0 || r->code / 100 == 2) {
      const char *why = c->error[0] != '\0' ? c->error : "the session ended early";
      relay_set_diag(r, 0, why, strlen(why), false);
    }
    /* RFC 5321 4.2.1: 5yz is permanent (bounce), 4yz and no answer are transient. */
    if (r->code / 100 == 5 && bounce != NULL) {
      bounce[nb++] = k;
    } else {
      deferred++;
      d->counters.relay_deferred++;
    }
  }
  if (!d->opt->quiet)
    log_msg("relay %s via %s: %zu delivered, %zu deferred, %zu bounced%s%s", e->id, c->next_hop,
            delivered, deferred, nb, c->error[0] != '\0' ? ": " : "", c->error);
  bounce_now(d, e, bounce, nb);
  free(bounce);
  end_round(d, e);
  d->relay_next_ms = daemon_now_ms(); /* reap the connection this round */
}

/* reap - free finished connections. */
static void reap(struct daemon *d) {
  struct relay_conn **pp = &d->relays;
  while (*pp != NULL) {
    struct relay_conn *c = *pp;
    if (!c->dead) {
      pp = &c->next;
      continue;
    }
    *pp = c->next;
    d->nrelays--;
    relay_conn_free(c);
  }
}

/* wall_now - wall-clock seconds, for the queue lifetime (it survives restarts). */
static uint64_t wall_now(void) {
  return (uint64_t)time(NULL);
}

/* relay_run - start due attempts, expire old messages, time out connections. */
void relay_run(struct daemon *d) {
  uint64_t now, next = 0;
  if (!d->have_queue)
    return;
  now = daemon_now_ms();
  if (d->relay_next_ms == 0 || now < d->relay_next_ms)
    return;
  for (struct relay_conn *c = d->relays; c != NULL; c = c->next) {
    if (!c->dead && c->deadline_ms <= now) {
      /* A reason already given (a refused certificate, then no close) is kept. */
      if (c->error[0] == '\0')
        snprintf(c->error, sizeof(c->error), "%s did not answer for %u s (RFC 5321 4.5.3.2)",
                 c->next_hop, d->opt->timeout_command);
      relay_conn_finished(c);
    }
  }
  reap(d);
  for (struct queue_entry *e = d->queued, *after; e != NULL && !d->draining; e = after) {
    after = e->next;
    if (e->busy || e->next_ms > now)
      continue;
    if (wall_now() >= e->created + d->opt->queue_lifetime) {
      expire(d, e);
      continue;
    }
    if (d->nrelays >= d->opt->max_relay_conns)
      break;
    start_attempt(d, e);
  }
  reap(d);
  for (struct relay_conn *c = d->relays; c != NULL; c = c->next)
    if (next == 0 || c->deadline_ms < next)
      next = c->deadline_ms;
  for (struct queue_entry *e = d->queued; e != NULL && !d->draining; e = e->next) {
    uint64_t t = e->next_ms;
    if (e->busy)
      continue;
    if (t <= now && d->nrelays >= d->opt->max_relay_conns)
      t = now + 1000; /* all connections busy: look again when one ends, or in 1 s */
    if (next == 0 || t < next)
      next = t;
  }
  d->relay_next_ms = next;
}

/* relay_next_deadline - the earliest relay timer (0: none). */
uint64_t relay_next_deadline(const struct daemon *d) {
  return d->relay_next_ms;
}

/* relay_busy - connections are under way. */
bool relay_busy(const struct daemon *d) {
  return d->nrelays > 0;
}

/* relay_abort_all - close every outbound connection now (recipients stay pending). */
void relay_abort_all(struct daemon *d) {
  for (struct relay_conn *c = d->relays; c != NULL; c = c->next) {
    if (!c->dead) {
      snprintf(c->error, sizeof(c->error), "refsmtpd stopping");
      relay_conn_finished(c);
    }
  }
  reap(d);
}
