/* fuzz_check.c - the invariant-failure path shared by every target. */
#include "fuzz_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* fuzz_fail - report which invariant broke, then crash so the engine keeps the input. */
void fuzz_fail(const char *fmt, ...) {
  va_list ap;
  fputs("fuzz invariant violated: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  abort();
}

/* fuzz_inside - compared by offsets, so a pointer far outside cannot overflow the test. */
bool fuzz_inside(const char *buf, size_t len, const char *p, size_t n) {
  if (n == 0)
    return true;
  return p != NULL && p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

/* fuzz_planted - read the switch once. Every flavour of the fuzz binaries honours it (they
 * are test programs, never shipped), so the replay command ci/fuzz prints reproduces it. */
int fuzz_planted(void) {
  static int planted = -1; /* read once: the environment does not change during a run */
  if (planted < 0) {
    const char *v = getenv("SMTPCHECK_FUZZ_PLANT");
    planted = v != NULL && v[0] == '1';
  }
  return planted;
}
