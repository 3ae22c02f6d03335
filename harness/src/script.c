/* script.c - compile suite scripts (harness/suite/README.md) into tests of steps. */
#include "script.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maildir_header.h"
#include "vars.h"

/* The parser's position and the test being built. */
struct parser {
  const char *file;
  int line;
  struct script_suite *suite;
  struct script_errors *errs;
  size_t nerrs;
  struct script_test *cur; /* NULL before the first `test` */
  bool discard;            /* the current `test` line was bad: skip to the next one */
  size_t cap_steps;
};

/* script_level_name - the RFC 2119 keyword. */
const char *script_level_name(enum script_level l) {
  switch (l) {
  case LEVEL_MUST:
    return "MUST";
  case LEVEL_SHOULD:
    return "SHOULD";
  default:
    return "MAY";
  }
}

/* script_error_add - format one "FILE:LINE: message" into the list. */
void script_error_add(struct script_errors *errs, const char *file, int line, const char *fmt,
                      ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char **msgs = realloc(errs->msgs, (errs->n + 1) * sizeof *msgs);
  if (!msgs)
    return;
  errs->msgs = msgs;
  size_t need = strlen(file) + strlen(msg) + 32;
  char *m = malloc(need);
  if (!m)
    return;
  if (line > 0)
    snprintf(m, need, "%s:%d: %s", file, line, msg);
  else
    snprintf(m, need, "%s: %s", file, msg);
  errs->msgs[errs->n++] = m;
}

/* perr - record an error at the current line. */
__attribute__((format(printf, 2, 3))) static void perr(struct parser *p, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  script_error_add(p->errs, p->file, p->line, "%s", msg);
  p->nerrs++;
}

/* dupn - a NUL-terminated copy of n octets. */
static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* step_free - release what one step owns. */
static void step_free(struct script_step *st) {
  free(st->arg);
  free(st->field);
  script_spec_free(&st->spec);
}

/* test_free - release what one test owns. */
static void test_free(struct script_test *t) {
  free(t->id);
  free(t->ref);
  free(t->about);
  free(t->file);
  for (size_t i = 0; i < t->nexts; i++)
    free(t->exts[i]);
  for (size_t i = 0; i < t->nsteps; i++)
    step_free(&t->steps[i]);
  free(t->steps);
}

/* valid_id - lower-case letters, digits and '-', starting with a letter or digit. */
static bool valid_id(const char *s, size_t n) {
  if (n == 0 || n > 100 || s[0] == '-')
    return false;
  for (size_t i = 0; i < n; i++)
    if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
      return false;
  return true;
}

/* valid_keyword - an EHLO keyword (RFC 5321 4.1.1.1: ALPHA / DIGIT then also '-'). */
static bool valid_keyword(const char *s, size_t n) {
  if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '-')
      return false;
  return true;
}

/* valid_ext - KEYWORD or KEYWORD=PARAM (a parameter word: printable, no blank). */
static bool valid_ext(const char *s, size_t n) {
  const char *eq = memchr(s, '=', n);
  if (!eq)
    return valid_keyword(s, n);
  size_t kl = (size_t)(eq - s);
  if (!valid_keyword(s, kl) || kl + 1 == n || n - kl - 1 > 64)
    return false;
  for (size_t i = kl + 1; i < n; i++)
    if (!isgraph((unsigned char)s[i]))
      return false;
  return true;
}

/* apply_uses - the implicit `require` lines of the variables a template uses. */
static void apply_uses(struct parser *p, unsigned uses) {
  if (uses & VAR_USES_FOREIGN)
  p->cur->requires |= REQUIRE_FOREIGN;
  if (uses & VAR_USES_AUTH)
  p->cur->requires |= REQUIRE_AUTH;
  if (uses & VAR_USES_DOMAIN)
  p->cur->requires |= REQUIRE_DOMAIN;
  if (uses & VAR_USES_SIZE)
  p->cur->requires |= REQUIRE_SIZE_LIMIT;
}

/* shape_uses - the variables used by a reply shape's text. */
static unsigned shape_uses(const struct reply_shape *sh) {
  unsigned uses = 0;
  char err[256];
  if (sh->text)
    vars_check(sh->text, sh->text_len, &uses, err, sizeof err);
  return uses;
}

