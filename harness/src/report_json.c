/* report_json.c - the JSON report (names fixed by issue 3) and JSON string escaping. */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "report.h"

/* json_named - RFC 8259 7: the two-character escapes, and '"' and '\\' which must be. */
static const char *json_named(unsigned char c) {
  switch (c) {
  case '"':
    return "\\\"";
  case '\\':
    return "\\\\";
  case '\r':
    return "\\r";
  case '\n':
    return "\\n";
  case '\t':
    return "\\t";
  default:
    return NULL;
  }
}

/* report_json_string - RFC 8259 7 string escaping of arbitrary octets: other controls and
 * octets that are not UTF-8 as \u00XX (read as Latin-1). */
int report_json_string(const char *p, size_t n, struct sbuf *out) {
  static const struct escape_style style = {
      .named = json_named, .numeric = "\\u00", .keep_del = true, .utf8 = true};
  if (sbuf_append(out, "\"", 1) < 0 || escape_append(p, n, &style, out) < 0)
    return -1;
  return sbuf_append(out, "\"", 1);
}

/* str - append a NUL-terminated string as JSON. */
static void str(struct sbuf *out, const char *s) {
  report_json_string(s, strlen(s), out);
}

/* lit - append literal text. */
static void lit(struct sbuf *out, const char *s) {
  sbuf_append(out, s, strlen(s));
}

/* num - append a number. */
static void num(struct sbuf *out, long v) {
  sbuf_appendf(out, "%ld", v);
}

/* report_json - {"target", "duration_ms", "summary", "tests": [...]}; runner notes ('*'
 * entries) are not part of the transcript, which holds only what C and S sent. */
int report_json(FILE *f, const struct run_report *r, bool verbose) {
  (void)verbose;
  struct report_counts c;
  report_count(r, &c);
  struct sbuf out = {0};
  lit(&out, "{\"target\":");
  str(&out, r->target);
  lit(&out, ",\"duration_ms\":");
  num(&out, r->duration_ms);
  lit(&out, ",\"summary\":{\"pass\":");
  num(&out, (long)c.pass);
  lit(&out, ",\"fail\":");
  num(&out, (long)c.fail);
  lit(&out, ",\"skip\":");
  num(&out, (long)c.skip);
  lit(&out, ",\"error\":");
  num(&out, (long)c.error);
  lit(&out, "},\n\"tests\":[");
  for (size_t i = 0; i < r->n; i++) {
    const struct test_result *t = &r->results[i];
    lit(&out, i ? ",\n{\"id\":" : "\n{\"id\":");
    str(&out, t->test->id);
    lit(&out, ",\"ref\":");
    str(&out, t->test->ref);
    lit(&out, ",\"level\":");
    str(&out, script_level_name(t->test->level));
    lit(&out, ",\"result\":");
    str(&out, outcome_name(t->outcome));
    lit(&out, ",\"reason\":");
    str(&out, t->reason);
    lit(&out, ",\"duration_ms\":");
    num(&out, t->duration_ms);
    lit(&out, ",\"transcript\":[");
    bool first = true;
    for (size_t k = 0; k < t->nentries; k++) {
      const struct transcript_entry *e = &t->entries[k];
      if (e->dir != 'C' && e->dir != 'S')
        continue;
      lit(&out, first ? "{\"dir\":" : ",{\"dir\":");
      lit(&out, e->dir == 'C' ? "\"C\"" : "\"S\"");
      lit(&out, ",\"data\":");
      report_json_string(e->data, e->len, &out);
      lit(&out, "}");
      first = false;
    }
    lit(&out, "]}");
  }
  lit(&out, "\n]}\n");
  return report_emit(f, &out);
}
