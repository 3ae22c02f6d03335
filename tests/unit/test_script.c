/* test_script.c - the suite script parser: every step, spec and header, every error. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "script.h"
#include "suite_embedded.h"

/* parse - compile text as "t.smtp" into suite; returns the number of errors. */
static size_t parse(const char *text, struct script_suite *suite, struct script_errors *errs) {
  return script_parse("t.smtp", text, strlen(text), suite, errs);
}

#define HEADER "test t1\n ref RFC 5321 3.3\n level MUST\n about RCPT first is 503\n"

Test(script_parser, compiles_a_test_with_its_header_and_steps) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  cr_assert_eq(parse("# comment\n\n" HEADER " ehlo\n > RCPT TO:<$rcpt>\n < 503\n", &s, &e), 0);
  cr_assert_eq(s.ntests, 1);
  const struct script_test *t = &s.tests[0];
  cr_assert_str_eq(t->id, "t1");
  cr_assert_str_eq(t->ref, "RFC 5321 3.3");
  cr_assert_eq(t->level, LEVEL_MUST);
  cr_assert_str_eq(t->about, "RCPT first is 503");
  cr_assert_str_eq(t->file, "t.smtp");
  cr_assert_eq(t->line, 3);
  cr_assert_eq(t->nsteps, 3);
  cr_assert_eq(t->steps[0].kind, STEP_EHLO);
  cr_assert_eq(t->steps[1].kind, STEP_SEND);
  cr_assert_str_eq(t->steps[1].arg, "RCPT TO:<$rcpt>");
  cr_assert_eq(t->steps[1].line, 8);
  cr_assert_eq(t->steps[2].kind, STEP_EXPECT);
  cr_assert_eq(t->steps[2].spec.kind, SPEC_CODES);
  cr_assert_eq(t->steps[2].spec.ncodes, 1);
  cr_assert_eq(memcmp(t->steps[2].spec.codes[0], "503", 3), 0);
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_parser, compiles_every_kind_of_step) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  const char *text = HEADER "  ehlo\n  >\n  > NOOP \n  >> RSET\\r\\n\n  >+ NOOP\n"
                            "  < 250\n  expect-ext PIPELINING\n  expect-no-ext CHUNKING\n"
                            "  message\n  starttls\n  reconnect\n  close\n  maildir count 2\n"
                            "  maildir has X-Test: \\x41\n  maildir lacks ${x*3}\n";
  cr_assert_eq(parse(text, &s, &e), 0, "%s", e.n ? e.msgs[0] : "");
  const struct script_test *t = &s.tests[0];
  enum step_kind want[] = {
      STEP_EHLO,      STEP_SEND,       STEP_SEND,          STEP_SEND_RAW,    STEP_QUEUE,
      STEP_EXPECT,    STEP_EXPECT_EXT, STEP_EXPECT_NO_EXT, STEP_MESSAGE,     STEP_STARTTLS,
      STEP_RECONNECT, STEP_CLOSE,      STEP_MAILDIR_COUNT, STEP_MAILDIR_HAS, STEP_MAILDIR_LACKS};
  cr_assert_eq(t->nsteps, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < t->nsteps; i++)
    cr_assert_eq(t->steps[i].kind, want[i], "step %zu", i);
  cr_assert_str_eq(t->steps[1].arg, "", "a lone '>' sends an empty line");
  cr_assert_str_eq(t->steps[2].arg, "NOOP ", "trailing blanks of a send are kept");
  cr_assert_str_eq(t->steps[3].arg, "RSET\\r\\n", "escapes stay a template until run time");
  cr_assert_str_eq(t->steps[6].arg, "PIPELINING");
  cr_assert_eq(t->steps[12].count, 2);
  cr_assert_str_eq(t->steps[13].arg, "X-Test: \\x41");
  cr_assert(t->requires & REQUIRE_MAILDIR, "maildir steps imply require maildir");
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_parser, compiles_every_header_line) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  const char *text = "test h\n ref RFC 3030 2\n level SHOULD\n about x\n require ext CHUNKING\n"
                     " require ext 8BITMIME\n require foreign\n require maildir\n require auth\n"
                     " require tls\n greeting any\n timeout 2.5\n < 220\n"
                     "test m\n ref RFC 1\n level MAY\n about y\n require plaintext\n close\n";
  cr_assert_eq(parse(text, &s, &e), 0, "%s", e.n ? e.msgs[0] : "");
  const struct script_test *t = &s.tests[0];
  cr_assert_eq(t->level, LEVEL_SHOULD);
  cr_assert_eq(t->nexts, 2);
  cr_assert_str_eq(t->exts[0], "CHUNKING");
  cr_assert_str_eq(t->exts[1], "8BITMIME");
  cr_assert_eq(t->requires, REQUIRE_FOREIGN | REQUIRE_MAILDIR | REQUIRE_AUTH | REQUIRE_TLS);
  cr_assert(t->greeting_any);
  cr_assert_eq(t->timeout_ms, 2500);
  cr_assert_eq(s.tests[1].level, LEVEL_MAY);
  cr_assert_eq(s.tests[1].requires, REQUIRE_PLAINTEXT);
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_parser, compiles_the_second_round_of_language_features) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  const char *text = "test n\n ref RFC 4954 4\n level MUST\n about x\n require ext AUTH=PLAIN\n"
                     " require no-ext STARTTLS\n require domain\n require size-limit\n"
                     " ehlo\n bdat Subject: $token\\r\\n\n bdat-last \\r\\nbody\\r\\n\n"
                     " < 250|silence 1 ; 250 ~ 2.\n maildir count 0|1\n expect-ext AUTH=LOGIN\n";
  cr_assert_eq(parse(text, &s, &e), 0, "%s", e.n ? e.msgs[0] : "");
  const struct script_test *t = &s.tests[0];
  cr_assert_eq(t->nexts, 2);
  cr_assert_str_eq(t->exts[0], "AUTH=PLAIN");
  cr_assert_not(t->exts_absent[0]);
  cr_assert_str_eq(t->exts[1], "STARTTLS");
  cr_assert(t->exts_absent[1], "no-ext is a requirement that the keyword is absent");
  cr_assert_eq(t->requires, REQUIRE_DOMAIN | REQUIRE_SIZE_LIMIT | REQUIRE_MAILDIR);
  cr_assert_eq(t->steps[1].kind, STEP_BDAT);
  cr_assert_str_eq(t->steps[1].arg, "Subject: $token\\r\\n");
  cr_assert_eq(t->steps[2].kind, STEP_BDAT_LAST);
  cr_assert_eq(t->steps[4].kind, STEP_MAILDIR_COUNT);
  cr_assert_eq(t->steps[4].ncounts, 2);
  cr_assert_eq(t->steps[4].counts[0], 0);
  cr_assert_eq(t->steps[4].counts[1], 1);
  cr_assert_eq(t->steps[4].count, 1, "count is the largest alternative");
  cr_assert_str_eq(t->steps[5].arg, "AUTH=LOGIN");
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_parser, new_variables_imply_a_domain_or_a_size_limit) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  const char *text =
      HEADER " > RCPT TO:<$rcpt_local@$rcpt_domain>\n < 250\n"
             "test t2\n ref R\n level MAY\n about x\n"
             " > MAIL FROM:<$from> SIZE=$size_over_limit\n < 552 ; 552 ~ $size_limit\n"
             "test t3\n ref R\n level MAY\n about x\n > RCPT TO:<$rcpt_local>\n";
  cr_assert_eq(parse(text, &s, &e), 0, "%s", e.n ? e.msgs[0] : "");
  cr_assert_eq(s.tests[0].requires, REQUIRE_DOMAIN);
  cr_assert_eq(s.tests[1].requires, REQUIRE_SIZE_LIMIT);
  cr_assert_eq(s.tests[2].requires, 0, "$rcpt_local always has a value");
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_parser, variables_that_need_options_imply_their_requirement) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  cr_assert_eq(parse(HEADER " > RCPT TO:<$foreign>\n < 5xx ~ $user\n", &s, &e), 0);
  cr_assert_eq(s.tests[0].requires, REQUIRE_FOREIGN | REQUIRE_AUTH);
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_parser, compiles_the_third_round_maildir_header_steps) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  const char *text = HEADER " maildir header Received ~ ;[[:space:]]*[0-9]{1,2} [A-Z][a-z]{2}$\n"
                            " maildir header received !~ (^|[[:space:]])for[[:space:]].*@.*@\n"
                            "\tmaildir\theader\tX-Test\tcount\t0|1 \n"
                            " maildir header Return-Path count 1\n"
                            " maildir header Subject ~ a ~ b !~ c\n";
  cr_assert_eq(parse(text, &s, &e), 0, "%s", e.n ? e.msgs[0] : "");
  const struct script_test *t = &s.tests[0];
  cr_assert_eq(t->nsteps, 5);
  cr_assert_eq(t->steps[0].kind, STEP_HEADER_MATCH);
  cr_assert_str_eq(t->steps[0].field, "Received");
  cr_assert_str_eq(t->steps[0].arg, ";[[:space:]]*[0-9]{1,2} [A-Z][a-z]{2}$",
                   "the pattern is kept as written: '$' is its anchor, not a variable");
  cr_assert_eq(t->steps[1].kind, STEP_HEADER_NO_MATCH);
  cr_assert_str_eq(t->steps[1].field, "received", "the name is kept as written");
  cr_assert_eq(t->steps[2].kind, STEP_HEADER_COUNT);
  cr_assert_str_eq(t->steps[2].field, "X-Test");
  cr_assert_eq(t->steps[2].ncounts, 2);
  cr_assert_eq(t->steps[2].counts[1], 1);
  cr_assert_eq(t->steps[2].count, 1);
  cr_assert_null(t->steps[2].arg, "a count has no pattern");
  cr_assert_eq(t->steps[3].counts[0], 1);
  cr_assert_str_eq(t->steps[4].arg, "a ~ b !~ c", "the pattern is the rest of the line");
  cr_assert(t->requires & REQUIRE_MAILDIR, "maildir header steps imply require maildir");
  cr_assert(script_step_is_maildir(STEP_HEADER_MATCH));
  cr_assert(script_step_is_maildir(STEP_HEADER_COUNT));
  cr_assert_not(script_step_is_maildir(STEP_EXPECT));
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_parser, compiles_skip_unless_after_a_reply_step) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  const char *text = HEADER " > RCPT TO:<$rcpt>\n < 250|452\n"
                            " skip-unless 452|55x the limit was not reached: 250 took all\n"
                            " > DATA\n < any\n skip-unless 354 refused\n";
  cr_assert_eq(parse(text, &s, &e), 0, "%s", e.n ? e.msgs[0] : "");
  const struct script_test *t = &s.tests[0];
  cr_assert_eq(t->nsteps, 6);
  cr_assert_eq(t->steps[2].kind, STEP_SKIP_UNLESS);
  cr_assert_eq(t->steps[2].spec.ncodes, 2);
  cr_assert_eq(memcmp(t->steps[2].spec.codes[1], "55x", 3), 0);
  cr_assert_str_eq(t->steps[2].arg, "the limit was not reached: 250 took all");
  cr_assert_str_eq(t->steps[5].arg, "refused");
  cr_assert_not(script_step_is_maildir(STEP_SKIP_UNLESS));
  script_suite_free(&s);
  script_errors_free(&e);
}

