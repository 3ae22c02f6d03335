/* metrics_http.c - the metrics endpoint: HTTP/1.0 "GET /metrics" on a loopback address,
 * served from the daemon's epoll loop; one request per connection, then close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"

/* A scraper gets this long to send its request and read the answer. */
#define METRICS_TIMEOUT_MS 5000
/* Scrapers served at once; more are closed at accept. */
#define METRICS_MAX_CONNS 16

/* metrics_open - listen on --metrics (options.c already refused non-loopback). */
int metrics_open(struct daemon *d, char *err, size_t errcap) {
  struct listener l;
  struct epoll_event ev;

  d->metrics.kind = HANDLE_METRICS;
  d->metrics.fd = -1;
  if (!d->opt->have_metrics)
    return 0;
  if (listener_open(&l, &d->opt->metrics, err, errcap) != 0)
    return -1;
  d->metrics.fd = l.fd;
  memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLIN;
  ev.data.ptr = &d->metrics;
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, l.fd, &ev) != 0) {
    snprintf(err, errcap, "cannot watch --metrics %s: %s", d->opt->metrics.text, strerror(errno));
    return -1;
  }
  return 0;
}

/* conn_free - close and release one scraper connection. */
static void conn_free(struct daemon *d, struct metrics_conn *c) {
  epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->resp);
  free(c);
}

/* metrics_close - stop listening and drop connections. */
void metrics_close(struct daemon *d) {
  if (d->metrics.fd >= 0) {
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->metrics.fd, NULL);
    close(d->metrics.fd);
    d->metrics.fd = -1;
  }
  while (d->metrics_conns != NULL) {
    struct metrics_conn *c = d->metrics_conns;
    d->metrics_conns = c->next;
    conn_free(d, c);
  }
}

/* metrics_accept - accept scrapers (a handful at a time). */
void metrics_accept(struct daemon *d) {
  size_t live = 0;
  for (struct metrics_conn *c = d->metrics_conns; c != NULL; c = c->next)
    live++;
  for (int i = 0; i < 8; i++) {
    struct epoll_event ev;
    struct metrics_conn *c;
    int fd = accept4(d->metrics.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;
    if (live >= METRICS_MAX_CONNS || (c = calloc(1, sizeof(*c))) == NULL) {
      close(fd);
      continue;
    }
    c->kind = HANDLE_METRICS_CONN;
    c->fd = fd;
    c->deadline_ms = daemon_now_ms() + METRICS_TIMEOUT_MS;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      free(c);
      continue;
    }
    c->next = d->metrics_conns;
    d->metrics_conns = c;
    live++;
  }
}

/* respond - build the whole HTTP/1.0 response (RFC 1945 6) for the request line. */
static void respond(struct daemon *d, struct metrics_conn *c) {
  const char *status = "200 OK", *type = "text/plain; version=0.0.4; charset=utf-8";
  char *body = NULL, head[256];
  size_t body_len = 0;
  int n;

  if (strncmp(c->req, "GET ", 4) != 0) {
    status = "405 Method Not Allowed";
  } else if (strncmp(c->req + 4, "/metrics ", 9) != 0 &&
             strncmp(c->req + 4, "/metrics\r", 9) != 0 &&
             strncmp(c->req + 4, "/metrics\n", 9) != 0) {
    status = "404 Not Found";
  } else {
    d->counters.metrics_scrapes++;
    body = metrics_text(d, &body_len);
    if (body == NULL)
      status = "500 Internal Server Error";
  }
  if (body == NULL) {
    type = "text/plain; charset=utf-8";
    body = strdup(status);
    body_len = body != NULL ? strlen(body) : 0;
  }
  n = snprintf(
      head, sizeof(head),
      "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
      type, body_len);
  c->resp = malloc((size_t)n + body_len);
  if (c->resp != NULL) {
    memcpy(c->resp, head, (size_t)n);
    if (body_len > 0)
      memcpy(c->resp + n, body, body_len);
    c->resp_len = (size_t)n + body_len;
  }
  free(body);
}

/* metrics_conn_event - read the request head, then write the response and close. */
void metrics_conn_event(struct daemon *d, struct metrics_conn *c, uint32_t events) {
  struct epoll_event ev;
  if (c->dead)
    return;
  if (c->resp == NULL && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
    ssize_t n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len, 0);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      c->dead = true;
      return;
    }
    c->req_len += (size_t)n;
    c->req[c->req_len] = '\0';
    /* The request head ends at an empty line; a bounded buffer ends it too. */
    if (strstr(c->req, "\r\n\r\n") == NULL && strstr(c->req, "\n\n") == NULL &&
        c->req_len < sizeof(c->req) - 1)
      return;
    respond(d, c);
    if (c->resp == NULL) {
      c->dead = true;
      return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLOUT;
    ev.data.ptr = c;
    epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
  }
  while (c->resp != NULL && c->resp_sent < c->resp_len) {
    ssize_t n = send(c->fd, c->resp + c->resp_sent, c->resp_len - c->resp_sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return;
      c->dead = true;
      return;
    }
    c->resp_sent += (size_t)n;
  }
  if (c->resp != NULL)
    c->dead = true; /* HTTP/1.0: the close ends the response */
}

/* metrics_timers - drop slow scrapers; free closed ones. */
void metrics_timers(struct daemon *d) {
  uint64_t now;
  struct metrics_conn **pp = &d->metrics_conns;
  if (*pp == NULL)
    return;
  now = daemon_now_ms();
  while (*pp != NULL) {
    struct metrics_conn *c = *pp;
    if (c->dead || now >= c->deadline_ms) {
      *pp = c->next;
      conn_free(d, c);
      continue;
    }
    pp = &c->next;
  }
}
