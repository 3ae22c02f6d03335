/* script_select.c - pick tests by id with --only / --skip globs. */
#include <fnmatch.h>
#include <stdlib.h>

#include "script.h"

/* matches_any - true if id matches one of the globs. */
static bool matches_any(const char *id, char *const *globs, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (fnmatch(globs[i], id, 0) == 0)
      return true;
  return false;
}

/* script_select - see script.h. */
size_t script_select(const struct script_suite *suite, char *const *only, size_t nonly,
                     char *const *skip, size_t nskip, const struct script_test ***out) {
  *out = calloc(suite->ntests ? suite->ntests : 1, sizeof **out);
  if (!*out)
    return 0;
  size_t n = 0;
  for (size_t i = 0; i < suite->ntests; i++) {
    const struct script_test *t = &suite->tests[i];
    if (nonly && !matches_any(t->id, only, nonly))
      continue;
    if (matches_any(t->id, skip, nskip))
      continue;
    (*out)[n++] = t;
  }
  return n;
}