/* One reply spec and what it must compile to. */
struct spec_vector {
  const char *text;
  enum spec_kind kind;
  const char *codes; /* concatenated 3-character patterns */
  bool or_closed;
  const char *needle;
  long silence_ms;
  bool or_silence, single_line, absent;
  size_t nconds;
};

/* The vectors of script_spec.compiles_reply_specs. */
static const struct spec_vector compiles_reply_specs_vectors[] = {
    {"250", SPEC_CODES, "250", false, NULL, 0, false, false, false, 0},
    {"2xx", SPEC_CODES, "2xx", false, NULL, 0, false, false, false, 0},
    {"25x", SPEC_CODES, "25x", false, NULL, 0, false, false, false, 0},
    {"250|251", SPEC_CODES, "250251", false, NULL, 0, false, false, false, 0},
    {"5xx|4xx", SPEC_CODES, "5xx4xx", false, NULL, 0, false, false, false, 0},
    {"250 | 251|closed", SPEC_CODES, "250251", true, NULL, 0, false, false, false, 0},
    {"closed|221", SPEC_CODES, "221", true, NULL, 0, false, false, false, 0},
    {"250 ~ PIPELINING", SPEC_CODES, "250", false, "PIPELINING", 0, false, false, false, 0},
    {"5XX ~ 5.7.1 go away  ", SPEC_CODES, "5xx", false, "5.7.1 go away", 0, false, false, false, 0},
    {"closed", SPEC_CLOSED, "", false, NULL, 0, false, false, false, 0},
    {"silence 2", SPEC_SILENCE, "", false, NULL, 2000, false, false, false, 0},
    {"silence 0.25", SPEC_SILENCE, "", false, NULL, 250, false, false, false, 0},
    {"any", SPEC_ANY, "", false, NULL, 0, false, false, false, 0},
    {"any ~ hello", SPEC_ANY, "", false, "hello", 0, false, false, false, 0},
    {"silence 2|5xx|closed", SPEC_CODES, "5xx", true, NULL, 2000, true, false, false, 0},
    {"5xx | silence 0.5", SPEC_CODES, "5xx", false, NULL, 500, true, false, false, 0},
    {"250 single-line", SPEC_CODES, "250", false, NULL, 0, false, true, false, 0},
    {"250 single-line ~ mx", SPEC_CODES, "250", false, "mx", 0, false, true, false, 0},
    {"250 !~ PIPELINING", SPEC_CODES, "250", false, "PIPELINING", 0, false, false, true, 0},
    {"250|252 ; 250 ~ @", SPEC_CODES, "250252", false, NULL, 0, false, false, false, 1},
    {"any ; 250 single-line ; 5xx !~ x", SPEC_ANY, "", false, NULL, 0, false, false, false, 2},
    {"250 ~ a\\x3bb", SPEC_CODES, "250", false, "a\\x3bb", 0, false, false, false, 0},
};

