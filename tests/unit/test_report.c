/* test_report.c - the four report formats against golden strings. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static struct script_test tests[4] = {
    {.id = "rcpt-first",
     .ref = "RFC 5321 3.3",
     .about = "RCPT before MAIL gets 503",
     .file = "rfc5321/rcpt.smtp",
     .line = 3,
     .level = LEVEL_MUST},
    {.id = "nested-mail",
     .ref = "RFC 5321 4.1.4",
     .about = "A & B <\"quoted\">",
     .file = "rfc5321/mail.smtp",
     .line = 9,
     .level = LEVEL_SHOULD},
    {.id = "bdat",
     .ref = "RFC 3030 2",
     .about = "BDAT works",
     .file = "ext/chunking.smtp",
     .line = 1,
     .level = LEVEL_MAY},
    {.id = "greets",
     .ref = "RFC 5321 3.1",
     .about = "The greeting is 220",
     .file = "rfc5321/greeting.smtp",
     .line = 5,
     .level = LEVEL_MUST},
};

/* add - one transcript entry. */
static void add(struct test_result *r, char dir, const char *s, size_t n) {
  transcript_add(r, dir, s, n);
}

/* make_report - pass, fail (a SHOULD test failing at MUST on the wire), skip, error. */
static void make_report(struct run_report *r) {
  memset(r, 0, sizeof *r);
  snprintf(r->target, sizeof r->target, "127.0.0.1:2525");
  r->duration_ms = 1234;
  r->n = 4;
  r->results = calloc(4, sizeof *r->results);
  for (size_t i = 0; i < 4; i++) {
    r->results[i].test = &tests[i];
    r->results[i].fail_level = tests[i].level;
    r->results[i].duration_ms = (long)(i + 1) * 10;
  }
  struct test_result *t = &r->results[0];
  add(t, 'C', "RCPT TO:<postmaster>\r\n", 22);
  add(t, 'S', "503 5.5.1 MAIL first\r\n", 22);
  t = &r->results[1];
  t->outcome = OUTCOME_FAIL;
  t->fail_level = LEVEL_MUST;
  t->fail_line = 12;
  snprintf(t->reason, sizeof t->reason,
           "wire format: a line ends in LF without CR (RFC 5321 2.3.8)");
  add(t, 'C', "MAIL FROM:<a@b>\r\n", 17);
  add(t, 'S', "250-ok\n250 \"x\"\0\xff\xc3\xa9\r\n", 20);
  add(t, '*', "connection closed by the server", 31);
  t = &r->results[2];
  t->outcome = OUTCOME_SKIP;
  snprintf(t->reason, sizeof t->reason, "not offered: CHUNKING");
  snprintf(t->skip_ext, sizeof t->skip_ext, "CHUNKING");
  t = &r->results[3];
  t->outcome = OUTCOME_ERROR;
  snprintf(t->reason, sizeof t->reason, "no 220 greeting: got 554");
  t->fail_line = 5;
  add(t, 'S', "554 go away\r\n", 13);
}

/* render - a report into a string. */
static char *render(int (*fn)(FILE *, const struct run_report *, bool), bool verbose) {
  struct run_report r;
  make_report(&r);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  cr_assert_eq(fn(f, &r, verbose), 0);
  fclose(f);
  runner_report_free(&r);
  return buf;
}

Test(report_text, shows_a_table_the_evidence_and_a_countable_summary) {
  char *out = render(report_text, false);
  const char *want =
      "smtpcheck run 127.0.0.1:2525: 4 tests in 1.234 s\n"
      "\n"
      "RESULT  LEVEL   REF             TEST\n"
      "pass    MUST    RFC 5321 3.3    rcpt-first\n"
      "FAIL    SHOULD  RFC 5321 4.1.4  nested-mail\n"
      "skip    MAY     RFC 3030 2      bdat  (not offered: CHUNKING)\n"
      "ERROR   MUST    RFC 5321 3.1    greets\n"
      "\n"
      "FAIL nested-mail (RFC 5321 4.1.4, SHOULD)\n"
      "  A & B <\"quoted\">\n"
      "  reason: wire format: a line ends in LF without CR (RFC 5321 2.3.8) "
      "(rfc5321/mail.smtp:12) [fails at MUST]\n"
      "    C: MAIL FROM:<a@b>\\r\\n\n"
      "    S: 250-ok\\n\n"
      "    S: 250 \"x\"\\0\\xff\\xc3\\xa9\\r\\n\n"
      "    *  connection closed by the server\n"
      "\n"
      "ERROR greets (RFC 5321 3.1, MUST)\n"
      "  The greeting is 220\n"
      "  error: no 220 greeting: got 554 (rfc5321/greeting.smtp:5)\n"
      "    S: 554 go away\\r\\n\n"
      "\n"
      "4 tests: 1 passed, 1 failed (1 MUST), 1 skipped (not offered: CHUNKING), 1 error\n";
  cr_assert_str_eq(out, want);
  free(out);
}