/* finish_test - check the test just ended has its header and steps. */
static void finish_test(struct parser *p) {
  struct script_test *t = p->cur;
  if (!t)
    return;
  int save = p->line;
  p->line = t->line;
  if (!t->ref)
    perr(p, "test %s has no 'ref' line", t->id);
  if (!t->has_level)
    perr(p, "test %s has no 'level' line", t->id);
  if (!t->about)
    perr(p, "test %s has no 'about' line", t->id);
  if (t->nsteps == 0)
    perr(p, "test %s has no steps", t->id);
  p->line = save;
  p->cur = NULL;
}

/* start_test - `test ID`. */
static void start_test(struct parser *p, const char *arg, size_t n) {
  finish_test(p);
  p->discard = true;
  if (!valid_id(arg, n)) {
    perr(p, "bad test id '%.*s' (lower-case letters, digits and '-')", (int)n, arg);
    return;
  }
  for (size_t i = 0; i < p->suite->ntests; i++) {
    struct script_test *o = &p->suite->tests[i];
    if (strlen(o->id) == n && !memcmp(o->id, arg, n)) {
      perr(p, "duplicate test id '%.*s' (first at %s:%d)", (int)n, arg, o->file, o->line);
      return;
    }
  }
  struct script_test *tests =
      realloc(p->suite->tests, (p->suite->ntests + 1) * sizeof *p->suite->tests);
  if (!tests) {
    perr(p, "out of memory");
    return;
  }
  p->suite->tests = tests;
  struct script_test *t = &tests[p->suite->ntests++];
  memset(t, 0, sizeof *t);
  t->id = dupn(arg, n);
  t->file = dupn(p->file, strlen(p->file));
  t->line = p->line;
  p->cur = t;
  p->discard = false;
  p->cap_steps = 0;
}

/* add_step - append a zeroed step of the given kind to the current test. */
static struct script_step *add_step(struct parser *p, enum step_kind kind) {
  struct script_test *t = p->cur;
  if (t->nsteps == p->cap_steps) {
    size_t cap = p->cap_steps ? p->cap_steps * 2 : 8;
    struct script_step *s = realloc(t->steps, cap * sizeof *s);
    if (!s) {
      perr(p, "out of memory");
      return NULL;
    }
    t->steps = s;
    p->cap_steps = cap;
  }
  struct script_step *st = &t->steps[t->nsteps++];
  memset(st, 0, sizeof *st);
  st->kind = kind;
  st->line = p->line;
  return st;
}

/* template_step - a step whose argument is a template (sends, maildir text). */
static void template_step(struct parser *p, enum step_kind kind, const char *arg, size_t n) {
  char err[256];
  unsigned uses = 0;
  if (vars_check(arg, n, &uses, err, sizeof err) < 0) {
    perr(p, "%s", err);
    return;
  }
  struct script_step *st = add_step(p, kind);
  if (!st)
    return;
  st->arg = dupn(arg, n);
  st->arg_len = n;
  apply_uses(p, uses);
}