/* check_compiles_reply_specs - one vector of script_spec.compiles_reply_specs. */
static void check_compiles_reply_specs(const struct spec_vector *v) {
  struct reply_spec spec;
  char err[256] = "";
  cr_assert_eq(script_parse_spec(v->text, strlen(v->text), &spec, err, sizeof err), 0, "'%s': %s",
               v->text, err);
  cr_assert_eq(spec.kind, v->kind, "'%s'", v->text);
  cr_assert_eq(spec.ncodes * 3, strlen(v->codes), "'%s'", v->text);
  for (size_t i = 0; i < spec.ncodes; i++)
    cr_assert_eq(memcmp(spec.codes[i], v->codes + 3 * i, 3), 0, "'%s' alt %zu", v->text, i);
  cr_assert_eq(spec.or_closed, v->or_closed, "'%s'", v->text);
  if (v->needle)
    cr_assert_str_eq(spec.shape.text, v->needle);
  else
    cr_assert_null(spec.shape.text, "'%s'", v->text);
  cr_assert_eq(spec.silence_ms, v->silence_ms, "'%s'", v->text);
  cr_assert_eq(spec.or_silence, v->or_silence, "'%s'", v->text);
  cr_assert_eq(spec.shape.single_line, v->single_line, "'%s'", v->text);
  cr_assert_eq(spec.shape.text_absent, v->absent, "'%s'", v->text);
  cr_assert_eq(spec.nconds, v->nconds, "'%s'", v->text);
  script_spec_free(&spec);
}

