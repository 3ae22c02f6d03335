/* test_maildir_header.c - header fields of delivered messages: the topmost field of a
 * name, unfolded (RFC 5322 2.2.3), counted, with CRLF or LF line ends, and the patterns of
 * the `maildir header` steps. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "maildir_header.h"
#include "script.h"

/* One message (lines joined by "\n", turned into CRLF for the second run), a field name,
 * the topmost field's unfolded value (NULL: none) and how many fields have that name. */
struct header_vector {
  const char *msg;
  const char *name;
  const char *value;
  long count;
};

/* The vectors of maildir_header.finds_the_topmost_field_unfolded_and_counts_them. */
static const struct header_vector header_vectors[] = {
    {"Received: from a\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n", "Received",
     "from a\tby b; Mon, 1 Jan 2024 00:00:00 +0000", 1},
    {"Return-Path: <x@y>\nReceived: from new\n by me;\n Tue, 2 Jan 2024 10:00:00 +0100\n"
     "Received: from old by relay; Mon, 1 Jan 2024 00:00:00 +0000\nSubject: s\n\nb\n",
     "received", "from new by me; Tue, 2 Jan 2024 10:00:00 +0100", 2},
    {"Subject:   padded value  \t\n\n", "SUBJECT", "padded value", 1},
    {"Subject:\n folded only\n\n", "Subject", "folded only", 1},
    {"Subject:\n\n", "Subject", "", 1},
    {"X-A: 1\nX-AB: 2\nX-A : 3\n\n", "X-A", "1", 2},
    {"X-AB: 2\n\n", "X-A", NULL, 0},
    {"Subject: s\n\nReceived: in the body is not a field\n", "Received", NULL, 0},
    {"Subject: s\n", "Subject", "s", 1},
    {"Subject: no line end", "Subject", "no line end", 1},
    {"\tstray continuation\nSubject: s\n\n", "Subject", "s", 1},
    {"not a field\nSubject: s\n\n", "Subject", "s", 1},
    {"Subject: a\n\tb\n \n c\n\n", "Subject", "a\tb  c", 1},
    {"", "Subject", NULL, 0},
    {"\n\nSubject: after the empty line\n", "Subject", NULL, 0},
    {"Received: x\nreceived: y\nRECEIVED: z\n\n", "Received", "x", 3},
};

/* with_crlf - the message with every "\n" written "\r\n" (malloc'd and NUL-terminated,
 * length in *len). */
static char *with_crlf(const char *msg, size_t *len) {
  size_t n = strlen(msg), lf = 0;
  for (size_t i = 0; i < n; i++)
    lf += msg[i] == '\n';
  char *out = malloc(n + lf + 1);
  cr_assert_not_null(out);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (msg[i] == '\n')
      out[o++] = '\r';
    out[o++] = msg[i];
  }
  out[o] = '\0';
  *len = o;
  return out;
}

/* check_value - the value and count of one field in an exact-size copy of msg. */
static void check_value(const char *msg, size_t n, const struct header_vector *v,
                        const char *ends) {
  char *exact = malloc(n ? n : 1); /* ASan faults at once on a read past the end */
  cr_assert_not_null(exact);
  memcpy(exact, msg, n);
  char *value;
  int found = mail_header_value(exact, n, v->name, &value);
  if (v->value) {
    cr_assert_eq(found, 1, "%s: '%s' in %s", ends, v->name, v->msg);
    cr_assert_str_eq(value, v->value, "%s: '%s' in %s", ends, v->name, v->msg);
  } else {
    cr_assert_eq(found, 0, "%s: '%s' in %s", ends, v->name, v->msg);
    cr_assert_null(value);
  }
  cr_assert_eq(mail_header_count(exact, n, v->name), v->count, "%s: '%s' in %s", ends, v->name,
               v->msg);
  free(value);
  free(exact);
}

Test(maildir_header, finds_the_topmost_field_unfolded_and_counts_them) {
  for (size_t i = 0; i < sizeof header_vectors / sizeof header_vectors[0]; i++) {
    const struct header_vector *v = &header_vectors[i];
    check_value(v->msg, strlen(v->msg), v, "LF");
    size_t n;
    char *crlf = with_crlf(v->msg, &n);
    check_value(crlf, n, v, "CRLF");
    free(crlf);
  }
}

