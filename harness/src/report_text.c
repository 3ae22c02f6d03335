/* report_text.c - the readable report: a table, each failure's evidence, a summary line. */
#include <string.h>

#include "report.h"
#include "wire.h"

/* report_count - tally outcomes, and failures by the level they fail at. */
void report_count(const struct run_report *r, struct report_counts *c) {
  memset(c, 0, sizeof *c);
  c->total = r->n;
  for (size_t i = 0; i < r->n; i++) {
    const struct test_result *t = &r->results[i];
    switch (t->outcome) {
    case OUTCOME_PASS:
      c->pass++;
      break;
    case OUTCOME_FAIL:
      c->fail++;
      c->fail_by_level[t->fail_level <= LEVEL_MAY ? t->fail_level : LEVEL_MAY]++;
      break;
    case OUTCOME_SKIP:
      c->skip++;
      break;
    case OUTCOME_ERROR:
      c->error++;
      break;
    }
  }
}

/* seen_before - true if an earlier skipped result has the same reason (or keyword). */
static bool seen_before(const struct run_report *r, size_t i, bool ext) {
  for (size_t k = 0; k < i; k++) {
    const struct test_result *a = &r->results[k], *b = &r->results[i];
    if (a->outcome != OUTCOME_SKIP || (a->skip_ext[0] != '\0') != ext)
      continue;
    if (ext ? !strcmp(a->skip_ext, b->skip_ext) : !strcmp(a->reason, b->reason))
      return true;
  }
  return false;
}

/* skip_reasons - "not offered: CHUNKING, DSN; needs --maildir". */
static int skip_reasons(const struct run_report *r, struct sbuf *out) {
  bool any_ext = false, first = true;
  for (size_t i = 0; i < r->n; i++) {
    const struct test_result *t = &r->results[i];
    if (t->outcome != OUTCOME_SKIP || !t->skip_ext[0] || seen_before(r, i, true))
      continue;
    sbuf_appendf(out, "%s%s", any_ext ? ", " : "not offered: ", t->skip_ext);
    any_ext = true;
    first = false;
  }
  for (size_t i = 0; i < r->n; i++) {
    const struct test_result *t = &r->results[i];
    if (t->outcome != OUTCOME_SKIP || t->skip_ext[0] || seen_before(r, i, false))
      continue;
    sbuf_appendf(out, "%s%s", first ? "" : "; ", t->reason);
    first = false;
  }
  return 0;
}

/* report_summary - the countable closing line. */
int report_summary(const struct run_report *r, struct sbuf *out) {
  struct report_counts c;
  report_count(r, &c);
  sbuf_appendf(out, "%zu test%s: %zu passed, %zu failed", c.total, c.total == 1 ? "" : "s", c.pass,
               c.fail);
  if (c.fail) {
    const char *sep = " (";
    for (int l = LEVEL_MUST; l <= LEVEL_MAY; l++) {
      if (!c.fail_by_level[l])
        continue;
      sbuf_appendf(out, "%s%zu %s", sep, c.fail_by_level[l],
                   script_level_name((enum script_level)l));
      sep = ", ";
    }
    sbuf_appendf(out, ")");
  }
  sbuf_appendf(out, ", %zu skipped", c.skip);
  if (c.skip) {
    sbuf_appendf(out, " (");
    skip_reasons(r, out);
    sbuf_appendf(out, ")");
  }
  if (c.error)
    sbuf_appendf(out, ", %zu error%s", c.error, c.error == 1 ? "" : "s");
  return 0;
}

/* report_transcript_lines - visible transcript lines, one per line sent or received. */
int report_transcript_lines(const struct test_result *t, const char *indent, struct sbuf *out) {
  for (size_t i = 0; i < t->nentries; i++) {
    const struct transcript_entry *e = &t->entries[i];
    const char *prefix = e->dir == 'C' ? "C: " : e->dir == 'S' ? "S: " : "*  ";
    size_t pos = 0;
    do {
      const char *nl = memchr(e->data + pos, '\n', e->len - pos);
      size_t end = nl ? (size_t)(nl - e->data) + 1 : e->len;
      sbuf_appendf(out, "%s%s", indent, prefix);
      if (e->dir == '*')
        sbuf_append(out, e->data + pos, end - pos);
      else
        wire_escape(e->data + pos, end - pos, out);
      if (end == e->len && e->dropped)
        sbuf_appendf(out, " [+%zu octets not kept]", e->dropped);
      sbuf_append(out, "\n", 1);
      pos = end;
    } while (pos < e->len);
  }
  if (t->dropped_entries)
    sbuf_appendf(out, "%s[%zu more transcript entries not kept]\n", indent, t->dropped_entries);
  return 0;
}

/* result_label - the table's RESULT column: problems in capitals. */
static const char *result_label(enum test_outcome o) {
  switch (o) {
  case OUTCOME_PASS:
    return "pass";
  case OUTCOME_FAIL:
    return "FAIL";
  case OUTCOME_SKIP:
    return "skip";
  default:
    return "ERROR";
  }
}

/* details - one failure's (or error's, or verbose pass's) evidence. */
static void details(const struct test_result *t, struct sbuf *out) {
  const struct script_test *s = t->test;
  sbuf_appendf(out, "\n%s %s (%s, %s)\n", result_label(t->outcome), s->id, s->ref,
               script_level_name(s->level));
  sbuf_appendf(out, "  %s\n", s->about);
  if (t->outcome == OUTCOME_FAIL || t->outcome == OUTCOME_ERROR) {
    sbuf_appendf(out, "  %s: %s", t->outcome == OUTCOME_FAIL ? "reason" : "error", t->reason);
    if (t->fail_line)
      sbuf_appendf(out, " (%s:%d)", s->file, t->fail_line);
    if (t->outcome == OUTCOME_FAIL && t->fail_level != s->level)
      sbuf_appendf(out, " [fails at %s]", script_level_name(t->fail_level));
    sbuf_appendf(out, "\n");
  }
  report_transcript_lines(t, "    ", out);
}

/* report_text - table, then evidence, then the summary. */
int report_text(FILE *f, const struct run_report *r, bool verbose) {
  struct sbuf out = {0};
  size_t refw = 3;
  for (size_t i = 0; i < r->n; i++) {
    size_t w = strlen(r->results[i].test->ref);
    refw = w > refw ? w : refw;
  }
  sbuf_appendf(&out, "smtpcheck %s %s: %zu test%s in %.3f s\n\n", r->command ? r->command : "run",
               r->target, r->n, r->n == 1 ? "" : "s", (double)r->duration_ms / 1000);
  sbuf_appendf(&out, "RESULT  LEVEL   %-*s  TEST\n", (int)refw, "REF");
  for (size_t i = 0; i < r->n; i++) {
    const struct test_result *t = &r->results[i];
    sbuf_appendf(&out, "%-6s  %-6s  %-*s  %s", result_label(t->outcome),
                 script_level_name(t->test->level), (int)refw, t->test->ref, t->test->id);
    if (t->outcome == OUTCOME_SKIP)
      sbuf_appendf(&out, "  (%s)", t->reason);
    sbuf_appendf(&out, "\n");
  }
  for (size_t i = 0; i < r->n; i++) {
    const struct test_result *t = &r->results[i];
    if (t->outcome == OUTCOME_FAIL || t->outcome == OUTCOME_ERROR ||
        (verbose && t->outcome == OUTCOME_PASS))
      details(t, &out);
  }
  sbuf_appendf(&out, "\n");
  report_summary(r, &out);
  sbuf_appendf(&out, "\n");
  return report_emit(f, &out);
}