Test(script_spec, compiles_reply_specs) {
  for (size_t i = 0;
       i < sizeof compiles_reply_specs_vectors / sizeof compiles_reply_specs_vectors[0]; i++)
    check_compiles_reply_specs(&compiles_reply_specs_vectors[i]);
}

/* A script with one mistake and the FILE:LINE: message it must produce. */
struct error_vector {
  const char *text;
  const char *error; /* expected prefix "t.smtp:LINE: " and a part of the message */
};

/* The vectors of script_errors.reports_each_error_with_file_and_line. */
static const struct error_vector reports_each_error_with_file_and_line_vectors[] = {
    {"ehlo\n", "t.smtp:1: 'ehlo' outside a test"},
    {"> NOOP\n", "t.smtp:1: step outside a test"},
    {HEADER " frobnicate\n", "t.smtp:5: unknown step 'frobnicate'"},
    {HEADER " < 600\n", "t.smtp:5: bad reply spec '600'"},
    {HEADER " < 25\n", "t.smtp:5: bad reply spec '25'"},
    {HEADER " <\n", "t.smtp:5: '<' needs a reply spec"},
    {HEADER " < closed|closed\n", "t.smtp:5: 'closed' as an alternative needs a code"},
    {HEADER " < 250 PIPELINING\n", "t.smtp:5: unexpected 'PIPELINING'"},
    {HEADER " < 250 ~\n", "t.smtp:5: '~' needs a text"},
    {HEADER " < silence\n", "t.smtp:5: silence needs a number"},
    {HEADER " < silence -1\n", "t.smtp:5: silence needs a number"},
    {HEADER " < 1|2|3|4|5|6|7|8|9\n", "t.smtp:5: bad reply spec '1'"},
    {HEADER " < 2xx|3xx|4xx|5xx|2xx|3xx|4xx|5xx|250\n", "t.smtp:5: more than 8 alternatives"},
    {HEADER " < 250 ~ a;b\n", "t.smtp:5: bad reply spec 'b'"},
    {HEADER " < 250 ; 251\n", "t.smtp:5: the condition '251' checks nothing"},
    {HEADER " < 250 ;\n", "t.smtp:5: ';' needs a condition"},
    {HEADER " < closed ; 250 ~ x\n", "t.smtp:5: a condition (';') needs a reply to judge"},
    {HEADER " < silence 1 ; 250 ~ x\n", "t.smtp:5: a condition (';') needs a reply to judge"},
    {HEADER " < 250 ; closed ~ x\n", "t.smtp:5: bad reply spec 'closed'"},
    {HEADER " < 250 ; 2xx ~ a ; 2xx ~ b ; 2xx ~ c ; 2xx ~ d ; 2xx ~ e\n",
     "t.smtp:5: more than 4 conditions"},
    {HEADER " < silence 2|closed\n", "t.smtp:5: 'silence' as an alternative needs a code"},
    {HEADER " < 250|silence 1|silence 2\n", "t.smtp:5: silence needs a number of seconds"},
    {HEADER " < 250|silence x\n", "t.smtp:5: silence needs a number of seconds"},
    {HEADER " < 250 !~\n", "t.smtp:5: '!~' needs a text"},
    {HEADER " < 250 single\n", "t.smtp:5: unexpected 'single'"},
    {HEADER " < 250 ; 250 ~ $nosuch\n", "t.smtp:5: unknown variable '$nosuch'"},
    {HEADER " bdat\n", "t.smtp:5: 'bdat' needs the chunk's content"},
    {HEADER " bdat-last $nosuch\n", "t.smtp:5: unknown variable '$nosuch'"},
    {HEADER " maildir count 1|\n", "t.smtp:5: maildir count needs a number"},
    {HEADER " maildir count 0|1|2|3|4\n", "t.smtp:5: maildir count needs a number, or up to 4"},
    {HEADER " maildir count 1 2\n", "t.smtp:5: maildir count needs a number"},
    {HEADER " require ext AUTH=\n ehlo\n", "t.smtp:5: bad EHLO keyword 'AUTH='"},
    {HEADER " require ext =PLAIN\n ehlo\n", "t.smtp:5: bad EHLO keyword '=PLAIN'"},
    {HEADER " require no-ext A_B\n ehlo\n", "t.smtp:5: bad EHLO keyword 'A_B'"},
    {HEADER " expect-ext AUTH=\n", "t.smtp:5: 'expect-ext' needs one EHLO keyword"},
    {HEADER " > $nosuch\n", "t.smtp:5: unknown variable '$nosuch'"},
    {HEADER " > ${nosuch}\n", "t.smtp:5: unknown variable '${nosuch}'"},
    {HEADER " > 5$\n", "t.smtp:5: '$' not followed by a variable name"},
    {HEADER " > \\q\n", "t.smtp:5: unknown escape '\\q'"},
    {HEADER " > \\x4\n", "t.smtp:5: \\x needs two hex digits"},
    {HEADER " > a\\\n", "t.smtp:5: '\\' at the end of the text"},
    {HEADER " > ${x*3\n", "t.smtp:5: '${' without a closing '}'"},
    {HEADER " > ${*3}\n", "t.smtp:5: empty string in ${STR*N}"},
    {HEADER " > ${x*99999999999}\n", "t.smtp:5: repetition count over"},
    {HEADER " >NOOP\n", "t.smtp:5: '>' must be followed by a blank"},
    {HEADER " >>\n", "t.smtp:5: '>>' needs octets to send"},
    {HEADER " ehlo now\n", "t.smtp:5: 'ehlo' takes no argument"},
    {HEADER " expect-ext\n", "t.smtp:5: 'expect-ext' needs one EHLO keyword"},
    {HEADER " expect-no-ext A B\n", "t.smtp:5: 'expect-no-ext' needs one EHLO keyword"},
    {HEADER " maildir count x\n", "t.smtp:5: maildir count needs a number"},
    {HEADER " maildir holds x\n", "t.smtp:5: maildir takes 'count N'"},
    {HEADER " maildir header\n", "t.smtp:5: maildir header needs a field name, without the ':'"},
    {HEADER " maildir header Received: ~ x\n", "t.smtp:5: maildir header needs a field name"},
    {HEADER " maildir header Re\xc3\xa7u ~ x\n", "t.smtp:5: maildir header needs a field name"},
    {HEADER " maildir header "
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
            " ~ x\n",
     "t.smtp:5: maildir header needs a field name"},
    {HEADER " maildir header Received\n", "t.smtp:5: maildir header Received takes '~ REGEX'"},
    {HEADER " maildir header Received has x\n", "t.smtp:5: maildir header Received takes"},
    {HEADER " maildir header Received ~x\n", "t.smtp:5: maildir header Received takes"},
    {HEADER " maildir header Received ~\n", "t.smtp:5: '~' needs a regular expression"},
    {HEADER " maildir header Received !~ \n", "t.smtp:5: '!~' needs a regular expression"},
    {HEADER " maildir header Received ~ (unclosed\n",
     "t.smtp:5: bad regular expression '(unclosed': "},
    {HEADER " maildir header Received !~ a{2,1}\n", "t.smtp:5: bad regular expression 'a{2,1}': "},
    {HEADER " maildir header Received ~ [[:nosuch:]]\n", "t.smtp:5: bad regular expression"},
    {HEADER " maildir header Received ~ a{1,32767}\n",
     "t.smtp:5: bad regular expression 'a{1,32767}': its repetition bounds expand it too far"},
    {HEADER " maildir header Received ~ ((a{1,100}){1,100}){2}\n",
     "t.smtp:5: bad regular expression '((a{1,100}){1,100}){2}': its repetition bounds expand"},
    {HEADER " maildir header Received ~ ((.*|)*|)((.*|)*|)\n",
     "t.smtp:5: bad regular expression '((.*|)*|)((.*|)*|)': a repeated subexpression can match "
     "the empty string"},
    {HEADER " maildir header Received ~ (a)\\1\n",
     "t.smtp:5: bad regular expression '(a)\\1': back-references (\\1 ... \\9) are not part"},
    {HEADER " maildir header Received count\n", "t.smtp:5: maildir header count needs a number"},
    {HEADER " maildir header Received count 1|2|3|4|5\n",
     "t.smtp:5: maildir header count needs a number, or up to 4 joined by '|'"},
    {HEADER " maildir header Received count one\n",
     "t.smtp:5: maildir header count needs a number"},
    {HEADER " skip-unless 250 why\n", "t.smtp:5: 'skip-unless' must come right after a '<' step"},
    {HEADER " > QUIT\n < closed\n skip-unless 221 why\n",
     "t.smtp:7: 'skip-unless' must come right after a '<' step that reads a reply"},
    {HEADER " < silence 1\n skip-unless 221 why\n", "t.smtp:6: 'skip-unless' must come right"},
    {HEADER " < 250\n > NOOP\n skip-unless 250 why\n", "t.smtp:7: 'skip-unless' must come right"},
    {HEADER " < 250\n skip-unless 250\n", "t.smtp:6: 'skip-unless' needs reply codes and a reason"},
    {HEADER " < 250\n skip-unless\n", "t.smtp:6: 'skip-unless' needs reply codes and a reason"},
    {HEADER " < 250\n skip-unless 6xx why\n", "t.smtp:6: bad reply spec '6xx'"},
    {HEADER " < 250\n skip-unless 250|closed why\n",
     "t.smtp:6: 'skip-unless' takes reply codes only, not '250|closed'"},
    {HEADER " < 250\n skip-unless any why\n", "t.smtp:6: 'skip-unless' takes reply codes only"},
    {HEADER " ehlo\n ref RFC 1\n", "t.smtp:6: 'ref' must come before the test's first step"},
    {HEADER " ref RFC 2\n ehlo\n", "t.smtp:5: second 'ref' line in test t1"},
    {HEADER " level must\n ehlo\n", "t.smtp:5: level must be MUST, SHOULD or MAY"},
    {HEADER " require ext\n ehlo\n", "t.smtp:5: unknown requirement 'ext'"},
    {HEADER " require ext A_B\n ehlo\n", "t.smtp:5: bad EHLO keyword 'A_B'"},
    {HEADER " require nothing\n ehlo\n", "t.smtp:5: unknown requirement 'nothing'"},
    {HEADER " require tls\n require plaintext\n ehlo\n",
     "t.smtp:6: test t1 requires both tls and plaintext"},
    {HEADER " greeting 220\n ehlo\n", "t.smtp:5: 'greeting' takes only 'any'"},
    {HEADER " timeout soon\n ehlo\n", "t.smtp:5: timeout needs a number of seconds"},
    {HEADER " timeout 0\n ehlo\n", "t.smtp:5: timeout needs a number of seconds"},
    {"test t1\n level MUST\n about a\n ehlo\n", "t.smtp:1: test t1 has no 'ref' line"},
    {"test t1\n ref R\n about a\n ehlo\n", "t.smtp:1: test t1 has no 'level' line"},
    {"test t1\n ref R\n level MAY\n ehlo\n", "t.smtp:1: test t1 has no 'about' line"},
    {HEADER "\n", "t.smtp:1: test t1 has no steps"},
    {"test Bad_Id\n", "t.smtp:1: bad test id 'Bad_Id'"},
    {"test\n", "t.smtp:1: bad test id ''"},
    {HEADER " ehlo\n" HEADER " ehlo\n", "t.smtp:6: duplicate test id 't1' (first at t.smtp:1)"},
    {HEADER " > a\0b\n", "t.smtp:5: NUL octet in the script"},
};