/* header_line - ref/level/about/require/greeting/timeout; false if kw is not one. */
static bool header_line(struct parser *p, const char *kw, size_t kl, const char *arg, size_t n) {
  struct script_test *t = p->cur;
#define KW(s) (kl == sizeof(s) - 1 && !memcmp(kw, s, kl))
  if (!(KW("ref") || KW("level") || KW("about") || KW("require") || KW("greeting") ||
        KW("timeout")))
    return false;
  if (t->nsteps > 0) {
    perr(p, "'%.*s' must come before the test's first step", (int)kl, kw);
    return true;
  }
  if (KW("ref") || KW("about")) {
    char **field = KW("ref") ? &t->ref : &t->about;
    if (n == 0)
      perr(p, "'%.*s' needs a text", (int)kl, kw);
    else if (*field)
      perr(p, "second '%.*s' line in test %s", (int)kl, kw, t->id);
    else
      *field = dupn(arg, n);
  } else if (KW("level")) {
    if (n == 4 && !memcmp(arg, "MUST", 4))
      t->level = LEVEL_MUST;
    else if (n == 6 && !memcmp(arg, "SHOULD", 6))
      t->level = LEVEL_SHOULD;
    else if (n == 3 && !memcmp(arg, "MAY", 3))
      t->level = LEVEL_MAY;
    else {
      perr(p, "level must be MUST, SHOULD or MAY, not '%.*s'", (int)n, arg);
      return true;
    }
    t->has_level = true;
  } else if (KW("require")) {
    bool no = n > 7 && !memcmp(arg, "no-ext", 6) && (arg[6] == ' ' || arg[6] == '\t');
    if (no || (n > 4 && !memcmp(arg, "ext", 3) && (arg[3] == ' ' || arg[3] == '\t'))) {
      const char *k = arg + (no ? 7 : 4);
      size_t klen = n - (no ? 7 : 4);
      while (klen && (*k == ' ' || *k == '\t'))
        k++, klen--;
      if (!valid_ext(k, klen))
        perr(p, "bad EHLO keyword '%.*s' (KEYWORD or KEYWORD=PARAM)", (int)klen, k);
      else if (t->nexts == SCRIPT_EXTS_MAX)
        perr(p, "more than %d 'require ext' lines", SCRIPT_EXTS_MAX);
      else {
        t->exts_absent[t->nexts] = no;
        t->exts[t->nexts++] = dupn(k, klen);
      }
    } else if (n == 6 && !memcmp(arg, "domain", 6)) {
      t->requires |= REQUIRE_DOMAIN;
    } else if (n == 10 && !memcmp(arg, "size-limit", 10)) {
      t->requires |= REQUIRE_SIZE_LIMIT;
    } else if (n == 7 && !memcmp(arg, "foreign", 7)) {
      t->requires |= REQUIRE_FOREIGN;
    } else if (n == 7 && !memcmp(arg, "maildir", 7)) {
      t->requires |= REQUIRE_MAILDIR;
    } else if (n == 4 && !memcmp(arg, "auth", 4)) {
      t->requires |= REQUIRE_AUTH;
    } else if (n == 9 && !memcmp(arg, "plaintext", 9)) {
      t->requires |= REQUIRE_PLAINTEXT;
    } else if (n == 3 && !memcmp(arg, "tls", 3)) {
      t->requires |= REQUIRE_TLS;
    } else {
      perr(p,
           "unknown requirement '%.*s' (ext KEYWORD, no-ext KEYWORD, foreign, maildir, "
           "auth, plaintext, tls, domain, size-limit)",
           (int)n, arg);
    }
    if ((t->requires & REQUIRE_TLS) && (t->requires & REQUIRE_PLAINTEXT))
      perr(p, "test %s requires both tls and plaintext", t->id);
  } else if (KW("greeting")) {
    if (n == 3 && !memcmp(arg, "any", 3))
      t->greeting_any = true;
    else
      perr(p, "'greeting' takes only 'any'");
  } else {
    struct reply_spec tmp;
    char err[256], buf[64];
    int len = snprintf(buf, sizeof buf, "silence %.*s", (int)(n < 40 ? n : 40), arg);
    if (n == 0 || n >= 40 || script_parse_spec(buf, (size_t)len, &tmp, err, sizeof err) < 0)
      perr(p, "timeout needs a number of seconds (0 < N <= 3600)");
    else
      t->timeout_ms = tmp.silence_ms;
  }
  return true;
#undef KW
}

/* parse_counts - `N[|N...]`: up to MAILDIR_COUNTS_MAX counts into st (what: the step's
 * name for the error message); false after an error. */
static bool parse_counts(struct parser *p, const char *what, const char *s, size_t n, long *counts,
                         size_t *nc) {
  size_t i = 0;
  *nc = 0;
  for (;;) {
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
      i++;
    long v = 0;
    size_t j = i;
    while (j < n && isdigit((unsigned char)s[j]) && v <= 100000)
      v = v * 10 + (s[j++] - '0');
    if (j == i || v > 100000 || *nc == MAILDIR_COUNTS_MAX)
      break;
    counts[(*nc)++] = v;
    while (j < n && (s[j] == ' ' || s[j] == '\t'))
      j++;
    if (j == n)
      return true;
    if (s[j] != '|')
      break;
    i = j + 1;
  }
  perr(p, "%s needs a number, or up to %d joined by '|'", what, MAILDIR_COUNTS_MAX);
  return false;
}

