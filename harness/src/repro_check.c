/* repro_check.c - the verdict and transcript helpers of the session runners. */
#include "repro_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* repro_fail - later violations are usually consequences of the first: keep only that. */
void repro_fail(struct repro_check *c, const char *fmt, ...) {
  if (c->failed)
    return;
  c->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->why, c->whylen, fmt, ap);
  va_end(ap);
}

/* repro_emit - the fuzz targets run with no trace; repro with one. */
void repro_emit(const struct repro_trace *t, enum repro_event ev, const char *data, size_t len) {
  if (t != NULL && t->fn != NULL)
    t->fn(t->ctx, ev, data, len);
}

/* repro_note - formatted only when someone reads it (the fuzz loop never does). */
void repro_note(const struct repro_trace *t, const char *fmt, ...) {
  if (t == NULL || t->fn == NULL)
    return;
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (n > 0)
    t->fn(t->ctx, REPRO_EV_NOTE, text, strlen(text));
}