/* check_reports_each_error_with_file_and_line - one vector of
 * script_errors.reports_each_error_with_file_and_line. */
static void check_reports_each_error_with_file_and_line(const struct error_vector *v) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  /* The NUL vector is measured past its NUL: strlen would stop there. */
  size_t len = strlen(v->text);
  if (strstr(v->error, "NUL"))
    len += 1 + strlen(v->text + len + 1);
  size_t n = script_parse("t.smtp", v->text, len, &s, &e);
  cr_assert_geq(n, 1, "no error for: %s", v->text);
  cr_assert_eq(n, e.n);
  cr_assert(strncmp(e.msgs[0], v->error, strlen(v->error)) == 0, "got '%s', want '%s...'",
            e.msgs[0], v->error);
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_errors, reports_each_error_with_file_and_line) {
  for (size_t i = 0; i < sizeof reports_each_error_with_file_and_line_vectors /
                             sizeof reports_each_error_with_file_and_line_vectors[0];
       i++)
    check_reports_each_error_with_file_and_line(&reports_each_error_with_file_and_line_vectors[i]);
}

/* The lines of a valid test using every `maildir header` form, for the test below. */
static const char *const header_lines[] = {
    "test h1",
    " ref RFC 5321 4.4",
    " level MUST",
    " about the topmost Received: field has a date",
    " ehlo",
    " maildir header Received ~ ;[[:space:]]*[^;]+$",
    " maildir header Received !~ for[[:space:]].*@.*@",
    " maildir header Received count 1|2",
    " maildir has Received:",
};

