/* test_expect.c - matching replies against reply specs. */
#include <criterion/criterion.h>
#include <string.h>

#include "expect.h"

/* A spec, a reply, and whether they match (with the reason when they do not). */
struct match_vector {
  const char *spec;
  const char *reply;
  bool match;
  const char *reason;
};

/* The vectors of expect.matches_replies_against_specs. */
static const struct match_vector matches_replies_against_specs_vectors[] = {
    {"250", "250 ok\r\n", true, NULL},
    {"250", "251 ok\r\n", false, "expected 250, got 251 ok"},
    {"2xx", "221 bye\r\n", true, NULL},
    {"2xx", "354 go\r\n", false, "expected 2xx, got 354 go"},
    {"25x", "252 maybe\r\n", true, NULL},
    {"25x", "221 bye\r\n", false, "expected 25x, got 221 bye"},
    {"250|251|closed", "251 fwd\r\n", true, NULL},
    {"5xx|4xx", "452 full\r\n", true, NULL},
    {"5xx|4xx", "250 ok\r\n", false, "expected 5xx|4xx, got 250 ok"},
    {"250|closed", "503 no\r\n", false, "expected 250|closed, got 503 no"},
    {"250 ~ pipelining", "250-mx\r\n250-PIPELINING\r\n250 SIZE\r\n", true, NULL},
    {"250 ~ 250 2.", "250 2.0.0 ok\r\n", true, NULL},
    {"250 ~ 250-PIPE", "250-mx\r\n250-PIPELINING\r\n250 SIZE\r\n", true, NULL},
    {"250 ~ CHUNKING", "250-mx\r\n250 SIZE\r\n", false,
     "expected 250 with a line containing \"CHUNKING\", got 250 mx"},
    {"any", "421 closing\r\n", true, NULL},
    {"any ~ bye", "221 bye\r\n", true, NULL},
    {"503", "503 \x01\xff\r\n", true, NULL}, /* octets are the wire check's business */
};

/* check_matches_replies_against_specs - one vector of expect.matches_replies_against_specs. */
static void check_matches_replies_against_specs(const struct match_vector *v) {
  struct reply_spec spec;
  char err[256];
  cr_assert_eq(script_parse_spec(v->spec, strlen(v->spec), &spec, err, sizeof err), 0);
  struct smtp_reply r;
  cr_assert_gt(smtp_reply_parse(v->reply, strlen(v->reply), &r), 0);
  char reason[512] = "";
  bool ok = expect_reply(&spec, &r, spec.text, spec.text_len, reason, sizeof reason);
  cr_assert_eq(ok, v->match, "%s vs %s: %s", v->spec, v->reply, reason);
  if (v->reason)
    cr_assert_str_eq(reason, v->reason);
  free(spec.text);
}

Test(expect, matches_replies_against_specs) {
  for (size_t i = 0; i < sizeof matches_replies_against_specs_vectors /
                             sizeof matches_replies_against_specs_vectors[0];
       i++)
    check_matches_replies_against_specs(&matches_replies_against_specs_vectors[i]);
}

Test(expect, text_matching_ignores_ascii_case_only) {
  struct smtp_reply r;
  const char *reply = "250-mx\r\n250 Caf\xc3\xa9 SMTPUTF8\r\n";
  cr_assert_gt(smtp_reply_parse(reply, strlen(reply), &r), 0);
  cr_assert(expect_text(&r, "smtputf8", 8));
  cr_assert(expect_text(&r, "caf\xc3\xa9", 5));
  cr_assert_not(expect_text(&r, "CAF\xc3\x89", 5));
  cr_assert_not(expect_text(&r, "\r\n", 2), "line ends are not part of a line");
}

Test(expect, a_failed_reply_shows_its_control_octets_visibly) {
  struct reply_spec spec;
  char err[256], reason[512];
  cr_assert_eq(script_parse_spec("250", 3, &spec, err, sizeof err), 0);
  struct smtp_reply r;
  const char reply[] = "554 a\tb\x01\r\n";
  cr_assert_gt(smtp_reply_parse(reply, sizeof reply - 1, &r), 0);
  cr_assert_not(expect_reply(&spec, &r, NULL, 0, reason, sizeof reason));
  cr_assert_str_eq(reason, "expected 250, got 554 a\\tb\\x01");
}

Test(expect, describes_specs_as_scripts_write_them) {
  const char *in[] = {"250|5xx|closed", "any", "closed", "silence 1.5"};
  const char *want[] = {"250|5xx|closed", "any reply", "the connection closed",
                        "silence for 1.5 s"};
  for (size_t i = 0; i < 4; i++) {
    struct reply_spec spec;
    char err[256], buf[96];
    cr_assert_eq(script_parse_spec(in[i], strlen(in[i]), &spec, err, sizeof err), 0);
    expect_describe(&spec, buf, sizeof buf);
    cr_assert_str_eq(buf, want[i]);
  }
}

Test(expect, lists_the_keywords_of_an_ehlo_reply) {
  struct smtp_reply r;
  const char *reply = "250-mx.test hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 AUTH PLAIN\r\n";
  cr_assert_gt(smtp_reply_parse(reply, strlen(reply), &r), 0);
  char buf[128];
  expect_keywords(&r, buf, sizeof buf);
  cr_assert_str_eq(buf, "PIPELINING SIZE AUTH");
}
