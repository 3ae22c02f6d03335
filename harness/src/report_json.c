/* report_json.c - the JSON report (names fixed by issue 3) and JSON string escaping. */
#include <stdio.h>
#include <string.h>

#include "report.h"

/* report_utf8_len - RFC 3629 4: shortest form, no surrogates, at most U+10FFFF. */
size_t report_utf8_len(const unsigned char *p, size_t n) {
  size_t len;
  unsigned min;
  unsigned cp;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    len = 2, min = 0x80, cp = p[0] & 0x1f;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    len = 3, min = 0x800, cp = p[0] & 0x0f;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    len = 4, min = 0x10000, cp = p[0] & 0x07;
  else
    return 0;
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

/* report_json_string - RFC 8259 7 string escaping of arbitrary octets. */
int report_json_string(const char *p, size_t n, struct sbuf *out) {
  const unsigned char *u = (const unsigned char *)p;
  if (sbuf_append(out, "\"", 1) < 0)
    return -1;
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && u[j] >= 0x20 && u[j] < 0x80 && u[j] != '"' && u[j] != '\\')
      j++;
    if (sbuf_append(out, p + i, j - i) < 0)
      return -1;
    if (j == n)
      break;
    char esc[8];
    size_t len = 0;
    if (u[j] >= 0x80) {
      len = report_utf8_len(u + j, n - j);
      if (len) {
        if (sbuf_append(out, p + j, len) < 0)
          return -1;
        i = j + len;
        continue;
      }
    }
    switch (u[j]) {
    case '"':
      memcpy(esc, "\\\"", 3);
      break;
    case '\\':
      memcpy(esc, "\\\\", 3);
      break;
    case '\r':
      memcpy(esc, "\\r", 3);
      break;
    case '\n':
      memcpy(esc, "\\n", 3);
      break;
    case '\t':
      memcpy(esc, "\\t", 3);
      break;
    default:
      snprintf(esc, sizeof esc, "\\u%04x", u[j]);
    }
    if (sbuf_append(out, esc, strlen(esc)) < 0)
      return -1;
    i = j + 1;
  }
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
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%ld", v);
  sbuf_append(out, tmp, (size_t)n);
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
  size_t w = fwrite(out.p, 1, out.len, f);
  int rc = w == out.len ? 0 : -1;
  sbuf_free(&out);
  return rc;
}