/* count_step - a step of the given kind with `N[|N...]` alternatives. */
static struct script_step *count_step(struct parser *p, enum step_kind kind, const char *what,
                                      const char *s, size_t n) {
  long counts[MAILDIR_COUNTS_MAX];
  size_t nc;
  if (!parse_counts(p, what, s, n, counts, &nc))
    return NULL;
  struct script_step *st = add_step(p, kind);
  if (!st)
    return NULL;
  memcpy(st->counts, counts, nc * sizeof *counts);
  st->ncounts = nc;
  for (size_t k = 0; k < nc; k++)
    if (counts[k] > st->count)
      st->count = counts[k];
  return st;
}

/* word_is - s (n octets) starts with the word w followed by a blank or its end. */
static bool word_is(const char *s, size_t n, const char *w) {
  size_t l = strlen(w);
  return n >= l && !memcmp(s, w, l) && (n == l || s[l] == ' ' || s[l] == '\t');
}

/* skip_blanks - advance past blanks. */
static void skip_blanks(const char **s, size_t *n) {
  while (*n && (**s == ' ' || **s == '\t'))
    (*s)++, (*n)--;
}

/* header_step - `maildir header NAME ~ REGEX`, `NAME !~ REGEX` or `NAME count N[|N...]`;
 * the regex is compiled here so that a bad one is a script error, not a run-time one. */
static void header_step(struct parser *p, const char *s, size_t n) {
  size_t nl = 0;
  while (nl < n && s[nl] != ' ' && s[nl] != '\t')
    nl++;
  if (!mail_header_name_ok(s, nl)) {
    perr(p, "maildir header needs a field name, without the ':' (printable ASCII, got '%.*s')",
         (int)nl, s);
    return;
  }
  const char *op = s + nl;
  size_t on = n - nl;
  skip_blanks(&op, &on);
  enum step_kind kind;
  size_t ol;
  if (word_is(op, on, "~"))
    kind = STEP_HEADER_MATCH, ol = 1;
  else if (word_is(op, on, "!~"))
    kind = STEP_HEADER_NO_MATCH, ol = 2;
  else if (word_is(op, on, "count"))
    kind = STEP_HEADER_COUNT, ol = 5;
  else {
    perr(p, "maildir header %.*s takes '~ REGEX', '!~ REGEX' or 'count N'", (int)nl, s);
    return;
  }
  const char *rest = op + ol;
  size_t rn = on - ol;
  skip_blanks(&rest, &rn);
  struct script_step *st = NULL;
  if (kind == STEP_HEADER_COUNT) {
    st = count_step(p, kind, "maildir header count", rest, rn);
  } else if (rn == 0) {
    perr(p, "'%.*s' needs a regular expression", (int)ol, op);
  } else {
    char *re_text = dupn(rest, rn), err[256];
    regex_t re;
    if (!re_text) {
      perr(p, "out of memory");
    } else if (mail_header_regcomp(&re, re_text, err, sizeof err) < 0) {
      perr(p, "bad regular expression '%s': %s", re_text, err);
    } else {
      regfree(&re);
      if ((st = add_step(p, kind)) != NULL) {
        st->arg = re_text;
        st->arg_len = rn;
        re_text = NULL;
      }
    }
    free(re_text);
  }
  if (st)
    st->field = dupn(s, nl);
}

/* skip_unless_step - `skip-unless CODES REASON`, right after a `<` step that reads a
 * reply: when that reply's code matches none of CODES the test is skipped with REASON
 * (a server that never reaches the state the test is about). */
static void skip_unless_step(struct parser *p, const char *s, size_t n) {
  struct script_test *t = p->cur;
  const struct script_step *prev = t->nsteps ? &t->steps[t->nsteps - 1] : NULL;
  if (!prev || prev->kind != STEP_EXPECT ||
      (prev->spec.kind != SPEC_CODES && prev->spec.kind != SPEC_ANY)) {
    perr(p, "'skip-unless' must come right after a '<' step that reads a reply");
    return;
  }
  size_t cl = 0;
  while (cl < n && s[cl] != ' ' && s[cl] != '\t')
    cl++;
  const char *reason = s + cl;
  size_t rn = n - cl;
  skip_blanks(&reason, &rn);
  struct reply_spec spec;
  char err[256];
  if (cl == 0 || rn == 0) {
    perr(p, "'skip-unless' needs reply codes and a reason, e.g. 'skip-unless 452 the limit "
            "was not reached'");
  } else if (script_parse_spec(s, cl, &spec, err, sizeof err) < 0) {
    perr(p, "%s", err);
  } else if (spec.kind != SPEC_CODES || spec.or_closed || spec.or_silence) {
    perr(p, "'skip-unless' takes reply codes only, not '%.*s'", (int)cl, s);
    script_spec_free(&spec);
  } else {
    struct script_step *st = add_step(p, STEP_SKIP_UNLESS);
    if (st) {
      st->spec = spec;
      st->arg = dupn(reason, rn);
      st->arg_len = rn;
    } else {
      script_spec_free(&spec);
    }
  }
}

