/* gen_script.c - suite scripts in the language of harness/suite/README.md, for the
 * script parser's fuzz target: every step and spec form, escapes, variables, repetition,
 * and (near misses) the script errors the parser must report rather than trip over. */
#include "gen_target.h"

#include <stdbool.h>
#include <string.h>

#include "gen_grammar.h"
#include "script.h"

/* gen_script_command - a well-formed command line as a send step's text: its '$' and '\\'
 * escaped, since the step reads its text as a template (a local part may hold both). */
static void gen_script_command(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  struct gen_buf cmd = {0};
  gen_command(r, &cmd, flags & ~GEN_NEAR_MISS);
  for (size_t i = 0; i < cmd.sb.len; i++) {
    char c = cmd.sb.p[i];
    if (c == '$' || c == '\\')
      gen_buf_putc(b, '\\');
    gen_buf_putc(b, c);
  }
  if (cmd.failed)
    b->failed = true;
  gen_buf_free(&cmd);
}

/* gen_script_text - text for a send step: commands, escapes, variables, repetition. */
static void gen_script_text(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const char *const pieces[] = {
      "RCPT TO:<$rcpt>", "MAIL FROM:<$from>", "EHLO ${ehlo}", "AUTH PLAIN ${auth_plain}",
      "x\\r\\n.\\r\\n",  "\\x00\\xff",        "${x*600}",     "${\\r\\n*3}",
      "\\$notavar",      "Subject: ${token}", "\\\\",         "\\t"};
  static const char *const bad[] = {
      "$nosuchvar", "${x*}", "${x*99999999999}", "\\q", "\\x4", "${unterminated", "$", "\\"};
  if (gen_rand_chance(r, 40)) {
    gen_script_command(r, b, flags);
    return;
  }
  size_t n = gen_rand_range(r, 1, 3);
  for (size_t i = 0; i < n; i++)
    gen_buf_puts(b, (flags & GEN_NEAR_MISS) && gen_rand_chance(r, 10) ? GEN_PICK(r, bad)
                                                                      : GEN_PICK(r, pieces));
}

/* gen_script_spec - a reply spec after "< "; true when it reads a reply (codes or `any`),
 * the only `<` step a `skip-unless` may follow. */
static bool gen_script_spec(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const char *const specs[] = {
      "250",    "2xx",        "25x",         "250|251",   "5xx|4xx",
      "closed", "503|closed", "any",         "silence 1", "250 ~ pipelining",
      "354",    "221",        "5xx ~ 5.5.1", "220"};
  static const char *const bad[] = {"2",       "2xxx",
                                    "abc",     "250||251",
                                    "silence", "silence -1",
                                    "~ text",  "250 ~",
                                    "xx0",     "250|251|252|253|254|255|256|257|258",
                                    ""};
  if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 10)) {
    gen_buf_puts(b, GEN_PICK(r, bad));
    return false;
  }
  const char *spec = GEN_PICK(r, specs);
  gen_buf_puts(b, spec);
  return strcmp(spec, "closed") != 0 && strncmp(spec, "silence", 7) != 0;
}

/* gen_script_regex - a `maildir header` pattern: POSIX EREs the suite writes, and (near
 * misses) ones that do not compile or that cost glibc's regcomp seconds: huge or nested
 * `{n,m}` bounds, repeated groups that match the empty string, patterns at and over the
 * length limit (maildir_header.h). */
