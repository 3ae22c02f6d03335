/* test_gen_script.c - the script generator (harness/src/gen_script.c) against the script
 * parser: its clean scripts use the suite language's `maildir header` and `skip-unless`
 * steps and compile without an error; its near misses are reported as FILE:LINE errors on
 * the lines that carry them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_buf.h"
#include "gen_grammar.h"
#include "gen_rand.h"
#include "gen_target.h"
#include "script.h"

/* The file name the parser puts in front of its messages. */
#define GEN_FILE "gen.smtp"

/* One generated script and what the parser made of it. */
struct compiled {
  struct gen_buf text;
  struct script_suite suite;
  struct script_errors errs;
  size_t nerrs;
};

/* compile_seed - generate the script of seed with flags and parse it. */
static void compile_seed(struct compiled *c, uint64_t seed, unsigned flags) {
  struct gen_rand r;
  memset(c, 0, sizeof *c);
  gen_rand_seed(&r, seed);
  gen_target_input(GEN_T_SCRIPT, &r, &c->text, flags);
  cr_assert(!c->text.failed, "seed %llu: generator ran out of memory", (unsigned long long)seed);
  c->nerrs = script_parse(GEN_FILE, c->text.sb.p, c->text.sb.len, &c->suite, &c->errs);
}

/* compiled_free - release one compile. */
static void compiled_free(struct compiled *c) {
  script_suite_free(&c->suite);
  script_errors_free(&c->errs);
  gen_buf_free(&c->text);
}

/* text_line - a copy of line `line` (1-based) of text, without its LF; NULL past the end. */
static char *text_line(const struct gen_buf *text, int line) {
  const char *p = text->sb.p, *end = p + text->sb.len;
  for (int i = 1; i < line && p < end; i++) {
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    p = lf ? lf + 1 : end;
  }
  if (p >= end)
    return NULL;
  const char *lf = memchr(p, '\n', (size_t)(end - p));
  size_t n = lf ? (size_t)(lf - p) : (size_t)(end - p);
  char *s = malloc(n + 1);
  cr_assert_not_null(s);
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

Test(gen_script, clean_scripts_use_maildir_header_and_skip_unless_and_compile_without_errors) {
  size_t kinds[STEP_SKIP_UNLESS + 1] = {0};
  for (uint64_t seed = 0; seed < 500; seed++) {
    struct compiled c;
    compile_seed(&c, seed, 0);
    cr_assert_eq(c.nerrs, 0, "seed %llu: %zu errors, the first: %s\n%s", (unsigned long long)seed,
                 c.nerrs, c.errs.n ? c.errs.msgs[0] : "", c.text.sb.p);
    for (size_t t = 0; t < c.suite.ntests; t++)
      for (size_t s = 0; s < c.suite.tests[t].nsteps; s++)
        kinds[c.suite.tests[t].steps[s].kind]++;
    compiled_free(&c);
  }
  cr_expect_gt(kinds[STEP_HEADER_MATCH], 20, "only %zu 'maildir header NAME ~ REGEX' steps",
               kinds[STEP_HEADER_MATCH]);
  cr_expect_gt(kinds[STEP_HEADER_NO_MATCH], 20, "only %zu 'maildir header NAME !~ REGEX' steps",
               kinds[STEP_HEADER_NO_MATCH]);
  cr_expect_gt(kinds[STEP_HEADER_COUNT], 20, "only %zu 'maildir header NAME count N' steps",
               kinds[STEP_HEADER_COUNT]);
  cr_expect_gt(kinds[STEP_SKIP_UNLESS], 20, "only %zu 'skip-unless' steps",
               kinds[STEP_SKIP_UNLESS]);
}

Test(gen_script, clean_header_counts_use_every_number_of_alternatives) {
  size_t seen[MAILDIR_COUNTS_MAX + 1] = {0};
  for (uint64_t seed = 0; seed < 500; seed++) {
    struct compiled c;
    compile_seed(&c, seed, 0);
    for (size_t t = 0; t < c.suite.ntests; t++)
      for (size_t s = 0; s < c.suite.tests[t].nsteps; s++) {
        const struct script_step *st = &c.suite.tests[t].steps[s];
        if (st->kind == STEP_HEADER_COUNT)
          seen[st->ncounts]++;
      }
    compiled_free(&c);
  }
  for (size_t n = 1; n <= MAILDIR_COUNTS_MAX; n++)
    cr_expect_gt(seen[n], 0, "no 'maildir header NAME count' with %zu alternatives", n);
}

/* The near-miss errors about the new steps, and the word their line must carry. */
static const struct {
  const char *message; /* a part of the parser's message */
  const char *line_has;
} near_misses[] = {
    {"maildir header needs a field name", "maildir header"},
    {"takes '~ REGEX', '!~ REGEX' or 'count N'", "maildir header"},
    {"bad regular expression", "maildir header"},
    {"needs a regular expression", "maildir header"},
    {"maildir header count needs a number, or up to 4", "maildir header"},
    {"'skip-unless' must come right after a '<' step", "skip-unless"},
    {"'skip-unless' needs reply codes and a reason", "skip-unless"},
};

/* error_line - the line number of a "gen.smtp:LINE: ..." message, or 0 without one. */
static int error_line(const char *msg) {
  int line = 0, used = 0;
  if (sscanf(msg, GEN_FILE ":%d: %n", &line, &used) != 1 || used == 0)
    return 0;
  return line;
}

Test(gen_script, near_misses_of_the_new_steps_are_file_line_errors_on_their_own_lines) {
  size_t seen[sizeof near_misses / sizeof near_misses[0]] = {0};
  for (uint64_t seed = 0; seed < 3000; seed++) {
    struct compiled c;
    compile_seed(&c, seed, GEN_NEAR_MISS);
    cr_assert_eq(c.nerrs, c.errs.n, "seed %llu: returned %zu errors, added %zu",
                 (unsigned long long)seed, c.nerrs, c.errs.n);
    for (size_t e = 0; e < c.errs.n; e++) {
      const char *msg = c.errs.msgs[e];
      int line = error_line(msg);
      cr_assert_gt(line, 0, "seed %llu: not FILE:LINE: %s", (unsigned long long)seed, msg);
      for (size_t k = 0; k < sizeof near_misses / sizeof near_misses[0]; k++) {
        if (!strstr(msg, near_misses[k].message))
          continue;
        char *text = text_line(&c.text, line);
        cr_assert(text && strstr(text, near_misses[k].line_has), "seed %llu: '%s' on line '%s'",
                  (unsigned long long)seed, msg, text ? text : "(none)");
        free(text);
        seen[k]++;
      }
    }
    compiled_free(&c);
  }
  for (size_t k = 0; k < sizeof near_misses / sizeof near_misses[0]; k++)
    cr_expect_gt(seen[k], 0, "no near miss gave '%s'", near_misses[k].message);
}
