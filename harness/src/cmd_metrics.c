/* cmd_metrics.c - smtpcheck metrics: read refsmtpd's live counters (its --metrics
 * endpoint: HTTP/1.0 GET /metrics, Prometheus text format) and print them, once or every
 * few seconds with the change since the last scrape. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_metrics.h"
#include "commands.h"
#include "conn.h"
#include "sbuf.h"

/* The largest exposition we read (refsmtpd's is about 3 KiB). */
#define METRICS_MAX (1024 * 1024)
#define METRICS_TIMEOUT_MS 5000

/* Parsed command line. */
struct metrics_args {
  const char *target;
  bool raw;
  unsigned watch_secs; /* 0: once */
  unsigned count;      /* scrapes with --watch; 0: until interrupted */
};

/* usage - the subcommand's help. */
static void usage(FILE *f) {
  fputs("usage: smtpcheck metrics [--raw] [--watch SECS [--count N]] HOST:PORT\n"
        "  Scrape refsmtpd's --metrics endpoint (GET /metrics) and print each counter.\n"
        "  --raw          print the Prometheus text exactly as served\n"
        "  --watch SECS   scrape again every SECS seconds, showing the change (+N)\n"
        "  --count N      stop after N scrapes (with --watch)\n"
        "exit status: 0 ok, 1 bad answer, 2 usage, 3 cannot connect\n",
        f);
}

/* parse_uint - a decimal in [1, max]. */
static int parse_uint(const char *s, unsigned max, unsigned *out) {
  char *end = NULL;
  unsigned long v;
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno != 0 || *end != '\0' || v == 0 || v > max)
    return -1;
  *out = (unsigned)v;
  return 0;
}

