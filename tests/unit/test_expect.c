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
    /* single-line: RFC 5321 4.1.1.1, HELO's reply is not the EHLO form */
    {"250 single-line", "250 mx hello\r\n", true, NULL},
    {"250 single-line", "250-mx hello\r\n250 PIPELINING\r\n", false,
     "expected 250 as a single-line reply, got 2 lines (250 mx hello ...)"},
    {"250 single-line ~ hello", "250 mx hello\r\n", true, NULL},
    {"250 single-line ~ bye", "250 mx hello\r\n", false,
     "expected 250 with a line containing \"bye\", got 250 mx hello"},
    /* !~: no line contains the text */
    {"250 !~ PIPELINING", "250 mx hello\r\n", true, NULL},
    {"250 !~ PIPELINING", "250-mx\r\n250 PIPELINING\r\n", false,
     "expected 250 with no line containing \"PIPELINING\", got 250 mx"},
    {"2xx !~ $token", "250 tok-1 seen\r\n", false,
     "expected 2xx with no line containing \"tok-1\", got 250 tok-1 seen"},
    /* conditions: they apply only to replies whose code they list */
    {"250|252|502 ; 250 ~ @", "250 <postmaster@mx.example>\r\n", true, NULL},
    {"250|252|502 ; 250 ~ @", "250 postmaster\r\n", false,
     "expected a 250 with a line containing \"@\", got 250 postmaster"},
    {"250|252|502 ; 250 ~ @", "252 cannot verify\r\n", true, NULL},
    {"250|252|502 ; 250 ~ @", "502 no\r\n", true, NULL},
    {"250|252|502 ; 250 ~ @", "550 no\r\n", false, "expected 250|252|502, got 550 no"},
    {"2xx ; 250 single-line ; 251 ~ <", "251-a\r\n251 b\r\n", false,
     "expected a 251 with a line containing \"<\", got 251 a"},
    {"2xx ; 250 single-line ; 251 ~ <", "250-a\r\n250 b\r\n", false,
     "expected a 250 as a single-line reply, got 2 lines (250 a ...)"},
    {"2xx ; 250 single-line ; 251 ~ <", "251-a\r\n251 <b@c>\r\n", true, NULL},
    {"any ; 5xx ~ 5.", "550 5.1.1 unknown\r\n", true, NULL},
    {"any ; 5xx ~ 5.", "550 unknown\r\n", false,
     "expected a 5xx with a line containing \"5.\", got 550 unknown"},
    /* silence as an alternative: a reply that does come is judged by the codes */
    {"silence 2|5xx|closed", "554 no\r\n", true, NULL},
    {"silence 2|5xx|closed", "250 ok\r\n", false, "expected 5xx|closed|silence 2, got 250 ok"},
};

/* check_matches_replies_against_specs - one vector of expect.matches_replies_against_specs. */
static void check_matches_replies_against_specs(const struct match_vector *v) {
  struct reply_spec spec;
  char err[256];
  cr_assert_eq(script_parse_spec(v->spec, strlen(v->spec), &spec, err, sizeof err), 0);
  struct smtp_reply r;
  cr_assert_gt(smtp_reply_parse(v->reply, strlen(v->reply), &r), 0);
  char reason[512] = "";
  struct vars vars = {{0}};
  vars.val[VAR_TOKEN] = "tok-1";
  int ok = expect_reply(&spec, &r, &vars, reason, sizeof reason);
  cr_assert_eq(ok, v->match ? 1 : 0, "%s vs %s: %s", v->spec, v->reply, reason);
  if (v->reason)
    cr_assert_str_eq(reason, v->reason);
  script_spec_free(&spec);
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
  struct vars vars = {{0}};
  cr_assert_eq(expect_reply(&spec, &r, &vars, reason, sizeof reason), 0);
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

Test(expect, an_ehlo_keyword_with_a_parameter_is_a_word_of_its_line) {
  struct smtp_reply r;
  const char *reply = "250-mx\r\n250-AUTH LOGIN plain\r\n250-SIZE 1000\r\n250 AUTHX PLAIN\r\n";
  cr_assert_gt(smtp_reply_parse(reply, strlen(reply), &r), 0);
  cr_assert(expect_ext_offered(&r, "AUTH"));
  cr_assert(expect_ext_offered(&r, "AUTH=PLAIN"), "parameters compare case-insensitively");
  cr_assert(expect_ext_offered(&r, "auth=login"));
  cr_assert_not(expect_ext_offered(&r, "AUTH=CRAM-MD5"));
  cr_assert_not(expect_ext_offered(&r, "AUTH=PLAI"), "whole words only");
  cr_assert(expect_ext_offered(&r, "SIZE=1000"));
  cr_assert_not(expect_ext_offered(&r, "CHUNKING"));
}

Test(expect, the_size_limit_is_a_nonzero_size_value) {
  const char *replies[] = {"250-mx\r\n250 SIZE 10240000\r\n",
                           "250-mx\r\n250 SIZE 0\r\n",
                           "250-mx\r\n250 SIZE\r\n",
                           "250-mx\r\n250 SIZE 12x\r\n",
                           "250-mx\r\n250 SIZE 000512\r\n",
                           "250 mx\r\n",
                           "250-mx\r\n250 SIZE 123456789012345678901\r\n"};
  const char *want[] = {"10240000", NULL, NULL, NULL, "512", NULL, NULL};
  for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
    struct smtp_reply r;
    char buf[24] = "";
    cr_assert_gt(smtp_reply_parse(replies[i], strlen(replies[i]), &r), 0);
    bool ok = expect_size_limit(&r, buf, sizeof buf);
    cr_assert_eq(ok, want[i] != NULL, "%s", replies[i]);
    if (want[i])
      cr_assert_str_eq(buf, want[i]);
  }
}