Test(script_errors, a_bad_maildir_header_step_is_reported_at_its_own_line_wherever_it_is) {
  size_t nlines = sizeof header_lines / sizeof header_lines[0];
  const char *bad[] = {" maildir header Received ~ (", " maildir header Received count x",
                       " maildir header : ~ x", " maildir header Received is x"};
  /* Whole: the valid test compiles. */
  char text[2048] = "";
  for (size_t i = 0; i < nlines; i++)
    strcat(strcat(text, header_lines[i]), "\n");
  struct script_suite s = {0};
  struct script_errors e = {0};
  cr_assert_eq(parse(text, &s, &e), 0, "%s", e.n ? e.msgs[0] : "");
  script_suite_free(&s);
  script_errors_free(&e);
  /* Then each bad step in place of each step line (after the header lines). */
  for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
    for (size_t at = 4; at < nlines; at++) {
      text[0] = '\0';
      for (size_t i = 0; i < nlines; i++)
        strcat(strcat(text, i == at ? bad[b] : header_lines[i]), "\n");
      char want[32];
      snprintf(want, sizeof want, "t.smtp:%zu: ", at + 1);
      cr_assert_eq(parse(text, &s, &e), 1, "'%s' at line %zu", bad[b], at + 1);
      cr_assert(strncmp(e.msgs[0], want, strlen(want)) == 0, "got '%s', want '%s...'", e.msgs[0],
                want);
      cr_assert_eq(s.tests[0].nsteps, nlines - 5, "the bad step is not compiled");
      script_suite_free(&s);
      script_errors_free(&e);
    }
  }
}

