/* runner.c - the probe connection and the pool of --jobs threads running tests. */
#include "runner.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "runner_session.h"

/* outcome_name - the result names of the JSON report. */
const char *outcome_name(enum test_outcome o) {
  static const char *const names[] = {"pass", "fail", "skip", "error"};
  return (unsigned)o < 4 ? names[o] : "error";
}

/* transcript_add - keep at most RUNNER_ENTRY_MAX octets of an entry, and at most
 * RUNNER_ENTRIES_MAX entries (a flooding server cannot exhaust memory). */
void transcript_add(struct test_result *res, char dir, const char *data, size_t len) {
  if (res->nentries >= RUNNER_ENTRIES_MAX) {
    res->dropped_entries++;
    return;
  }
  if ((res->nentries & (res->nentries - 1)) == 0) { /* grow at powers of two */
    size_t cap = res->nentries ? res->nentries * 2 : 8;
    struct transcript_entry *e = realloc(res->entries, cap * sizeof *e);
    if (!e)
      return;
    res->entries = e;
  }
  size_t keep = len < RUNNER_ENTRY_MAX ? len : RUNNER_ENTRY_MAX;
  char *copy = malloc(keep + 1);
  if (!copy)
    return;
  memcpy(copy, data, keep);
  copy[keep] = '\0';
  res->entries[res->nentries++] =
      (struct transcript_entry){.dir = dir, .data = copy, .len = keep, .dropped = len - keep};
}

/* runner_probe - greeting and EHLO on one connection, to learn the extensions. */
void runner_probe(const struct run_config *cfg, struct probe_result *out) {
  memset(out, 0, sizeof *out);
  struct script_test t = {.id = "probe", .level = LEVEL_MUST};
  struct test_result res = {.test = &t};
  struct session s = {.cfg = cfg, .t = &t, .res = &res, .timeout_ms = cfg->timeout_ms};
  s.vars.val[VAR_EHLO] = cfg->ehlo;
  s.c = conn_open(cfg->host, cfg->port, (int)cfg->timeout_ms, out->error, sizeof out->error);
  if (!s.c)
    goto out;
  if (cfg->tls) {
    struct conn_tls_options o = {NULL, NULL, false};
    char err[128];
    if (conn_start_tls(s.c, &o, (int)cfg->timeout_ms, err, sizeof err) < 0) {
      snprintf(out->error, sizeof out->error, "TLS handshake with %s failed: %s", conn_peer(s.c),
               err);
      goto out;
    }
  }
  out->reached = true;
  struct smtp_reply r;
  size_t used, partial;
  enum read_status rs = session_read_reply(&s, cfg->timeout_ms, &r, &used, &partial);
  if (rs != READ_REPLY) {
    snprintf(out->error, sizeof out->error, "%s greeted with no SMTP reply (%s)", conn_peer(s.c),
             rs == READ_TIMEOUT ? "nothing within the timeout"
             : rs == READ_EOF   ? "the connection closed"
                                : "not an SMTP reply");
    goto out;
  }
  sbuf_consume(&s.in, used);
  struct script_step st = {.kind = STEP_EHLO, .line = 0};
  session_ehlo(&s, &st, 0);
  /* The keywords count even when the reply has wire defects: tests judge those. */
  struct smtp_reply er;
  if (s.ehlo.len && smtp_reply_parse(s.ehlo.p, s.ehlo.len, &er) > 0 && er.code == 250)
    sbuf_append(&out->ehlo, s.ehlo.p, s.ehlo.len);
  out->usable = true; /* a greeting came; tests judge the rest themselves */
  sbuf_append(&s.queue, "QUIT\r\n", 6);
  session_flush(&s);
out:
  session_free(&s);
  for (size_t i = 0; i < res.nentries; i++)
    free(res.entries[i].data);
  free(res.entries);
}

/* The work shared by the pool's threads. */
struct pool {
  const struct run_config *cfg;
  const struct probe_result *probe;
  const struct script_test *const *tests;
  struct test_result *results;
  size_t n, next;
  size_t *order; /* indexes into tests, longest expected first */
  char run_id[32];
  pthread_mutex_t lock;
};

