/* fuzz_check.h - what every fuzz target shares: the entry points and the abort on a
 * broken invariant (a crash the fuzzer records, with a message saying which rule). */
#ifndef SMTPCHECK_FUZZ_CHECK_H
#define SMTPCHECK_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry points every driver calls (Initialize is optional: weak). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* fuzz_fail - print "fuzz invariant violated: ..." to stderr and abort(). */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* FUZZ_CHECK - abort with the condition's text and a message when cond is false. */
#define FUZZ_CHECK(cond, ...)                                                                      \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      fuzz_fail(__VA_ARGS__);                                                                      \
  } while (0)

/* fuzz_inside - p[0..n) lies inside buf[0..len): a parser's result points into its input
 * (an empty span may point anywhere). */
bool fuzz_inside(const char *buf, size_t len, const char *p, size_t n);

/* fuzz_planted - true when the planted-bug switch (env SMTPCHECK_FUZZ_PLANT=1) is on;
 * used by tests/integration/test_fuzz_planted.sh to prove that ci/fuzz catches,
 * minimises, stores and reproduces a crash. Only the fuzz_<target> test programs have it. */
int fuzz_planted(void);

#endif