Test(maildir_header, any_cut_of_a_message_is_read_without_reading_past_its_end) {
  /* A message cut anywhere (a file still being written, a damaged one) gives some answer
   * and never reads out of bounds; a cut inside the body changes nothing. */
  for (size_t i = 0; i < sizeof header_vectors / sizeof header_vectors[0]; i++) {
    const struct header_vector *v = &header_vectors[i];
    size_t n;
    char *crlf = with_crlf(v->msg, &n);
    const char *body = strstr(crlf, "\r\n\r\n");
    for (size_t cut = 0; cut <= n; cut++) {
      char *exact = malloc(cut ? cut : 1);
      cr_assert_not_null(exact);
      memcpy(exact, crlf, cut);
      char *value;
      int found = mail_header_value(exact, cut, v->name, &value);
      long count = mail_header_count(exact, cut, v->name);
      cr_assert(found == 0 || found == 1);
      cr_assert_leq(count, v->count);
      if (body && cut >= (size_t)(body - crlf) + 4) {
        cr_assert_eq(found, v->value != NULL, "cut %zu of %s", cut, v->msg);
        cr_assert_eq(count, v->count, "cut %zu of %s", cut, v->msg);
      }
      free(value);
      free(exact);
    }
    free(crlf);
  }
}

Test(maildir_header, field_names_are_printable_ascii_without_a_colon) {
  cr_assert(mail_header_name_ok("Received", 8));
  cr_assert(mail_header_name_ok("X-Original-To", 13));
  cr_assert_not(mail_header_name_ok("", 0));
  cr_assert_not(mail_header_name_ok("Received:", 9));
  cr_assert_not(mail_header_name_ok("Re ceived", 9));
  cr_assert_not(mail_header_name_ok("Re\x7f", 3));
  cr_assert_not(mail_header_name_ok("R\xc3\xa9", 3));
  char longest[78];
  memset(longest, 'x', sizeof longest);
  cr_assert(mail_header_name_ok(longest, 76));
  cr_assert_not(mail_header_name_ok(longest, 77));
}

/* One suite test's `maildir header` pattern, a field value, and whether it matches. */
struct regex_vector {
  const char *test_id, *text;
  bool matches;
};

/* The vectors of maildir_header.the_suite_trace_patterns_judge_real_and_obsolete_fields:
 * values as Postfix, Exim, OpenSMTPD and refsmtpd write them, and obsolete or broken ones. */