static void gen_script_regex(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const char *const good[] = {"^from[[:space:]]",
                                     "(^|[[:space:])])for[[:space:]]+[^;]*(<[^;]*<|,)",
                                     "smtpcheck\\.invalid",
                                     "^<[^>]*>$",
                                     "by[[:blank:]]+[a-z0-9.-]+",
                                     "with E?SMTPS?A?",
                                     "[0-9]{1,3}(\\.[0-9]{1,3}){3}",
                                     ".*",
                                     "$",
                                     "id [[:alnum:]]+",
                                     "^[a-f0-9]{32}$",
                                     "(x|y){2,50}",
                                     "[]a-z]+",
                                     "a{1,150}"};
  static const char *const bad[] = {"a{1,32767}",
                                    "a{1,10000}",
                                    "(a{1,100}){1,101}",
                                    "[",
                                    "(",
                                    "a{2,1}",
                                    "\\",
                                    "[[:nosuch:]]",
                                    "a{,}",
                                    "x{10001}",
                                    "(a{100}){100}",
                                    "((.*)*){1,255}",
                                    "(a|b*)+",
                                    "((a*)*|)((a*)*|)((a*)*|)",
                                    "(((.*|)*|)*|)(((.*|)*|)*|)",
                                    "a**",
                                    "(^)*",
                                    "a{1}{1}{1}",
                                    "(a)\\1",
                                    "a{1,182}",
                                    "a{4097}"};
  if (!(flags & GEN_NEAR_MISS) || gen_rand_chance(r, 60)) {
    gen_buf_puts(b, GEN_PICK(r, good));
    return;
  }
  switch (gen_rand_below(r, 4)) {
  case 0: /* one bound anywhere up to RE_DUP_MAX (glibc: 32767) and past it */
    gen_buf_printf(b, "a{1,%zu}", gen_rand_range(r, 1, 40000));
    break;
  case 1: /* nested bounds whose product is near the limit */
    gen_buf_printf(b, "(ab{%zu}){1,%zu}", gen_rand_range(r, 1, 300), gen_rand_range(r, 1, 300));
    break;
  case 2: { /* at, just over and far over the length limit */
    static const size_t lens[] = {999, 1000, 1001, 2000};
    gen_buf_repeat(b, 'a', lens[gen_rand_below(r, 4)]);
    break;
  }
  default:
    gen_buf_puts(b, GEN_PICK(r, bad));
  }
}

/* gen_script_header - a `maildir header NAME ~ REGEX`, `!~ REGEX` or `count N[|N...]` step
 * (after "maildir header "); near misses: names with ':' or a blank, other operators, five
 * or no counts. */
static void gen_script_header(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const char *const names[] = {"Received", "received",       "Return-Path", "Message-ID",
                                      "Subject",  "DKIM-Signature", "Date",        "X-Token"};
  static const char *const bad_names[] = {"Received:", "Return Path", "X-\x7f", "R\xc3\xa9\x66",
                                          "",          "Received\t:"};
  static const char *const bad_counts[] = {"0|1|2|3|4", "", "x", "1|", "|1", "100001", "-1", "1 2"};
  bool near = flags & GEN_NEAR_MISS;
  if (near && gen_rand_chance(r, 15)) {
    gen_buf_puts(b, GEN_PICK(r, bad_names));
  } else if (near && gen_rand_chance(r, 5)) {
    gen_buf_repeat(b, 'X', 77); /* RFC 5322 2.1.1: a field name must fit a 78-octet line */
  } else {
    gen_buf_puts(b, GEN_PICK(r, names));
  }
  switch (gen_rand_below(r, near ? 4 : 3)) {
  case 0:
  case 1:
    gen_buf_puts(b, gen_rand_chance(r, 60) ? " ~ " : " !~ ");
    gen_script_regex(r, b, flags);
    break;
  case 2:
    gen_buf_puts(b, " count ");
    if (near && gen_rand_chance(r, 25)) {
      gen_buf_puts(b, GEN_PICK(r, bad_counts));
    } else {
      size_t n = gen_rand_range(r, 1, MAILDIR_COUNTS_MAX);
      for (size_t i = 0; i < n; i++)
        gen_buf_printf(b, "%s%zu", i ? "|" : "", gen_rand_below(r, 4));
    }
    break;
  default:
    gen_buf_puts(b, GEN_PICK(r, ((const char *const[]){" =~ x", " ~", " !~", "", " count", " ~~ x",
                                                       " matches x"})));
  }
}

/* gen_script_skip_unless - a `skip-unless CODES REASON` step; near misses: no reason,
 * nothing at all, and codes a `skip-unless` does not take. */
static void gen_script_skip_unless(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const char *const codes[] = {"452|552", "220", "2xx", "25x", "250|251", "5xx|4xx", "354"};
  static const char *const bad_codes[] = {
      "45",   "6xx",      "closed",     "silence", "any",
      "2xxx", "250||251", "250|closed", "|250",    "250|251|252|253|254|255|256|257|258"};
  static const char *const reasons[] = {"no recipient limit was reached within 250",
                                        "STARTTLS was refused",
                                        "the server never reached the state the test is about",
                                        "$token stays as written", "r\xc3\xa9ponse; 100%"};
  gen_buf_puts(b, "skip-unless");
  bool near = (flags & GEN_NEAR_MISS) && gen_rand_chance(r, 30);
  switch (near ? gen_rand_below(r, 3) : 3) {
  case 0:
    break; /* nothing */
  case 1:
    gen_buf_printf(b, " %s", GEN_PICK(r, codes)); /* no reason */
    break;
  case 2:
    gen_buf_printf(b, " %s %s", GEN_PICK(r, bad_codes), GEN_PICK(r, reasons));
    break;
  default:
    gen_buf_printf(b, " %s %s", GEN_PICK(r, codes), GEN_PICK(r, reasons));
  }
}

