/* report_write.c - what every report format shares: the choice of writer by name, the
 * exit status a report gives, and the final write. */
#include <string.h>

#include "report.h"

/* The writers by the name --format takes; the first is the default. */
static const struct {
  const char *name;
  int (*write)(FILE *f, const struct run_report *r, bool verbose);
} writers[] = {
    {"text", report_text},
    {"tap", report_tap},
    {"junit", report_junit},
    {"json", report_json},
};

/* report_format_known - one of the writers' names. */
bool report_format_known(const char *format) {
  for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
    if (!strcmp(format, writers[i].name))
      return true;
  return false;
}

/* report_write - the writer named by format, text when none is. */
int report_write(FILE *f, const struct run_report *r, const char *format, bool verbose) {
  for (size_t i = 1; i < sizeof writers / sizeof writers[0]; i++)
    if (!strcmp(format, writers[i].name))
      return writers[i].write(f, r, verbose);
  return writers[0].write(f, r, verbose);
}

/* report_status - an errored test or a failure at MUST level makes the status 1. */
int report_status(const struct run_report *r) {
  for (size_t i = 0; i < r->n; i++) {
    const struct test_result *t = &r->results[i];
    if (t->outcome == OUTCOME_ERROR || (t->outcome == OUTCOME_FAIL && t->fail_level == LEVEL_MUST))
      return 1;
  }
  return 0;
}

/* report_emit - one fwrite of the whole report, then the buffer is released. */
int report_emit(FILE *f, struct sbuf *out) {
  size_t w = out->len ? fwrite(out->p, 1, out->len, f) : 0;
  int rc = w == out->len ? 0 : -1;
  sbuf_free(out);
  return rc;
}