static const struct regex_vector regex_vectors[] = {
    {"trace-received-date-time", "from a by b with ESMTP id 1; Sun, 22 Nov 2026 19:32:17 +0000",
     true},
    {"trace-received-date-time", "from a by b; Sun, 22 Nov 2026 19:32:17 +0000 (UTC)", true},
    {"trace-received-date-time", "from a by b;\tSun, 2 Nov 2026 19:32 -0800", true},
    {"trace-received-date-time", "from a by b; 22 nov 2026 19:32:17 +0100", true},
    {"trace-received-date-time", "from a (x; y) by b; Sun, 22 Nov 2026 19:32:17 +0000", true},
    {"trace-received-date-time", "from a by b; Sun, 22 Nov 26 19:32:17 +0000", false},
    {"trace-received-date-time", "from a by b; Sun, 22 Nov 2026 19:32:17 GMT", false},
    {"trace-received-date-time", "from a by b; Sun, 22 Nov 2026 19:32:17 EST", false},
    {"trace-received-date-time", "from a by b; Sun, 22 Nov 2026 19:32:17 +0000 x", false},
    {"trace-received-date-time", "from a by b; Sunday, 22 Nov 2026 19:32:17 +0000", false},
    {"trace-received-date-time", "from a by b Sun, 22 Nov 2026 19:32:17 +0000", false},
    {"trace-received-date-time", "from a by b; Sun, 22 Nov 2026 19:32:17", false},
    {"trace-received-date-time", "from a by b; Sun, 22 Nov 2026 19:32:17 +000", false},
    {"trace-received-for-one-path", "from a by b id 1 for <u@d>; Sun, 22 Nov 2026 19:32 +0000",
     false},
    {"trace-received-for-one-path", "from a by b id 1 for u@d; Sun, 22 Nov 2026 19:32 +0000",
     false},
    {"trace-received-for-one-path", "from a by b id 1 for <u@d>, <v@d>; Sun, 22 Nov 2026", true},
    {"trace-received-for-one-path", "from a by b id 1 FOR <u@d> <v@d>; Sun, 22 Nov 2026", true},
    {"trace-received-for-one-path", "from a by b id 1\tfor <u@d> for <v@d>; Sun, 22 Nov", true},
    {"trace-received-for-one-path", "from a (envelope-from <s@e>) by forward.example id x@y; Sun",
     false},
    {"trace-received-for-one-path", "from a by b id 1 for <postmaster>, <postmaster>; Sun", true},
    {"trace-received-for-one-path", "from a by b id 1 for u@d, v@d; Sun", true},
    {"trace-received-for-one-path", "from a by b id 1 for <postmaster>; Sun, 22 Nov 2026", false},
    {"trace-received-for-one-path", "from a by b id 1; Sun, 22 Nov 2026 19:32:17 +0000", false},
    {"trace-received-by-clause", "from a ([127.0.0.1])\tby mx.test.example with ESMTP id 1;\tSun",
     true},
    {"trace-received-by-clause", "from [127.0.0.1] (helo=c)\tby mx with esmtp (Exim 4.96); Sun",
     true},
    {"trace-received-by-clause", "from a (a [127.0.0.1]) with ESMTP id 1; Sun", false},
    {"trace-received-by-clause", "from a by ; Sun", false},
    {"trace-received-by-clause", "from nearby.example with ESMTP; Sun", false},
    {"trace-received-from-clause", "from client.example (localhost [127.0.0.1]) by mx", true},
    {"trace-received-from-clause", "FROM [127.0.0.1] by mx", true},
    {"trace-received-from-clause", "by mx.test.example with ESMTP; Sun", false},
    {"trace-received-from-clause", "from ; Sun", false},
    {"trace-received-prepended", "from old.example (old.example [192.0.2.9]) by relay.example",
     true},
    {"trace-received-prepended", "from c ([127.0.0.1]) by mx.test.example id 1; Sun", false},
};

/* suite_pattern - the pattern of the first `maildir header ~`/`!~` step of a suite test. */
static const char *suite_pattern(const struct script_suite *s, const char *id) {
  for (size_t i = 0; i < s->ntests; i++) {
    if (strcmp(s->tests[i].id, id) != 0)
      continue;
    for (size_t k = 0; k < s->tests[i].nsteps; k++) {
      const struct script_step *st = &s->tests[i].steps[k];
      if (st->kind == STEP_HEADER_MATCH || st->kind == STEP_HEADER_NO_MATCH)
        return st->arg;
    }
  }
  cr_assert_fail("no maildir header pattern in suite test %s", id);
  return NULL;
}

Test(maildir_header, the_suite_trace_patterns_judge_real_and_obsolete_fields) {
  struct script_suite s = {0};
  struct script_errors e = {0};
  cr_assert_eq(script_load_embedded(&s, &e), 0, "%s", e.n ? e.msgs[0] : "");
  for (size_t i = 0; i < sizeof regex_vectors / sizeof regex_vectors[0]; i++) {
    const struct regex_vector *v = &regex_vectors[i];
    const char *pattern = suite_pattern(&s, v->test_id);
    regex_t re;
    char err[200];
    cr_assert_eq(mail_header_regcomp(&re, pattern, err, sizeof err), 0, "%s", err);
    cr_assert_eq(regexec(&re, v->text, 0, NULL, 0) == 0, v->matches, "%s: /%s/ on '%s'", v->test_id,
                 pattern, v->text);
    regfree(&re);
  }
  script_suite_free(&s);
  script_errors_free(&e);
}