Test(report_text, verbose_shows_passing_transcripts_too) {
  char *out = render(report_text, true);
  cr_assert(strstr(out, "pass rcpt-first (RFC 5321 3.3, MUST)\n  RCPT before MAIL gets 503\n"
                        "    C: RCPT TO:<postmaster>\\r\\n\n    S: 503 5.5.1 MAIL first\\r\\n\n"),
            "%s", out);
  free(out);
}

Test(report_text, names_the_command_that_ran_in_its_first_line) {
  struct run_report r;
  make_report(&r);
  r.command = "listen";
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  cr_assert_eq(report_write(f, &r, "text", false), 0);
  fclose(f);
  cr_assert(!strncmp(buf, "smtpcheck listen 127.0.0.1:2525: 4 tests in 1.234 s\n", 51), "%s", buf);
  free(buf);
  runner_report_free(&r);
}

Test(report_write, picks_the_writer_by_name_and_text_for_others) {
  cr_assert(report_format_known("json"));
  cr_assert(report_format_known("junit"));
  cr_assert_not(report_format_known("xml"));
  struct run_report r;
  make_report(&r);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  cr_assert_eq(report_write(f, &r, "tap", false), 0);
  cr_assert_eq(report_write(f, &r, "whatever", false), 0);
  fclose(f);
  cr_assert(!strncmp(buf, "TAP version 13\n", 15), "%s", buf);
  cr_assert(strstr(buf, "\nsmtpcheck run 127.0.0.1:2525: "), "%s", buf);
  free(buf);
  runner_report_free(&r);
}

Test(report_status, is_one_for_an_error_or_a_must_failure_only) {
  struct run_report r;
  make_report(&r);
  cr_assert_eq(report_status(&r), 1, "the fixture has an errored test");
  r.results[3].outcome = OUTCOME_PASS;
  cr_assert_eq(report_status(&r), 1, "a SHOULD test failing at MUST on the wire");
  r.results[1].fail_level = LEVEL_SHOULD;
  cr_assert_eq(report_status(&r), 0);
  runner_report_free(&r);
}

Test(report_summary, groups_skip_reasons_and_failure_levels) {
  struct run_report r;
  make_report(&r);
  r.results[0].outcome = OUTCOME_FAIL;
  r.results[0].fail_level = LEVEL_SHOULD;
  r.results[3].outcome = OUTCOME_SKIP;
  snprintf(r.results[3].reason, sizeof r.results[3].reason, "needs --maildir");
  struct sbuf s = {0};
  report_summary(&r, &s);
  cr_assert_str_eq(s.p, "4 tests: 0 passed, 2 failed (1 MUST, 1 SHOULD), 2 skipped "
                        "(not offered: CHUNKING; needs --maildir)");
  sbuf_free(&s);
  runner_report_free(&r);
}

Test(report_json, writes_the_exact_documented_names_and_escapes_every_octet) {
  char *out = render(report_json, false);
  const char *want =
      "{\"target\":\"127.0.0.1:2525\",\"duration_ms\":1234,"
      "\"summary\":{\"pass\":1,\"fail\":1,\"skip\":1,\"error\":1},\n"
      "\"tests\":[\n"
      "{\"id\":\"rcpt-first\",\"ref\":\"RFC 5321 3.3\",\"level\":\"MUST\",\"result\":\"pass\","
      "\"reason\":\"\",\"duration_ms\":10,\"transcript\":[{\"dir\":\"C\",\"data\":\"RCPT "
      "TO:<postmaster>\\r\\n\"},{\"dir\":\"S\",\"data\":\"503 5.5.1 MAIL first\\r\\n\"}]},\n"
      "{\"id\":\"nested-mail\",\"ref\":\"RFC 5321 4.1.4\",\"level\":\"SHOULD\",\"result\":"
      "\"fail\",\"reason\":\"wire format: a line ends in LF without CR (RFC 5321 2.3.8)\","
      "\"duration_ms\":20,\"transcript\":[{\"dir\":\"C\",\"data\":\"MAIL FROM:<a@b>\\r\\n\"},"
      "{\"dir\":\"S\",\"data\":\"250-ok\\n250 \\\"x\\\"\\u0000\\u00ff\xc3\xa9\\r\\n\"}]},\n"
      "{\"id\":\"bdat\",\"ref\":\"RFC 3030 2\",\"level\":\"MAY\",\"result\":\"skip\",\"reason\":"
      "\"not offered: CHUNKING\",\"duration_ms\":30,\"transcript\":[]},\n"
      "{\"id\":\"greets\",\"ref\":\"RFC 5321 3.1\",\"level\":\"MUST\",\"result\":\"error\","
      "\"reason\":\"no 220 greeting: got 554\",\"duration_ms\":40,\"transcript\":[{\"dir\":"
      "\"S\",\"data\":\"554 go away\\r\\n\"}]}\n"
      "]}\n";
  cr_assert_str_eq(out, want);
  free(out);
}