Test(script_errors, a_bad_test_line_does_not_cascade_into_its_steps) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  cr_assert_eq(parse("test BAD\n ref x\n frob\n" HEADER " ehlo\n", &s, &e), 1);
  cr_assert_eq(s.ntests, 1);
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_requirements, require_ext_is_judged_after_the_last_starttls) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  cr_assert_eq(parse(HEADER " ehlo\n > STARTTLS\n < 220\n starttls\n ehlo\n", &s, &e), 0);
  const struct script_test *t = &s.tests[0];
  cr_assert_not(script_ext_due(t, 0, "AUTH"), "AUTH may appear only after TLS");
  cr_assert(script_ext_due(t, 0, "starttls"), "STARTTLS is judged in plaintext");
  cr_assert(script_ext_due(t, 5, "AUTH"), "the EHLO after starttls judges");
  cr_assert(script_ext_due(t, 1, "STARTTLS"), "the EHLO before starttls judges STARTTLS");
  cr_assert_not(script_ext_due(t, 5, "STARTTLS"), "STARTTLS is not offered under TLS");
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_select, picks_tests_by_only_and_skip_globs) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  const char *text = "test a-1\n ref R\n level MAY\n about x\n close\n"
                     "test a-2\n ref R\n level MAY\n about x\n close\n"
                     "test b-1\n ref R\n level MAY\n about x\n close\n";
  cr_assert_eq(parse(text, &s, &e), 0);
  const struct script_test **out;
  char *only[] = {"a-*"}, *skip[] = {"*-2"};
  cr_assert_eq(script_select(&s, only, 1, NULL, 0, &out), 2);
  free(out);
  cr_assert_eq(script_select(&s, NULL, 0, skip, 1, &out), 2);
  cr_assert_str_eq(out[1]->id, "b-1");
  free(out);
  cr_assert_eq(script_select(&s, only, 1, skip, 1, &out), 1);
  cr_assert_str_eq(out[0]->id, "a-1");
  free(out);
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(script_load, every_embedded_script_compiles) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  size_t n = script_load_embedded(&s, &e);
  cr_assert_eq(n, 0, "%s", e.n ? e.msgs[0] : "");
  script_suite_free(&s);
  script_errors_free(&e);
}

