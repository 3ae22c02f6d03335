/* listen_serve.c - one thread, one poll(2) over the listening socket and every open
 * session. Sessions are numbered as they are accepted and handed to the caller as each
 * ends; the listening socket is polled only while fewer than `parallel` are open, so
 * that later clients wait in the kernel's backlog, not half-served. */
#include "listen_serve.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "listen_client.h"

/* The most octets taken from one client in one read. */
#define READ_CHUNK 16384

/* One open session and what its message hook needs. */
struct slot {
  struct listen_client c;
  const struct listen_serve_hooks *h;
  size_t messages;
};

/* The loop's state. */
struct loop {
  const struct listen_serve_config *cfg;
  const struct listen_serve_hooks *h;
  struct slot **slots; /* cfg->parallel entries, NULL when free */
  size_t open, accepted, ended;
  long quiet_since; /* when the last session ended (or the loop began) */
};

/* slot_message - the engine's message hook, numbered for the caller. */
static void slot_message(void *ctx, const char *data, size_t len, size_t dropped) {
  struct slot *sl = ctx;
  if (sl->h->message)
    sl->h->message(sl->h->ctx, sl->c.number, ++sl->messages, data, len, dropped);
}

/* slot_open - serve the accepted fd in a free slot as session number n; -1 (fd closed)
 * when out of memory. */
static int slot_open(struct loop *lp, int fd, const char *peer) {
  size_t i = 0;
  while (lp->slots[i])
    i++;
  struct slot *sl = calloc(1, sizeof *sl);
  if (!sl) {
    struct listen_link l = {.fd = fd};
    listen_link_close(&l);
    return -1;
  }
  struct listen_session_config cfg = lp->cfg->engine;
  cfg.on_message = slot_message;
  cfg.ctx = sl;
  sl->h = lp->h;
  sl->c.number = ++lp->accepted;
  snprintf(sl->c.peer, sizeof sl->c.peer, "%s", peer);
  if (listen_client_start(&sl->c, fd, lp->cfg->tls, &lp->cfg->lim, &cfg) < 0) {
    free(sl);
    return -1;
  }
  listen_session_note(&sl->c.s, "client %s, scenario %s", peer, cfg.scenario->name);
  lp->slots[i] = sl;
  lp->open++;
  return 0;
}

/* slot_end - grade and free a session that ended; the hook's result. */
static int slot_end(struct loop *lp, size_t i) {
  struct slot *sl = lp->slots[i];
  listen_session_finish(&sl->c.s);
  long ms = clock_now_ms() - sl->c.start_ms;
  listen_link_close(&sl->c.link);
  int rc = lp->h->ended(lp->h->ctx, sl->c.number, sl->c.peer, &sl->c.s, ms);
  listen_client_close(&sl->c);
  free(sl);
  lp->slots[i] = NULL;
  lp->open--;
  lp->ended++;
  if (lp->open == 0)
    lp->quiet_since = clock_now_ms();
  return rc;
}

/* can_accept - a free slot, and --sessions not yet all accepted. */
static bool can_accept(const struct loop *lp) {
  return lp->open < lp->cfg->parallel &&
         (lp->cfg->sessions == 0 || lp->accepted < (size_t)lp->cfg->sessions);
}

/* accept_clients - take waiting clients while there is room; 0, or -1 with err. */
static int accept_clients(struct loop *lp, char *err, size_t errlen) {
  while (can_accept(lp)) {
    char peer[80] = "?";
    int fd = listen_accept(lp->cfg->lfd, peer, sizeof peer);
    if (fd == -2)
      return 0;
    if (fd < 0) {
      snprintf(err, errlen, "accept: %s", strerror(errno));
      return -1;
    }
    if (slot_open(lp, fd, peer) < 0) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
  }
  return 0;
}

/* poll_timeout - milliseconds until the earliest timer (the sessions', --wait's), or -1
 * when nothing but a client can wake us. */
static int poll_timeout(const struct loop *lp, long now) {
  long wake = -1;
  if (lp->open == 0 && lp->cfg->wait_ms >= 0)
    wake = lp->quiet_since + lp->cfg->wait_ms;
  for (size_t i = 0; i < lp->cfg->parallel; i++) {
    if (!lp->slots[i])
      continue;
    long w = listen_client_wake(&lp->slots[i]->c);
    if (wake < 0 || w < wake)
      wake = w;
  }
  if (wake < 0)
    return -1;
  long left = wake - now;
  return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* listen_serve - poll, step every session (a quiet one may have a timer due), end and
 * hand over the ones that ended, then accept. */
int listen_serve(const struct listen_serve_config *cfg, const struct listen_serve_hooks *h,
                 char *err, size_t errlen) {
  struct loop lp = {.cfg = cfg, .h = h, .quiet_since = clock_now_ms()};
  size_t np = cfg->parallel + 1;
  struct pollfd *pfd = calloc(np, sizeof *pfd);
  size_t *at = calloc(cfg->parallel, sizeof *at); /* slot i's index in pfd */
  char *buf = malloc(READ_CHUNK);
  lp.slots = calloc(cfg->parallel, sizeof *lp.slots);
  int rc = -1;
  if (!pfd || !at || !buf || !lp.slots) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  while (cfg->sessions == 0 || lp.ended < (size_t)cfg->sessions) {
    long now = clock_now_ms();
    if (lp.open == 0 && cfg->wait_ms >= 0 && now - lp.quiet_since >= cfg->wait_ms) {
      rc = 1;
      goto out;
    }
    nfds_t n = 0;
    bool listening = can_accept(&lp);
    if (listening)
      pfd[n++] = (struct pollfd){.fd = cfg->lfd, .events = POLLIN};
    for (size_t i = 0; i < cfg->parallel; i++) {
      if (!lp.slots[i])
        continue;
      at[i] = n;
      pfd[n++] = (struct pollfd){.fd = listen_client_fd(&lp.slots[i]->c),
                                 .events = listen_client_events(&lp.slots[i]->c)};
    }
    int ready = poll(pfd, n, poll_timeout(&lp, now));
    if (ready < 0 && errno != EINTR) {
      snprintf(err, errlen, "poll: %s", strerror(errno));
      goto out;
    }
    for (size_t i = 0; i < cfg->parallel; i++) {
      if (!lp.slots[i])
        continue;
      short rev = ready > 0 ? pfd[at[i]].revents : 0;
      if (listen_client_step(&lp.slots[i]->c, rev, buf, READ_CHUNK) && slot_end(&lp, i) < 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
      }
    }
    if (listening && ready > 0 && pfd[0].revents && accept_clients(&lp, err, errlen) < 0)
      goto out;
  }
  rc = 0;
out:
  for (size_t i = 0; lp.slots && i < cfg->parallel; i++) {
    if (lp.slots[i]) {
      listen_client_close(&lp.slots[i]->c);
      free(lp.slots[i]);
    }
  }
  free(lp.slots);
  free(buf);
  free(at);
  free(pfd);
  return rc;
}