/* no_arg - steps that take no argument. */
static bool no_arg(struct parser *p, const char *kw, size_t kl, size_t n) {
  if (n)
    perr(p, "'%.*s' takes no argument", (int)kl, kw);
  return n == 0;
}

/* step_line - every step except the `>` family; false if kw is not a step. */
static bool step_line(struct parser *p, const char *kw, size_t kl, const char *arg, size_t n) {
  char err[256];
#define KW(s) (kl == sizeof(s) - 1 && !memcmp(kw, s, kl))
  if (KW("ehlo")) {
    if (no_arg(p, kw, kl, n))
      add_step(p, STEP_EHLO);
  } else if (KW("message")) {
    if (no_arg(p, kw, kl, n))
      add_step(p, STEP_MESSAGE);
  } else if (KW("starttls")) {
    if (no_arg(p, kw, kl, n))
      add_step(p, STEP_STARTTLS);
  } else if (KW("reconnect")) {
    if (no_arg(p, kw, kl, n))
      add_step(p, STEP_RECONNECT);
  } else if (KW("close")) {
    if (no_arg(p, kw, kl, n))
      add_step(p, STEP_CLOSE);
  } else if (KW("expect-ext") || KW("expect-no-ext")) {
    if (!valid_ext(arg, n)) {
      perr(p, "'%.*s' needs one EHLO keyword (KEYWORD or KEYWORD=PARAM)", (int)kl, kw);
    } else {
      struct script_step *st = add_step(p, KW("expect-ext") ? STEP_EXPECT_EXT : STEP_EXPECT_NO_EXT);
      if (st) {
        st->arg = dupn(arg, n);
        st->arg_len = n;
      }
    }
  } else if (KW("maildir")) {
    if (n > 6 && !memcmp(arg, "count", 5) && (arg[5] == ' ' || arg[5] == '\t')) {
      count_step(p, STEP_MAILDIR_COUNT, "maildir count", arg + 6, n - 6);
    } else if (word_is(arg, n, "header")) {
      const char *h = arg + 6;
      size_t hn = n - 6;
      skip_blanks(&h, &hn);
      header_step(p, h, hn);
    } else if (n > 4 && (!memcmp(arg, "has ", 4) || !memcmp(arg, "has\t", 4))) {
      template_step(p, STEP_MAILDIR_HAS, arg + 4, n - 4);
    } else if (n > 6 && (!memcmp(arg, "lacks ", 6) || !memcmp(arg, "lacks\t", 6))) {
      template_step(p, STEP_MAILDIR_LACKS, arg + 6, n - 6);
    } else {
      perr(p, "maildir takes 'count N', 'has TEXT', 'lacks TEXT' or 'header NAME ...'");
      return true;
    }
    p->cur->requires |= REQUIRE_MAILDIR;
  } else if (kl == 1 && kw[0] == '<') {
    struct reply_spec spec;
    if (script_parse_spec(arg, n, &spec, err, sizeof err) < 0) {
      perr(p, "%s", err);
    } else {
      unsigned uses = shape_uses(&spec.shape);
      for (size_t k = 0; k < spec.nconds; k++)
        uses |= shape_uses(&spec.conds[k].shape);
      apply_uses(p, uses);
      struct script_step *st = add_step(p, STEP_EXPECT);
      if (st)
        st->spec = spec;
      else
        script_spec_free(&spec);
    }
  } else if (KW("skip-unless")) {
    skip_unless_step(p, arg, n);
  } else if (KW("bdat") || KW("bdat-last")) {
    if (n == 0)
      perr(p, "'%.*s' needs the chunk's content (escapes and variables allowed)", (int)kl, kw);
    else
      template_step(p, KW("bdat") ? STEP_BDAT : STEP_BDAT_LAST, arg, n);
  } else {
    return false;
  }
  return true;
#undef KW
}

