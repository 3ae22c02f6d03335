/* report_junit.c - JUnit XML, the format CI systems show as test results. */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "report.h"

/* xml_named - XML 1.0 2.4: markup characters as entities; LF and TAB kept as they are. */
static const char *xml_named(unsigned char c) {
  switch (c) {
  case '&':
    return "&amp;";
  case '<':
    return "&lt;";
  case '>':
    return "&gt;";
  case '"':
    return "&quot;";
  case '\'':
    return "&apos;";
  case '\n':
    return "\n";
  case '\t':
    return "\t";
  default:
    return NULL;
  }
}

/* xml - append text escaped for XML 1.0 content and attributes: markup characters as
 * entities; octets XML cannot carry (controls, invalid UTF-8) as visible \xNN. */
static void xml(struct sbuf *out, const char *p, size_t n) {
  static const struct escape_style style = {.named = xml_named, .numeric = "\\x", .utf8 = true};
  escape_append(p, n, &style, out);
}

/* xs - append a NUL-terminated string, escaped. */
static void xs(struct sbuf *out, const char *s) {
  xml(out, s, strlen(s));
}

/* lit - append markup. */
static void lit(struct sbuf *out, const char *s) {
  sbuf_append(out, s, strlen(s));
}

/* classname - the script file without ".smtp", '/' as '.', e.g. "rfc5321.sequence". */
static void classname(struct sbuf *out, const char *file) {
  size_t n = strlen(file);
  if (n > 5 && !strcmp(file + n - 5, ".smtp"))
    n -= 5;
  for (size_t i = 0; i < n; i++)
    xml(out, file[i] == '/' ? "." : file + i, 1);
}

/* counts - the tests/failures/errors/skipped/time attributes. */
static void counts(struct sbuf *out, const struct run_report *r) {
  struct report_counts c;
  report_count(r, &c);
  sbuf_appendf(out,
               " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
               "time=\"%.3f\"",
               c.total, c.fail, c.error, c.skip, (double)r->duration_ms / 1000);
}

/* testcase - one <testcase> with its failure/error/skipped child. */
static void testcase(struct sbuf *out, const struct test_result *t, bool verbose) {
  char tmp[64];
  lit(out, "    <testcase name=\"");
  xs(out, t->test->id);
  lit(out, "\" classname=\"");
  classname(out, t->test->file);
  sbuf_appendf(out, "\" time=\"%.3f\"", (double)t->duration_ms / 1000);
  if (t->outcome == OUTCOME_PASS && !verbose) {
    lit(out, "/>\n");
    return;
  }
  lit(out, ">\n");
  if (t->outcome == OUTCOME_SKIP) {
    lit(out, "      <skipped message=\"");
    xs(out, t->reason);
    lit(out, "\"/>\n");
  } else {
    const char *el = t->outcome == OUTCOME_FAIL    ? "failure"
                     : t->outcome == OUTCOME_ERROR ? "error"
                                                   : "system-out";
    lit(out, "      <");
    lit(out, el);
    if (t->outcome != OUTCOME_PASS) {
      lit(out, " message=\"");
      xs(out, t->reason);
      lit(out, "\" type=\"");
      lit(out, script_level_name(t->outcome == OUTCOME_FAIL ? t->fail_level : t->test->level));
      lit(out, "\"");
    }
    lit(out, ">");
    xs(out, t->test->ref);
    lit(out, " ");
    lit(out, script_level_name(t->test->level));
    lit(out, ": ");
    xs(out, t->test->about);
    snprintf(tmp, sizeof tmp, "\n(%.40s:%d)\n", t->test->file,
             t->fail_line ? t->fail_line : t->test->line);
    xs(out, tmp);
    struct sbuf lines = {0};
    report_transcript_lines(t, "", &lines);
    if (lines.len)
      xml(out, lines.p, lines.len);
    sbuf_free(&lines);
    lit(out, "</");
    lit(out, el);
    lit(out, ">\n");
  }
  lit(out, "    </testcase>\n");
}

/* report_junit - one testsuite named after the target. */
int report_junit(FILE *f, const struct run_report *r, bool verbose) {
  struct sbuf out = {0};
  lit(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"smtpcheck\"");
  counts(&out, r);
  lit(&out, ">\n  <testsuite name=\"");
  xs(&out, r->target);
  lit(&out, "\"");
  counts(&out, r);
  lit(&out, ">\n");
  for (size_t i = 0; i < r->n; i++)
    testcase(&out, &r->results[i], verbose);
  lit(&out, "  </testsuite>\n</testsuites>\n");
  return report_emit(f, &out);
}