/* worker - take the next test until none is left. */
static void *worker(void *arg) {
  struct pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    size_t k = p->next < p->n ? p->next++ : p->n;
    pthread_mutex_unlock(&p->lock);
    if (k == p->n)
      return NULL;
    size_t i = p->order[k];
    char token[64];
    snprintf(token, sizeof token, "smtpcheck-%s-%zu", p->run_id, i);
    runner_test(p->cfg, p->probe, p->tests[i], token, &p->results[i]);
  }
}

/* fixed_wait_ms - the time a test is sure to take: its `silence` steps. */
static long fixed_wait_ms(const struct script_test *t) {
  long ms = 0;
  for (size_t i = 0; i < t->nsteps; i++)
    if (t->steps[i].kind == STEP_EXPECT && t->steps[i].spec.kind == SPEC_SILENCE)
      ms += t->steps[i].spec.silence_ms;
  return ms;
}

/* A test's place in the catalogue and its fixed wait, for sorting. */
struct wait_key {
  long ms;
  size_t index;
};

/* by_wait - longest fixed wait first, then catalogue order. */
static int by_wait(const void *a, const void *b) {
  const struct wait_key *x = a, *y = b;
  if (x->ms != y->ms)
    return x->ms > y->ms ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* schedule - start the slow tests first so that the pool finishes together. */
static size_t *schedule(const struct script_test *const *tests, size_t n) {
  struct wait_key *keys = calloc(n ? n : 1, sizeof *keys);
  size_t *order = calloc(n ? n : 1, sizeof *order);
  if (!keys || !order) {
    free(keys);
    free(order);
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    keys[i] = (struct wait_key){fixed_wait_ms(tests[i]), i};
  qsort(keys, n, sizeof *keys, by_wait);
  for (size_t i = 0; i < n; i++)
    order[i] = keys[i].index;
  free(keys);
  return order;
}

/* runner_run - a fixed pool of threads; results land in test order. */
int runner_run(const struct run_config *cfg, const struct probe_result *probe,
               const struct script_test *const *tests, size_t n, struct run_report *report) {
  long start = clock_now_ms();
  report->results = calloc(n ? n : 1, sizeof *report->results);
  report->n = n;
  if (!report->results)
    return -1;
  struct pool p = {.cfg = cfg,
                   .probe = probe,
                   .tests = tests,
                   .results = report->results,
                   .n = n,
                   .order = schedule(tests, n)};
  if (!p.order)
    return -1;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(p.run_id, sizeof p.run_id, "%lx%lx",
           (unsigned long)ts.tv_sec ^ ((unsigned long)getpid() << 16),
           (unsigned long)(ts.tv_nsec / 1000));
  pthread_mutex_init(&p.lock, NULL);
  int jobs = cfg->jobs < 1 ? 1 : cfg->jobs;
  if ((size_t)jobs > n)
    jobs = n ? (int)n : 1;
  pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
  int started = 0;
  for (int i = 0; threads && i < jobs; i++)
    if (pthread_create(&threads[i], NULL, worker, &p) == 0)
      started++;
  if (started == 0)
    worker(&p); /* no thread could start: run them all here */
  for (int i = 0; i < started; i++)
    pthread_join(threads[i], NULL);
  free(threads);
  free(p.order);
  pthread_mutex_destroy(&p.lock);
  report->duration_ms = clock_now_ms() - start;
  return 0;
}

/* runner_report_free - every transcript and the results array. */
void runner_report_free(struct run_report *report) {
  for (size_t i = 0; i < report->n; i++) {
    for (size_t k = 0; k < report->results[i].nentries; k++)
      free(report->results[i].entries[k].data);
    free(report->results[i].entries);
  }
  free(report->results);
  report->results = NULL;
  report->n = 0;
}

/* probe_result_free - the stored EHLO reply. */
void probe_result_free(struct probe_result *p) {
  sbuf_free(&p->ehlo);
}
