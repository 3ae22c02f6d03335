/* fuzz_script.c - the conformance suite's script parser (harness/src/script.h).
 *
 * Input: the text of one script file. Invariants:
 *  - the returned error count is the number of messages added, each "FILE:LINE: ..." on
 *    one line; a script with errors reports them instead of tripping over them;
 *  - an accepted test has its id, ref, about and level, unique ids, steps whose line
 *    numbers lie inside the test, and reply specs of at most SPEC_ALTS_MAX patterns of
 *    digits and 'x';
 *  - line endings do not matter: the text with CRLF everywhere, and with one more blank
 *    line at the end, compiles to the same tests and the same number of errors. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "script.h"

/* The file name the parser puts into its messages. */
#define SCRIPT_NAME "fuzz.smtp"

/* One compile: its tests, errors, and the count script_parse returned. */
struct script_result {
  struct script_suite suite;
  struct script_errors errs;
  size_t nerrs;
};

/* script_compile - parse text into r. */
static void script_compile(const char *text, size_t len, struct script_result *r) {
  memset(r, 0, sizeof *r);
  r->nerrs = script_parse(SCRIPT_NAME, text, len, &r->suite, &r->errs);
}

/* script_release - free one compile. */
static void script_release(struct script_result *r) {
  script_suite_free(&r->suite);
  script_errors_free(&r->errs);
}

/* script_check_spec - a compiled reply spec is within its limits. */
static void script_check_spec(const struct reply_spec *s, const char *id) {
  FUZZ_CHECK(s->ncodes <= SPEC_ALTS_MAX, "test %s: %zu alternatives", id, s->ncodes);
  for (size_t i = 0; i < s->ncodes; i++)
    for (size_t k = 0; k < 3; k++) {
      char c = s->codes[i][k];
      FUZZ_CHECK((c >= '0' && c <= '9') || c == 'x', "test %s: code pattern char 0x%02x", id,
                 (unsigned char)c);
    }
  if (s->kind == SPEC_SILENCE)
    FUZZ_CHECK(s->silence_ms >= 0, "test %s: negative silence", id);
}

/* script_check_result - the shape of one compile of a text of `lines` lines. */
static void script_check_result(const struct script_result *r, int lines) {
  FUZZ_CHECK(r->nerrs == r->errs.n, "script_parse returned %zu errors but added %zu", r->nerrs,
             r->errs.n);
  for (size_t i = 0; i < r->errs.n; i++) {
    FUZZ_CHECK(strncmp(r->errs.msgs[i], SCRIPT_NAME ":", sizeof SCRIPT_NAME) == 0,
               "error without FILE: prefix: %s", r->errs.msgs[i]);
    FUZZ_CHECK(strchr(r->errs.msgs[i], '\n') == NULL, "error message spans lines: %s",
               r->errs.msgs[i]);
  }
  for (size_t i = 0; i < r->suite.ntests; i++) {
    const struct script_test *t = &r->suite.tests[i];
    FUZZ_CHECK(t->id != NULL && t->id[0] != '\0', "test %zu without an id", i);
    if (r->nerrs == 0) {
      FUZZ_CHECK(t->ref != NULL && t->about != NULL && t->has_level,
                 "test %s accepted without ref/about/level", t->id);
      for (size_t k = 0; k < i; k++)
        FUZZ_CHECK(strcmp(t->id, r->suite.tests[k].id) != 0, "duplicate id %s accepted", t->id);
    }
    FUZZ_CHECK(t->line >= 1 && t->line <= lines, "test %s at line %d of %d", t->id, t->line, lines);
    FUZZ_CHECK(t->nexts <= SCRIPT_EXTS_MAX, "test %s: %zu require ext", t->id, t->nexts);
    for (size_t s = 0; s < t->nsteps; s++) {
      const struct script_step *st = &t->steps[s];
      FUZZ_CHECK(st->line > t->line && st->line <= lines, "test %s: step at line %d", t->id,
                 st->line);
      if (st->kind == STEP_EXPECT)
        script_check_spec(&st->spec, t->id);
    }
  }
}

/* script_same - two compiles of equivalent texts agree. */
static void script_same(const struct script_result *a, const struct script_result *b,
                        const char *how) {
  FUZZ_CHECK(a->nerrs == b->nerrs, "%s: %zu errors became %zu", how, a->nerrs, b->nerrs);
  FUZZ_CHECK(a->suite.ntests == b->suite.ntests, "%s: %zu tests became %zu", how, a->suite.ntests,
             b->suite.ntests);
  for (size_t i = 0; i < a->suite.ntests; i++) {
    const struct script_test *x = &a->suite.tests[i], *y = &b->suite.tests[i];
    FUZZ_CHECK(strcmp(x->id, y->id) == 0 && x->nsteps == y->nsteps && x->line == y->line,
               "%s: test %s changed", how, x->id);
    for (size_t s = 0; s < x->nsteps; s++)
      FUZZ_CHECK(x->steps[s].kind == y->steps[s].kind && x->steps[s].arg_len == y->steps[s].arg_len,
                 "%s: test %s step %zu changed", how, x->id, s);
  }
}

/* LLVMFuzzerTestOneInput - compile, check, and compile the equivalent texts. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  struct script_result base, crlf, blank;
  int lines = 1;
  size_t lfs = 0;
  bool has_cr = memchr(data, '\r', size) != NULL;
  for (size_t i = 0; i < size; i++)
    lfs += data[i] == '\n';
  lines += (int)lfs;

  script_compile(text, size, &base);
  script_check_result(&base, lines);

  /* The same text with one more line end: a blank line at most. */
  char *more = malloc(size + 1);
  if (more != NULL) {
    memcpy(more, data, size);
    more[size] = '\n';
    script_compile(more, size + 1, &blank);
    script_same(&base, &blank, "one more line end");
    script_release(&blank);
    free(more);
  }
  /* CRLF line ends (only when the text has no CR of its own to confuse the count). */
  char *wide = has_cr ? NULL : malloc(size + lfs + 1);
  if (wide != NULL) {
    size_t n = 0;
    for (size_t i = 0; i < size; i++) {
      if (data[i] == '\n')
        wide[n++] = '\r';
      wide[n++] = (char)data[i];
    }
    script_compile(wide, n, &crlf);
    script_same(&base, &crlf, "CRLF line ends");
    script_release(&crlf);
    free(wide);
  }
  script_release(&base);
  return 0;
}
