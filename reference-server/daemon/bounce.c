/* bounce.c - send a DSN (RFC 3464) for recipients that failed for good: into the Maildir
 * when the sender is local, else into the queue with the null reverse-path (RFC 5321
 * 4.5.5: "<>" so that a failing bounce never makes another one). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsn.h"
#include "relay.h"
#include "trace.h"

/* status_of - RFC 3463 status for a recipient: from its reply, or 4.4.7 on expiry. */
static void status_of(const struct queue_rcpt *r, char *buf, size_t cap) {
  const char *text = r->diag != NULL && r->diag_smtp && strlen(r->diag) > 4 ? r->diag + 4 : NULL;
  if (r->code / 100 == 5) {
    dsn_status(r->code, text, buf, cap);
    return;
  }
  /* RFC 3463 3.5: X.4.7 "delivery time expired", with the transient class of the last
   * reply when it gave one. */
  if (r->code / 100 == 4 && text != NULL) {
    dsn_status(r->code, text, buf, cap);
    if (strcmp(buf, "4.0.0") != 0)
      return;
  }
  snprintf(buf, cap, "4.4.7");
}

/* deliver_local - the bounce into the Maildir, durably (tmp/, fdatasync, rename, fsync). */
static int deliver_local(struct daemon *d, const char *id, const char *dsn, size_t len) {
  struct maildir_msg msg;
  char trace[512], date[64];
  struct tm tm;
  time_t now = time(NULL);
  int n;

  localtime_r(&now, &tm);
  strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
  /* RFC 5321 4.4: final delivery adds Return-Path: (here the null path) and Received:. */
  n = snprintf(trace, sizeof(trace),
               "Return-Path: <>\r\nReceived: by %s (refsmtpd bounce) id %s;\r\n\t%s\r\n",
               d->hostname, id, date);
  if (n < 0 || (size_t)n >= sizeof(trace)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if (maildir_begin(&d->maildir, &msg) != 0)
    return -1;
  if (maildir_write(&msg, trace, (size_t)n) != 0 || maildir_write(&msg, dsn, len) != 0 ||
      maildir_sync(&msg) != 0 || maildir_publish(&d->maildir, &msg) != 0) {
    int e = errno;
    maildir_abort(&d->maildir, &msg);
    errno = e;
    return -1;
  }
  return maildir_sync_new(&d->maildir);
}

/* queue_remote - the bounce into the queue for relaying, MAIL FROM:<>. */
static int queue_remote(struct daemon *d, const char *id, const char *to, const char *dsn,
                        size_t len) {
  char env[1024], name[128], *content;
  const char *rcpts[1] = {to};
  int n = queue_envelope_format(env, sizeof(env), id, (uint64_t)time(NULL), "", rcpts, 1);
  int m, rc;
  char date[64];
  struct tm tm;
  time_t now = time(NULL);

  if (n < 0) {
    errno = EINVAL;
    return -1;
  }
  content = malloc(len + 512);
  if (content == NULL)
    return -1;
  localtime_r(&now, &tm);
  strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
  m = snprintf(content, 512, "Received: by %s (refsmtpd bounce) id %s;\r\n\t%s\r\n", d->hostname,
               id, date);
  if (m < 0 || m >= 512) {
    free(content);
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(content + m, dsn, len);
  rc = queue_write(&d->queue, env, (size_t)n, content, (size_t)m + len, name, sizeof(name));
  free(content);
  if (rc == 0)
    relay_enqueue(d, name);
  return rc;
}

/* bounce_send - one DSN for recipients idx[0..n-1] of e. */
int bounce_send(struct daemon *d, struct queue_entry *e, const size_t *idx, size_t n) {
  struct dsn_rcpt *rows = NULL;
  char(*status)[16] = NULL, id[96];
  char *content = NULL, *dsn = NULL;
  size_t content_len = 0, dsn_len = 0;
  struct dsn_info info;
  const char *dom;
  int rc = -1;

  /* RFC 5321 6.1 and 4.5.5: never bounce a message with the null reverse-path. */
  if (e->from[0] == '\0') {
    if (!d->opt->quiet)
      log_msg("relay %s: no bounce for the null reverse-path", e->id);
    return 0;
  }
  rows = calloc(n, sizeof(*rows));
  status = calloc(n, sizeof(*status));
  if (rows == NULL || status == NULL)
    goto out;
  for (size_t i = 0; i < n; i++) {
    const struct queue_rcpt *r = &e->rcpts[idx[i]];
    status_of(r, status[i], sizeof(status[i]));
    rows[i].addr = r->addr;
    rows[i].status = status[i];
    rows[i].diag = r->diag;
    rows[i].smtp_diag = r->diag_smtp;
  }
  content = queue_read_content(&d->queue, e, &content_len);
  if (content == NULL)
    goto out;
  snprintf(id, sizeof(id), "%sB%" PRIu64, e->id, ++d->counters.bounces_sent);
  memset(&info, 0, sizeof(info));
  info.reporting_mta = d->hostname;
  info.sender = e->from;
  info.envelope_id = e->id;
  info.boundary_id = id;
  info.arrival = (time_t)e->created;
  info.now = time(NULL);
  info.rcpts = rows;
  info.nrcpts = n;
  info.content = content;
  info.content_len = content_len;
  dsn = dsn_format(&info, &dsn_len);
  if (dsn == NULL)
    goto out;
  dom = strrchr(e->from, '@');
  if (dom != NULL && policy_is_local(&d->policy, dom + 1, strlen(dom + 1)))
    rc = deliver_local(d, id, dsn, dsn_len);
  else
    rc = queue_remote(d, id, e->from, dsn, dsn_len);
  if (rc == 0 && !d->opt->quiet)
    log_msg("relay %s: bounce %s for %zu recipients sent to <%s> (%s)", e->id, id, n, e->from,
            dom != NULL && policy_is_local(&d->policy, dom + 1, strlen(dom + 1))
                ? "delivered locally"
                : "queued");
out:
  free(rows);
  free(status);
  free(content);
  free(dsn);
  return rc;
}
