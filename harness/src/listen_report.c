/* listen_report.c - graded client sessions in the runner's report formats: every check
 * of every session becomes one test result (id "sN/check"), so text, TAP, JUnit and JSON
 * read as they do for `smtpcheck run`. */
#include "listen_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* test_new - a catalogue entry for check c of session n. */
static struct script_test *test_new(enum listen_check c, size_t n, const char *peer,
                                    const char *scenario) {
  const struct listen_check_info *info = listen_check_info(c);
  struct script_test *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  char id[96], about[512];
  snprintf(id, sizeof id, "s%zu/%s", n, info->id);
  snprintf(about, sizeof about, "%s (session %zu from %s, scenario %s)", info->about, n, peer,
           scenario);
  t->id = strdup(id);
  t->ref = strdup(info->ref);
  t->about = strdup(about);
  t->file = strdup(scenario);
  t->level = info->level;
  t->has_level = true;
  if (!t->id || !t->ref || !t->about || !t->file) {
    free(t->id), free(t->ref), free(t->about), free(t->file), free(t);
    return NULL;
  }
  return t;
}

/* copy_transcript - the session's transcript into one result. */
static void copy_transcript(struct test_result *res, const struct test_result *from) {
  for (size_t i = 0; i < from->nentries; i++) {
    const struct transcript_entry *e = &from->entries[i];
    transcript_add(res, e->dir, e->data, e->len);
    if (res->nentries)
      res->entries[res->nentries - 1].dropped += e->dropped;
  }
  res->dropped_entries += from->dropped_entries;
}

/* listen_report_add - LC_COUNT results for one session. */
int listen_report_add(struct listen_report *r, size_t number, const struct listen_session *s,
                      const char *peer, const char *scenario, long duration_ms) {
  size_t n = r->run.n + LC_COUNT;
  struct test_result *res = realloc(r->run.results, n * sizeof *res);
  if (!res)
    return -1;
  r->run.results = res;
  struct script_test **tests = realloc(r->tests, (r->ntests + LC_COUNT) * sizeof *tests);
  if (!tests)
    return -1;
  r->tests = tests;
  r->sessions++;
  for (int c = 0; c < LC_COUNT; c++) {
    struct script_test *t = test_new((enum listen_check)c, number, peer, scenario);
    if (!t)
      return -1;
    r->tests[r->ntests++] = t;
    struct test_result *out = &r->run.results[r->run.n++];
    memset(out, 0, sizeof *out);
    out->test = t;
    out->fail_level = t->level;
    out->duration_ms = duration_ms;
    enum listen_verdict v = s->verdicts.v[c];
    out->outcome = v == LV_PASS ? OUTCOME_PASS : v == LV_FAIL ? OUTCOME_FAIL : OUTCOME_SKIP;
    if (v != LV_PASS)
      snprintf(out->reason, sizeof out->reason, "%s", s->verdicts.reason[c]);
    if (v == LV_FAIL || r->verbose)
      copy_transcript(out, &s->transcript);
  }
  r->run.duration_ms += duration_ms;
  return 0;
}

/* listen_report_save - temp file in the same folder, fsync-free rename. */
int listen_report_save(const char *path, const struct listen_report *r, const char *format,
                       char *err, size_t errlen) {
  size_t n = strlen(path) + 16;
  char *tmp = malloc(n);
  int rc = -1;
  FILE *f = NULL;
  if (!tmp) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  snprintf(tmp, n, "%s.tmp", path);
  f = fopen(tmp, "w");
  if (!f) {
    snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    goto out;
  }
  rc = report_write(f, &r->run, format, r->verbose);
  if (fclose(f) != 0)
    rc = -1;
  f = NULL;
  if (rc == 0 && rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    rc = -1;
  } else if (rc != 0) {
    snprintf(err, errlen, "cannot write %s", tmp);
  }
  if (rc != 0)
    remove(tmp);
out:
  free(tmp);
  return rc;
}

/* listen_report_free - results (runner_report_free) and our catalogue copies. */
void listen_report_free(struct listen_report *r) {
  runner_report_free(&r->run);
  for (size_t i = 0; i < r->ntests; i++) {
    free(r->tests[i]->id);
    free(r->tests[i]->ref);
    free(r->tests[i]->about);
    free(r->tests[i]->file);
    free(r->tests[i]);
  }
  free(r->tests);
  r->tests = NULL;
  r->ntests = 0;
}
