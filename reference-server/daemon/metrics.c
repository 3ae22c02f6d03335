/* metrics.c - the daemon's counters in the Prometheus text exposition format (0.0.4):
 * "# HELP", "# TYPE", then "name{labels} value" lines. */
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"

/* put - one metric with its HELP and TYPE lines. */
static void put(FILE *f, const char *name, const char *type, const char *help, uint64_t v) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
          (unsigned long long)v);
}

/* metrics_text - the exposition text of the daemon's counters (malloc'd). */
char *metrics_text(const struct daemon *d, size_t *len) {
  const struct daemon_counters *k = &d->counters;
  uint64_t commands = k->commands, replies[4], auth_failures = k->auth_failures;
  static const char *const classes[4] = {"2xx", "3xx", "4xx", "5xx"};
  char *buf = NULL;
  size_t size = 0, pending = 0;
  FILE *f;

  for (int i = 0; i < 4; i++)
    replies[i] = k->replies[i];
  /* Closed sessions were added up at close; live ones are read now. */
  for (const struct session *s = d->sessions; s != NULL; s = s->next) {
    const struct smtp_server_stats *st = smtp_server_stats(s->srv);
    commands += st->commands;
    replies[0] += st->replies_2xx;
    replies[1] += st->replies_3xx;
    replies[2] += st->replies_4xx;
    replies[3] += st->replies_5xx;
    auth_failures += st->auth_failures;
  }
  for (const struct queue_entry *e = d->queued; e != NULL; e = e->next)
    pending += queue_pending(e);
  f = open_memstream(&buf, &size);
  if (f == NULL)
    return NULL;
  put(f, "refsmtpd_sessions_open", "gauge", "SMTP sessions open now.", d->nsessions);
  put(f, "refsmtpd_sessions_total", "counter", "SMTP sessions accepted.", k->sessions);
  put(f, "refsmtpd_commands_total", "counter", "SMTP commands received.", commands);
  fputs("# HELP refsmtpd_replies_total SMTP replies sent, by class of code.\n"
        "# TYPE refsmtpd_replies_total counter\n",
        f);
  for (int i = 0; i < 4; i++)
    fprintf(f, "refsmtpd_replies_total{class=\"%s\"} %llu\n", classes[i],
            (unsigned long long)replies[i]);
  put(f, "refsmtpd_messages_accepted_total", "counter",
      "Messages answered 250 after reaching the disk.", k->messages);
  put(f, "refsmtpd_message_bytes_accepted_total", "counter", "Content octets of those messages.",
      k->message_octets);
  put(f, "refsmtpd_tls_sessions_total", "counter", "TLS handshakes completed (in and out).",
      k->tls_sessions);
  put(f, "refsmtpd_auth_failures_total", "counter", "AUTH attempts answered 535.", auth_failures);
  put(f, "refsmtpd_loops_refused_total", "counter",
      "Messages refused for more than 100 Received: fields.", k->loops_refused);
  put(f, "refsmtpd_queue_messages", "gauge", "Messages in the relay queue.", d->nqueued);
  put(f, "refsmtpd_queue_recipients", "gauge", "Recipients pending in the relay queue.", pending);
  put(f, "refsmtpd_relay_connections", "gauge", "Outbound connections under way.", d->nrelays);
  put(f, "refsmtpd_relay_attempts_total", "counter", "Delivery attempts to a next hop.",
      k->relay_attempts);
  put(f, "refsmtpd_relay_delivered_total", "counter", "Recipients the next hop accepted.",
      k->relay_delivered);
  put(f, "refsmtpd_relay_deferred_total", "counter", "Recipient attempts that failed for now.",
      k->relay_deferred);
  put(f, "refsmtpd_relay_bounced_total", "counter", "Recipients that failed for good.",
      k->relay_bounced);
  put(f, "refsmtpd_relay_tls_refused_total", "counter",
      "Delivery attempts given up because the next hop's certificate did not verify.",
      k->relay_tls_refused);
  put(f, "refsmtpd_bounces_total", "counter", "Delivery status notifications generated.",
      k->bounces_sent);
  put(f, "refsmtpd_fsync_batches_total", "counter", "Group commits of the fsync worker.",
      d->batches);
  put(f, "refsmtpd_metrics_scrapes_total", "counter", "Requests to this endpoint.",
      k->metrics_scrapes);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  *len = size;
  return buf;
}