/* gen_script_step - one step line; after reads the `<` step before it read a reply, so a
 * `skip-unless` may follow. Returns whether this step is such a `<` step. */
static bool gen_script_step(struct gen_rand *r, struct gen_buf *b, unsigned flags,
                            bool after_read) {
  bool reads = false;
  gen_buf_puts(b, "  ");
  if (after_read && gen_rand_chance(r, 30)) {
    gen_script_skip_unless(r, b, flags);
    gen_buf_putc(b, '\n');
    return false;
  }
  switch (gen_rand_below(r, 16)) {
  case 0:
  case 1:
  case 2:
    gen_buf_puts(b, "> ");
    gen_script_text(r, b, flags);
    break;
  case 3:
    gen_buf_puts(b, ">> ");
    gen_script_text(r, b, flags);
    break;
  case 4:
    gen_buf_puts(b, ">+ ");
    gen_script_text(r, b, flags);
    break;
  case 5:
  case 6:
  case 7:
    gen_buf_puts(b, "< ");
    reads = gen_script_spec(r, b, flags);
    break;
  case 8:
    gen_buf_puts(b, GEN_PICK(r, ((const char *const[]){"ehlo", "message", "starttls", "reconnect",
                                                       "close", ">"})));
    break;
  case 9:
    gen_buf_printf(b, "%s %s", gen_rand_chance(r, 50) ? "expect-ext" : "expect-no-ext",
                   GEN_PICK(r, ((const char *const[]){"PIPELINING", "SIZE", "STARTTLS"})));
    break;
  case 10:
    gen_buf_printf(b, "maildir count %zu", gen_rand_below(r, 3));
    break;
  case 11:
    gen_buf_printf(b, "maildir %s ", gen_rand_chance(r, 50) ? "has" : "lacks");
    gen_script_text(r, b, flags);
    break;
  case 12:
  case 13:
    gen_buf_puts(b, "maildir header ");
    gen_script_header(r, b, flags);
    break;
  default:
    if (!(flags & GEN_NEAR_MISS))
      gen_buf_puts(b, "# a comment, and a step: a test without steps is an error\n  ehlo");
    else if (gen_rand_chance(r, 40)) /* not right after a `<` that read a reply */
      gen_script_skip_unless(r, b, flags & ~GEN_NEAR_MISS);
    else
      gen_buf_puts(
          b, GEN_PICK(r, ((const char *const[]){"bogus-step", "maildir count x", "expect-ext", "<",
                                                "ehlo extra", "maildir header", "skip-unless"})));
  }
  gen_buf_putc(b, '\n');
  return reads;
}

/* gen_script - a file of one to three tests. */
void gen_script(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const char *const refs[] = {"RFC 5321 3.3", "RFC 5321 4.1.1.4", "RFC 3207 4.2",
                                     "RFC 2920 3.1", "RFC 1870 6"};
  static const char *const levels[] = {"MUST", "SHOULD", "MAY"};
  size_t tests = gen_rand_range(r, 1, 3);
  gen_buf_puts(b, "# generated by smtpcheck gen\n");
  for (size_t t = 0; t < tests; t++) {
    bool broken = (flags & GEN_NEAR_MISS) && gen_rand_chance(r, 20);
    size_t id = broken && t > 0 ? 0 : t;
    gen_buf_printf(b, "test gen-%zu\n", id); /* a repeated id is a script error */
    if (!broken || gen_rand_chance(r, 50))
      gen_buf_printf(b, "  ref     %s\n", GEN_PICK(r, refs));
    gen_buf_printf(b, "  level   %s\n", broken ? "SOMETIMES" : GEN_PICK(r, levels));
    gen_buf_puts(b, "  about   generated test\n");
    if (gen_rand_chance(r, 30))
      gen_buf_printf(b, "  require %s\n",
                     GEN_PICK(r, ((const char *const[]){"ext PIPELINING", "ext CHUNKING", "foreign",
                                                        "maildir", "auth", "plaintext", "tls"})));
    if (gen_rand_chance(r, 10))
      gen_buf_puts(b, "  greeting any\n");
    if (gen_rand_chance(r, 10))
      gen_buf_printf(b, "  timeout %zu\n", gen_rand_range(r, 1, 30));
    size_t steps = gen_rand_range(r, 1, 8);
    bool after_read = false;
    for (size_t i = 0; i < steps; i++)
      after_read = gen_script_step(r, b, flags, after_read);
    gen_buf_putc(b, '\n');
  }
}