/* next_rand - a small deterministic generator (xorshift32) for mutated inputs. */
static unsigned next_rand(unsigned *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

Test(script_parser, survives_truncated_and_mutated_scripts) {
  /* Every embedded script cut at many points and with octets flipped: the parser may
   * report errors but must not crash or read out of bounds (run it under ASan). */
  static const char alphabet[] = "<>+$\\{}*|~ \t\r\n\0x9#";
  unsigned seed = 12345;
  for (unsigned long i = 0; smtpcheck_suite[i].name; i++) {
    size_t len = smtpcheck_suite[i].len;
    char *copy = malloc(len ? len : 1);
    cr_assert_not_null(copy);
    for (int round = 0; round < 40; round++) {
      memcpy(copy, smtpcheck_suite[i].text, len);
      size_t cut = len ? next_rand(&seed) % (len + 1) : 0;
      for (int k = 0; k < 8 && cut; k++)
        copy[next_rand(&seed) % cut] = alphabet[next_rand(&seed) % (sizeof alphabet - 1)];
      /* An exact-size heap copy: any read past the end is caught by ASan. */
      char *exact = malloc(cut ? cut : 1);
      memcpy(exact, copy, cut);
      struct script_suite s = {0};
      struct script_errors e = {0};
      size_t n = script_parse(smtpcheck_suite[i].name, exact, cut, &s, &e);
      cr_assert_eq(n, e.n, "every error is reported");
      for (size_t k = 0; k < e.n; k++)
        cr_assert(strncmp(e.msgs[k], smtpcheck_suite[i].name, strlen(smtpcheck_suite[i].name)) == 0,
                  "errors name their file: %s", e.msgs[k]);
      script_suite_free(&s);
      script_errors_free(&e);
      free(exact);
    }
    free(copy);
  }
}