Test(maildir_header, a_bad_pattern_is_refused_with_the_reason) {
  regex_t re;
  char err[200] = "";
  cr_assert_eq(mail_header_regcomp(&re, "(open", err, sizeof err), -1);
  cr_assert_neq(err[0], '\0', "regerror's text names the problem");
}

/* compiles - whether mail_header_regcomp takes pattern (the reason in err if not). */
static bool compiles(const char *pattern, char *err, size_t errlen) {
  regex_t re;
  err[0] = '\0';
  if (mail_header_regcomp(&re, pattern, err, errlen) < 0)
    return false;
  regfree(&re);
  return true;
}

Test(maildir_header, patterns_that_would_cost_seconds_to_compile_are_refused) {
  char err[200];
  cr_assert(compiles("(a{1,10}){1,10}", err, sizeof err), "%s", err);
  cr_assert(compiles("[0-9]{4,}[x{]{2}", err, sizeof err), "%s", err);
  cr_assert(compiles("a{1,175}", err, sizeof err), "%s", err);
  cr_assert(compiles("a{4096}", err, sizeof err), "%s", err);
  cr_assert(compiles("(((a{2}){2}){2}){2}", err, sizeof err), "%s", err);
  /* glibc: 1.7 s, 5 s then REG_ESPACE, 4 ms */
  cr_assert_not(compiles("a{1,10000}", err, sizeof err));
  cr_assert_str_eq(err, "its repetition bounds expand it too far for regcomp");
  cr_assert_not(compiles("a{1,32767}", err, sizeof err));
  cr_assert_not(compiles("(a{1,100}){1,100}", err, sizeof err));
  cr_assert_not(compiles("a{1,182}", err, sizeof err), "the quadratic term counts");
  cr_assert_not(compiles("a{4097}", err, sizeof err), "the linear term counts");
  cr_assert_not(compiles("a{1,99999999999999999999}", err, sizeof err));
  cr_assert_not(compiles("a{,32767}", err, sizeof err), "glibc reads {,m}");
  cr_assert_not(compiles("(a{1,20}", err, sizeof err), "an open group's cost counts too");
  char longest[MAIL_HEADER_PATTERN_MAX + 2];
  memset(longest, 'a', sizeof longest - 1);
  longest[MAIL_HEADER_PATTERN_MAX] = '\0';
  cr_assert(compiles(longest, err, sizeof err), "%s", err);
  longest[MAIL_HEADER_PATTERN_MAX] = 'a';
  longest[MAIL_HEADER_PATTERN_MAX + 1] = '\0';
  cr_assert_not(compiles(longest, err, sizeof err));
  cr_assert_str_eq(err, "longer than 1000 octets");
}

Test(maildir_header, repeating_what_can_match_the_empty_string_is_refused) {
  /* glibc's regcomp is exponential over these: 20 of (((.*|)*|)*|) in a row take 2 s */
  static const char *const refused[] = {
      "(a|)*",     "(b*)+",   "(^)*",  "a**",   "()*",
      "(a|b*){2}", "(a){0}*", "x\\b*", "(a?)?", "((a*)*|)((a*)*|)",
      "(.*|)*",    "$+"};
  static const char *const taken[] = {
      "(a|)",   "(b*)",  "(a+)+",           "a*b*",
      "(a|b)*", "[]*]*", "[[:alpha:]*]{2}", "(^|x)y",
      "(a*b)*", "\\**",  "(a|)b+",          "(^|[[:space:])])for[[:space:]]+[^;]*(<[^;]*<|,)"};
  char err[200];
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    cr_expect_not(compiles(refused[i], err, sizeof err), "%s was taken", refused[i]);
    cr_expect_str_eq(err, "a repeated subexpression can match the empty string", "%s", refused[i]);
  }
  for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
    cr_expect(compiles(taken[i], err, sizeof err), "%s: %s", taken[i], err);
}

Test(maildir_header, back_references_are_refused) {
  char err[200];
  cr_assert_not(compiles("(a)\\1", err, sizeof err));
  cr_assert_str_eq(err, "back-references (\\1 ... \\9) are not part of POSIX extended expressions");
  cr_assert(compiles("a\\.b\\\\1", err, sizeof err), "an escaped backslash then 1: %s", err);
}
