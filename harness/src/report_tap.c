/* report_tap.c - TAP version 13 (testanything.org), which prove and CI tools read. */
#include <stdio.h>
#include <string.h>

#include "report.h"

/* tap_description - "id (ref, LEVEL)" with '#' escaped (it would start a directive). */
static void tap_description(const struct script_test *t, struct sbuf *out) {
  char tmp[600];
  int n = snprintf(tmp, sizeof tmp, "%s (%s, %s)", t->id, t->ref, script_level_name(t->level));
  for (int i = 0; i < n && (size_t)i < sizeof tmp - 1; i++) {
    if (tmp[i] == '#')
      sbuf_append(out, "\\", 1);
    if (tmp[i] == '\n' || tmp[i] == '\r')
      tmp[i] = ' ';
    sbuf_append(out, tmp + i, 1);
  }
}

/* yaml_block - the YAML diagnostics of a failure (JSON strings are YAML double-quoted
 * scalars, so the JSON escaper serves). */
static void yaml_block(const struct test_result *t, struct sbuf *out) {
  sbuf_append(out, "  ---\n  message: ", 17);
  report_json_string(t->reason, strlen(t->reason), out);
  sbuf_appendf(out, "\n  severity: %s\n  level: %s\n",
               t->outcome == OUTCOME_FAIL    ? "fail"
               : t->outcome == OUTCOME_ERROR ? "error"
                                             : "pass",
               script_level_name(t->outcome == OUTCOME_FAIL ? t->fail_level : t->test->level));
  sbuf_append(out, "  about: ", 9);
  report_json_string(t->test->about, strlen(t->test->about), out);
  sbuf_append(out, "\n  at: ", 7);
  char at[600];
  int n =
      snprintf(at, sizeof at, "%s:%d", t->test->file, t->fail_line ? t->fail_line : t->test->line);
  report_json_string(at, (size_t)n < sizeof at ? (size_t)n : sizeof at - 1, out);
  sbuf_append(out, "\n  transcript:\n", 15);
  struct sbuf lines = {0};
  report_transcript_lines(t, "", &lines);
  size_t pos = 0;
  while (pos < lines.len) {
    const char *nl = memchr(lines.p + pos, '\n', lines.len - pos);
    size_t end = nl ? (size_t)(nl - lines.p) : lines.len;
    sbuf_append(out, "    - ", 6);
    report_json_string(lines.p + pos, end - pos, out);
    sbuf_append(out, "\n", 1);
    pos = end + 1;
  }
  sbuf_free(&lines);
  sbuf_append(out, "  ...\n", 6);
}

/* report_tap - one test point per test; skips as "# SKIP reason". */
int report_tap(FILE *f, const struct run_report *r, bool verbose) {
  struct sbuf out = {0};
  sbuf_append(&out, "TAP version 13\n", 15);
  sbuf_appendf(&out, "1..%zu\n", r->n);
  for (size_t i = 0; i < r->n; i++) {
    const struct test_result *t = &r->results[i];
    bool ok = t->outcome == OUTCOME_PASS || t->outcome == OUTCOME_SKIP;
    sbuf_appendf(&out, "%s %zu - ", ok ? "ok" : "not ok", i + 1);
    tap_description(t->test, &out);
    if (t->outcome == OUTCOME_SKIP) {
      sbuf_append(&out, " # SKIP ", 8);
      for (const char *p = t->reason; *p; p++)
        if (*p != '#' && *p != '\n')
          sbuf_append(&out, p, 1);
    }
    sbuf_append(&out, "\n", 1);
    if (!ok || (verbose && t->outcome == OUTCOME_PASS))
      yaml_block(t, &out);
  }
  sbuf_append(&out, "# ", 2);
  report_summary(r, &out);
  sbuf_append(&out, "\n", 1);
  return report_emit(f, &out);
}