/* send_line - `>`, `>>`, `>+`: the text is everything after one blank, trailing blanks
 * included (they may be what a test is about). */
static void send_line(struct parser *p, const char *s, size_t n) {
  enum step_kind kind = STEP_SEND;
  size_t i = 1;
  if (n > 1 && s[1] == '>')
    kind = STEP_SEND_RAW, i = 2;
  else if (n > 1 && s[1] == '+')
    kind = STEP_QUEUE, i = 2;
  if (i < n && s[i] != ' ' && s[i] != '\t') {
    perr(p, "'%.*s' must be followed by a blank", (int)i, s);
    return;
  }
  if (i < n)
    i++;
  if (kind == STEP_SEND_RAW && i == n) {
    perr(p, "'>>' needs octets to send");
    return;
  }
  template_step(p, kind, s + i, n - i);
}

/* one_line - parse one line (without its line ending). */
static void one_line(struct parser *p, const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t'))
    s++, n--;
  if (n == 0 || *s == '#')
    return;
  bool is_test = n >= 4 && !memcmp(s, "test", 4) && (n == 4 || s[4] == ' ' || s[4] == '\t');
  if (p->discard && !is_test)
    return;
  if (*s == '>') {
    if (!p->cur)
      perr(p, "step outside a test (start one with 'test ID')");
    else
      send_line(p, s, n);
    return;
  }
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
    n--;
  size_t kl = 0;
  while (kl < n && s[kl] != ' ' && s[kl] != '\t')
    kl++;
  const char *arg = s + kl;
  size_t an = n - kl;
  while (an && (*arg == ' ' || *arg == '\t'))
    arg++, an--;
  if (kl == 4 && !memcmp(s, "test", 4)) {
    start_test(p, arg, an);
    return;
  }
  if (!p->cur) {
    perr(p, "'%.*s' outside a test (start one with 'test ID')", (int)kl, s);
    return;
  }
  if (header_line(p, s, kl, arg, an) || step_line(p, s, kl, arg, an))
    return;
  perr(p, "unknown step '%.*s'", (int)kl, s);
}

/* script_parse - compile one file. */
size_t script_parse(const char *file, const char *text, size_t len, struct script_suite *suite,
                    struct script_errors *errs) {
  struct parser p = {.file = file, .suite = suite, .errs = errs};
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && text[j] != '\n')
      j++;
    p.line++;
    size_t n = j - i;
    if (n && text[i + n - 1] == '\r')
      n--;
    if (memchr(text + i, '\0', n))
      perr(&p, "NUL octet in the script (write \\0)");
    else
      one_line(&p, text + i, n);
    i = j + 1;
  }
  finish_test(&p);
  return p.nerrs;
}

/* script_step_is_maildir - see script.h. */
bool script_step_is_maildir(enum step_kind kind) {
  const unsigned long maildir = 1ul << STEP_MAILDIR_COUNT | 1ul << STEP_MAILDIR_HAS |
                                1ul << STEP_MAILDIR_LACKS | 1ul << STEP_HEADER_MATCH |
                                1ul << STEP_HEADER_NO_MATCH | 1ul << STEP_HEADER_COUNT;
  return (maildir >> kind) & 1ul;
}

/* script_ext_due - see script.h. */
bool script_ext_due(const struct script_test *t, size_t from, const char *kw) {
  bool tls_first = !strcasecmp(kw, "STARTTLS");
  size_t lo = tls_first ? 0 : from, hi = tls_first ? from : t->nsteps;
  /* RFC 3207 4.2: STARTTLS is offered only before TLS; other keywords may appear after. */
  for (size_t i = lo; i < hi && i < t->nsteps; i++)
    if (t->steps[i].kind == STEP_STARTTLS)
      return false;
  return true;
}

/* script_suite_free - release every test. */
void script_suite_free(struct script_suite *suite) {
  for (size_t i = 0; i < suite->ntests; i++)
    test_free(&suite->tests[i]);
  free(suite->tests);
  suite->tests = NULL;
  suite->ntests = 0;
}

/* script_errors_free - release every message. */
void script_errors_free(struct script_errors *errs) {
  for (size_t i = 0; i < errs->n; i++)
    free(errs->msgs[i]);
  free(errs->msgs);
  errs->msgs = NULL;
  errs->n = 0;
}
