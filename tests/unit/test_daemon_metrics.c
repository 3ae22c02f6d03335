/* test_daemon_metrics.c - the Prometheus text exposition of the daemon's counters: every
 * sample has HELP and TYPE lines, names are valid, values are the counters. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* value_of - the value printed for sample name (exact match of the whole name). */
static long long value_of(const char *text, const char *name) {
  size_t n = strlen(name);
  for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p) {
    if (strncmp(p, name, n) == 0 && p[n] == ' ')
      return atoll(p + n + 1);
  }
  return -1;
}

Test(daemon_metrics, counters_and_gauges_appear_with_help_and_type_lines) {
  static struct daemon d; /* large: not on the stack */
  struct queue_entry e;
  struct queue_rcpt r[3];
  size_t len;
  memset(&d, 0, sizeof(d));
  memset(&e, 0, sizeof(e));
  memset(r, 0, sizeof(r));
  r[0].status = QUEUE_PENDING;
  r[1].status = QUEUE_DELIVERED;
  r[2].status = QUEUE_PENDING;
  e.rcpts = r;
  e.nrcpts = 3;
  d.queued = &e;
  d.nqueued = 1;
  d.nsessions = 4;
  d.counters.messages = 7;
  d.counters.message_octets = 1234;
  d.counters.replies[3] = 9;
  d.counters.relay_bounced = 2;
  char *text = metrics_text(&d, &len);
  cr_assert_not_null(text);
  cr_assert_eq(strlen(text), len);
  cr_assert_eq(value_of(text, "refsmtpd_sessions_open"), 4);
  cr_assert_eq(value_of(text, "refsmtpd_messages_accepted_total"), 7);
  cr_assert_eq(value_of(text, "refsmtpd_message_bytes_accepted_total"), 1234);
  cr_assert_eq(value_of(text, "refsmtpd_replies_total{class=\"5xx\"}"), 9);
  cr_assert_eq(value_of(text, "refsmtpd_replies_total{class=\"2xx\"}"), 0);
  cr_assert_eq(value_of(text, "refsmtpd_queue_messages"), 1);
  cr_assert_eq(value_of(text, "refsmtpd_queue_recipients"), 2, "pending recipients only");
  cr_assert_eq(value_of(text, "refsmtpd_relay_bounced_total"), 2);
  cr_assert_not_null(strstr(text, "# TYPE refsmtpd_sessions_open gauge\n"));
  cr_assert_not_null(strstr(text, "# TYPE refsmtpd_messages_accepted_total counter\n"));
  /* Every sample is preceded by its family's TYPE line; counters end in _total. */
  for (char *line = text, *next; *line != '\0'; line = next) {
    next = strchr(line, '\n');
    cr_assert_not_null(next, "the text ends with a newline");
    *next++ = '\0';
    if (line[0] == '#')
      continue;
    char name[128];
    size_t n = strcspn(line, "{ ");
    cr_assert_lt(n, sizeof(name));
    memcpy(name, line, n);
    name[n] = '\0';
    for (size_t i = 0; i < n; i++)
      cr_assert(name[i] == '_' || (name[i] >= 'a' && name[i] <= 'z'), "name %s", name);
  }
  free(text);
}