Test(report_json, escapes_controls_quotes_and_invalid_utf8) {
  struct sbuf s = {0};
  const char in[] = "\"\\\x01\x1f\x7f\xe2\x82\xac\xe2\x82\xed\xa0\x80\xf4\x90\x80\x80";
  report_json_string(in, sizeof in - 1, &s);
  cr_assert_str_eq(s.p, "\"\\\"\\\\\\u0001\\u001f\x7f\xe2\x82\xac\\u00e2\\u0082\\u00ed\\u00a0"
                        "\\u0080\\u00f4\\u0090\\u0080\\u0080\"");
  sbuf_free(&s);
}

Test(report_tap, writes_tap_13_with_skips_and_yaml_diagnostics) {
  char *out = render(report_tap, false);
  const char *want =
      "TAP version 13\n"
      "1..4\n"
      "ok 1 - rcpt-first (RFC 5321 3.3, MUST)\n"
      "not ok 2 - nested-mail (RFC 5321 4.1.4, SHOULD)\n"
      "  ---\n"
      "  message: \"wire format: a line ends in LF without CR (RFC 5321 2.3.8)\"\n"
      "  severity: fail\n"
      "  level: MUST\n"
      "  about: \"A & B <\\\"quoted\\\">\"\n"
      "  at: \"rfc5321/mail.smtp:12\"\n"
      "  transcript:\n"
      "    - \"C: MAIL FROM:<a@b>\\\\r\\\\n\"\n"
      "    - \"S: 250-ok\\\\n\"\n"
      "    - \"S: 250 \\\"x\\\"\\\\0\\\\xff\\\\xc3\\\\xa9\\\\r\\\\n\"\n"
      "    - \"*  connection closed by the server\"\n"
      "  ...\n"
      "ok 3 - bdat (RFC 3030 2, MAY) # SKIP not offered: CHUNKING\n"
      "not ok 4 - greets (RFC 5321 3.1, MUST)\n"
      "  ---\n"
      "  message: \"no 220 greeting: got 554\"\n"
      "  severity: error\n"
      "  level: MUST\n"
      "  about: \"The greeting is 220\"\n"
      "  at: \"rfc5321/greeting.smtp:5\"\n"
      "  transcript:\n"
      "    - \"S: 554 go away\\\\r\\\\n\"\n"
      "  ...\n"
      "# 4 tests: 1 passed, 1 failed (1 MUST), 1 skipped (not offered: CHUNKING), 1 error\n";
  cr_assert_str_eq(out, want);
  free(out);
}

Test(report_junit, writes_escaped_junit_xml) {
  char *out = render(report_junit, false);
  const char *want =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"smtpcheck\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" "
      "time=\"1.234\">\n"
      "  <testsuite name=\"127.0.0.1:2525\" tests=\"4\" failures=\"1\" errors=\"1\" "
      "skipped=\"1\" time=\"1.234\">\n"
      "    <testcase name=\"rcpt-first\" classname=\"rfc5321.rcpt\" time=\"0.010\"/>\n"
      "    <testcase name=\"nested-mail\" classname=\"rfc5321.mail\" time=\"0.020\">\n"
      "      <failure message=\"wire format: a line ends in LF without CR (RFC 5321 2.3.8)\" "
      "type=\"MUST\">RFC 5321 4.1.4 SHOULD: A &amp; B &lt;&quot;quoted&quot;&gt;\n"
      "(rfc5321/mail.smtp:12)\n"
      "C: MAIL FROM:&lt;a@b&gt;\\r\\n\n"
      "S: 250-ok\\n\n"
      "S: 250 &quot;x&quot;\\0\\xff\\xc3\\xa9\\r\\n\n"
      "*  connection closed by the server\n"
      "</failure>\n"
      "    </testcase>\n"
      "    <testcase name=\"bdat\" classname=\"ext.chunking\" time=\"0.030\">\n"
      "      <skipped message=\"not offered: CHUNKING\"/>\n"
      "    </testcase>\n"
      "    <testcase name=\"greets\" classname=\"rfc5321.greeting\" time=\"0.040\">\n"
      "      <error message=\"no 220 greeting: got 554\" type=\"MUST\">RFC 5321 3.1 MUST: The "
      "greeting is 220\n"
      "(rfc5321/greeting.smtp:5)\n"
      "S: 554 go away\\r\\n\n"
      "</error>\n"
      "    </testcase>\n"
      "  </testsuite>\n"
      "</testsuites>\n";
  cr_assert_str_eq(out, want);
  free(out);
}
