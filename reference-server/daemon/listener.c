/* listener.c - listening sockets and accept(), with session limits answered by 421. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"

/* Connections accepted per readiness event, so one busy port cannot starve the rest. */
#define ACCEPT_BATCH 64

/* listener_open - bind and listen; -1 with a message ("cannot listen on X: ..."). */
int listener_open(struct listener *l, const struct listen_addr *addr, char *err, size_t errcap) {
  int one = 1;
  int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  l->kind = HANDLE_LISTENER;
  l->addr = addr;
  l->fd = -1;
  if (fd < 0)
    goto fail;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (addr->ss.ss_family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) != 0)
    goto fail;
  if (listen(fd, 1024) != 0)
    goto fail;
  l->fd = fd;
  return 0;
fail:
  snprintf(err, errcap, "cannot listen on %s: %s", addr->text, strerror(errno));
  if (fd >= 0)
    close(fd);
  return -1;
}

/* refuse - answer a connection we will not serve with one 421 line and close it. */
static void refuse(struct daemon *d, int fd, const char *enhanced, const char *why) {
  char line[512];
  /* RFC 5321 3.1: a server may answer the connection with 421 and close. */
  int n = snprintf(line, sizeof(line), "421 %s %s %s\r\n", enhanced, d->hostname, why);
  if (n > 0 && (size_t)n < sizeof(line) && send(fd, line, (size_t)n, MSG_NOSIGNAL) < 0) {
    /* the peer is gone already: nothing to tell it */
  }
  close(fd);
}

/* out_of_descriptors - EMFILE: use the spare descriptor to accept and refuse one
 * client, so a level-triggered listener does not spin. */
static void out_of_descriptors(struct daemon *d, struct listener *l) {
  int fd;
  if (d->reserve_fd < 0)
    return;
  close(d->reserve_fd);
  fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd >= 0)
    refuse(d, fd, "4.3.2", "Too many connections, try later");
  d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  log_msg("out of file descriptors with %u sessions: refused a connection", d->nsessions);
}

/* listener_accept - accept pending connections into sessions (bounded per call). */
void listener_accept(struct daemon *d, struct listener *l) {
  for (int i = 0; i < ACCEPT_BATCH; i++) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);
    unsigned char key[16];
    int one = 1;
    int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE)
        out_of_descriptors(d, l);
      return; /* EAGAIN, or an error worth no more than a retry next round */
    }
    if (d->nsessions >= d->opt->max_sessions) {
      refuse(d, fd, "4.3.2", "Too many sessions, try later");
      continue;
    }
    if (d->opt->max_per_ip > 0) {
      ipcount_key((struct sockaddr *)&peer, key);
      if (ipcount_get(&d->ipc, key) >= d->opt->max_per_ip) {
        refuse(d, fd, "4.7.0", "Too many sessions from your address, try later");
        continue;
      }
    }
    /* Replies are small and pipelined clients wait for them: no Nagle delay. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (session_new(d, l, fd, (struct sockaddr *)&peer) == NULL) {
      refuse(d, fd, "4.3.2", "Insufficient system resources");
      continue;
    }
  }
}