/* parse_args - argv[1..] into *a; EXIT_OK, EXIT_USAGE, or -1 for --help. */
static int parse_args(int argc, char **argv, struct metrics_args *a) {
  memset(a, 0, sizeof(*a));
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (cli_is_help(s))
      return -1;
    if (!strcmp(s, "--raw")) {
      a->raw = true;
    } else if (!strcmp(s, "--watch")) {
      if (parse_uint(i + 1 < argc ? argv[++i] : NULL, 86400, &a->watch_secs) != 0) {
        fprintf(stderr, "smtpcheck metrics: --watch needs 1 to 86400 seconds\n");
        return EXIT_USAGE;
      }
    } else if (!strcmp(s, "--count")) {
      if (parse_uint(i + 1 < argc ? argv[++i] : NULL, 1000000, &a->count) != 0) {
        fprintf(stderr, "smtpcheck metrics: --count needs a positive number\n");
        return EXIT_USAGE;
      }
    } else if (s[0] == '-' || a->target != NULL) {
      fprintf(stderr, "smtpcheck metrics: unexpected argument '%s'\n", s);
      return EXIT_USAGE;
    } else {
      a->target = s;
    }
  }
  if (a->target == NULL) {
    fprintf(stderr, "smtpcheck metrics: give HOST:PORT of refsmtpd --metrics\n");
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

/* fetch - one HTTP/1.0 GET /metrics (RFC 1945); *body is malloc'd and NUL-terminated.
 * Returns EXIT_OK, EXIT_FINDING (bad answer) or EXIT_UNREACHABLE, with err filled. */
static int fetch(const char *host, const char *port, char **body, char *err, size_t cap) {
  char req[512];
  struct sbuf buf = {0};
  struct conn *c = NULL;
  int rc = EXIT_FINDING, n;
  char *start;

  *body = NULL;
  c = conn_open(host, port, METRICS_TIMEOUT_MS, err, cap);
  if (c == NULL) {
    rc = EXIT_UNREACHABLE;
    goto out;
  }
  n = snprintf(req, sizeof(req), "GET /metrics HTTP/1.0\r\nHost: %s\r\nAccept: text/plain\r\n\r\n",
               host);
  if (n < 0 || (size_t)n >= sizeof(req) || conn_write_all(c, req, (size_t)n, METRICS_TIMEOUT_MS)) {
    snprintf(err, cap, "cannot send the request to %s", conn_peer(c));
    goto out;
  }
  for (;;) {
    ssize_t got;
    if (buf.len >= METRICS_MAX) {
      snprintf(err, cap, "answer longer than %d octets", METRICS_MAX);
      goto out;
    }
    if (sbuf_reserve(&buf, 65536) < 0) {
      snprintf(err, cap, "out of memory");
      goto out;
    }
    got = conn_read(c, buf.p + buf.len, buf.cap - buf.len - 1, METRICS_TIMEOUT_MS);
    if (got == 0)
      break; /* HTTP/1.0: the close ends the response */
    if (got < 0) {
      snprintf(err, cap, "reading from %s: %s", conn_peer(c),
               got == -2 ? "timed out" : conn_last_error(c));
      goto out;
    }
    buf.len += (size_t)got;
    buf.p[buf.len] = '\0';
  }
  if (strncmp(buf.p, "HTTP/1.", 7) != 0 || strlen(buf.p) < 12 ||
      strncmp(buf.p + 9, "200", 3) != 0) {
    snprintf(err, cap, "%s answered \"%.40s\", not HTTP 200", host, buf.p);
    goto out;
  }
  start = strstr(buf.p, "\r\n\r\n");
  if (start == NULL) {
    snprintf(err, cap, "%s sent no end of headers", host);
    goto out;
  }
  sbuf_consume(&buf, (size_t)(start + 4 - buf.p));
  *body = buf.p;
  buf.p = NULL;
  rc = EXIT_OK;
out:
  if (c != NULL)
    conn_close(c);
  sbuf_free(&buf);
  return rc;
}

/* previous_value - the value of sample name in the previous scrape's text, or -1. */
static long long previous_value(const char *prev, const char *name, size_t n) {
  for (const char *p = prev; p != NULL && *p != '\0';) {
    if (strncmp(p, name, n) == 0 && p[n] == ' ')
      return atoll(p + n + 1);
    p = strchr(p, '\n');
    if (p != NULL)
      p++;
  }
  return -1;
}

/* print_samples - "name value" lines (comments skipped), with "+delta" against prev. */
static void print_samples(const char *body, const char *prev) {
  for (const char *p = body; *p != '\0';) {
    const char *eol = strchr(p, '\n');
    size_t n = eol != NULL ? (size_t)(eol - p) : strlen(p);
    if (n > 0 && p[0] != '#') {
      const char *sp = memchr(p, ' ', n);
      size_t name_len = sp != NULL ? (size_t)(sp - p) : n;
      long long v = sp != NULL ? atoll(sp + 1) : 0, old;
      printf("%-48.*s %lld", (int)name_len, p, v);
      old = prev != NULL ? previous_value(prev, p, name_len) : -1;
      if (old >= 0 && v != old)
        printf("  (%+lld)", v - old);
      putchar('\n');
    }
    p += n + (eol != NULL);
  }
}

/* cmd_metrics - smtpcheck metrics [--raw] [--watch SECS [--count N]] HOST:PORT */
int cmd_metrics(int argc, char **argv) {
  struct metrics_args a;
  char host[256], port[16], err[512];
  char *prev = NULL;
  int rc = parse_args(argc, argv, &a);

  if (rc == -1) {
    usage(stdout);
    return EXIT_OK;
  }
  if (rc != EXIT_OK) {
    usage(stderr);
    return rc;
  }
  if (hostport_parse(a.target, "9100", host, sizeof(host), port, sizeof(port)) != 0) {
    fprintf(stderr, "smtpcheck metrics: '%s' is not HOST:PORT\n", a.target);
    return EXIT_USAGE;
  }
  for (unsigned i = 0;; i++) {
    char *body;
    rc = fetch(host, port, &body, err, sizeof(err));
    if (rc != EXIT_OK) {
      fprintf(stderr, "smtpcheck metrics: %s\n", err);
      break;
    }
    if (a.raw)
      fputs(body, stdout);
    else
      print_samples(body, prev);
    fflush(stdout);
    free(prev);
    prev = body;
    if (a.watch_secs == 0 || (a.count != 0 && i + 1 >= a.count))
      break;
    struct timespec ts = {(time_t)a.watch_secs, 0};
    nanosleep(&ts, NULL);
    if (!a.raw)
      putchar('\n');
  }
  free(prev);
  return rc;
}
