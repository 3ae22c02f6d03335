/* test_server_split.c - long lines give the same replies however the client's writes cut
 * them: whole, one octet at a time, and in writes of assorted sizes.
 *
 * The command-line framing (server_input.c) resumes its scan where the previous write
 * stopped, carrying the line's defects and a CR held at its end; the SASL line framing
 * (server_sasl.c) does the same. These vectors are the ones where a resumed scan could
 * go wrong: an over-long command line far past 512 octets (RFC 5321 4.5.3.1.4), a SASL
 * response line of exactly 12288 octets (RFC 4954 4), and CR/LF/NUL at every position a
 * write can end. Each long line is its own test: a one-octet-at-a-time run maps two guard
 * pages per write. */
#include "test_server_conv.h"

#include "smtp/line.h"

#define EHLO_IN "EHLO c\r\n"
#define TOO_LONG_500 "500 5.5.2 Error: command line too long\r\n"
#define SASL_TOO_LONG_500 "500 5.5.6 Error: authentication exchange line is too long\r\n"
#define OK_250 "250 2.0.0 OK\r\n"

/* add_run - append n copies of octet c. */
static void add_run(struct conv_str *in, char c, size_t n) {
  for (size_t i = 0; i < n; i++)
    conv_str_add(in, &c, 1);
}

/* add_pattern - append pattern (plen octets) repeated until n octets were added. */
static void add_pattern(struct conv_str *in, const char *pattern, size_t plen, size_t n) {
  for (size_t i = 0; i < n; i++)
    conv_str_add(in, &pattern[i % plen], 1);
}

/* run_in_writes - feed in[0..len) in writes of `step` octets (the last one shorter). */
static void run_in_writes(const struct conv_setup *s, const char *in, size_t len, size_t step,
                          struct conv_result *r) {
  size_t ncuts = len > 0 ? (len - 1) / step : 0;
  size_t *cuts = malloc((ncuts + 1) * sizeof *cuts);
  cr_assert_not_null(cuts);
  for (size_t i = 0; i < ncuts; i++)
    cuts[i] = (i + 1) * step;
  conv_run(s, in, len, cuts, ncuts, r);
  free(cuts);
}

/* split_check - in[0..len) whole must answer `want`; one octet at a time and writes of
 * 2, 3, 7, 511, 512, 513 and 4096 octets must give the very same replies, content and
 * hook calls. */
static void split_check(const struct conv_setup *s, const char *in, size_t len, const char *want) {
  static const size_t steps[] = {1, 2, 3, 7, 511, 512, 513, 4096};
  struct conv_result whole;
  conv_run(s, in, len, NULL, 0, &whole);
  cr_assert_str_eq(whole.out.p, want);
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    struct conv_result r;
    char how[64];
    run_in_writes(s, in, len, steps[i], &r);
    snprintf(how, sizeof how, "writes of %zu octets", steps[i]);
    conv_same(&whole, &r, how);
    conv_result_free(&r);
  }
  conv_result_free(&whole);
}

Test(server_split, answers_a_10000_octet_command_line_fed_one_octet_at_a_time_as_fed_whole) {
  struct conv_setup s = conv_setup_default();
  struct conv_str in = {0};
  /* RFC 5321 4.5.3.1.4: 10000 octets without CRLF is over the 512-octet limit: one 500
   * at its CRLF, then the next command is read in step. */
  conv_str_addf(&in, "%s", EHLO_IN "NOOP ");
  add_run(&in, 'x', 10000 - 5);
  conv_str_addf(&in, "%s", "\r\nNOOP\r\n");
  split_check(&s, in.p, in.len, GREETING EHLO_REPLY TOO_LONG_500 OK_250);
  conv_str_free(&in);
}

Test(server_split, skips_a_10000_octet_line_of_bare_crs_and_lfs_without_ending_it_early) {
  struct conv_setup s = conv_setup_default();
  struct conv_str in = {0};
  /* RFC 5321 2.3.8: only CRLF ends a line. "\r" then "x\n": a bare CR and a bare LF in
   * every three octets, in every position relative to the 512-octet limit and to each
   * write; none of them may end the line. */
  conv_str_addf(&in, "%s", EHLO_IN);
  add_pattern(&in, "\rx\n", 3, 10000);
  conv_str_addf(&in, "%s", "\r\nRSET\r\n");
  split_check(&s, in.p, in.len, GREETING EHLO_REPLY TOO_LONG_500 OK_250);
  conv_str_free(&in);
}

Test(server_split, reads_a_12288_octet_sasl_line_fed_one_octet_at_a_time_as_fed_whole) {
  struct conv_setup s = conv_setup_default();
  struct conv_str in = {0};
  /* RFC 4954 4: 12284 octets of base64 + CRLF fits the 12288-octet line; it decodes to
   * 9213 octets, more than any mechanism here takes (RFC 4954 6: 500 5.5.6). */
  conv_str_addf(&in, "%s", EHLO_IN "AUTH PLAIN\r\n");
  add_pattern(&in, "YWFh", 4, 12284);
  conv_str_addf(&in, "%s", "\r\nNOOP\r\n");
  split_check(&s, in.p, in.len, GREETING EHLO_REPLY "334 \r\n" SASL_TOO_LONG_500 OK_250);
  conv_str_free(&in);
}

Test(server_split, finds_a_bare_cr_at_the_end_of_a_12288_octet_sasl_line_in_every_split) {
  struct conv_setup s = conv_setup_default();
  struct conv_str in = {0};
  /* 12285 octets, a CR, then CRLF: the first CR is bare whichever write it ends
   * (RFC 5321 2.3.8), and the CRLF is still within 12288 octets. */
  conv_str_addf(&in, "%s", EHLO_IN "AUTH LOGIN\r\n");
  add_pattern(&in, "YWFh", 4, 12284);
  conv_str_addf(&in, "%s", "\r\r\nNOOP\r\n");
  split_check(&s, in.p, in.len,
              GREETING EHLO_REPLY "334 VXNlcm5hbWU6\r\n"
                                  "501 5.5.2 Error: invalid characters in response\r\n" OK_250);
  conv_str_free(&in);
}

Test(server_split, carries_a_cr_held_at_the_end_of_a_write_into_the_next) {
  struct conv_setup s = conv_setup_default();
  /* Every cut of these lines falls once between a CR and what follows it: CR CR LF has a
   * bare CR, CR then LF ends the line, LF first is bare (RFC 5321 2.3.8). */
  CONV(&s, "NOOP\r\r\nNOOP\r\n\nNOOP\r\nNO\0OP\r\r\nNOOP\r\n",
       GREETING "501 5.5.2 Error: bare CR or LF in command line\r\n" OK_250
                "501 5.5.2 Error: bare CR or LF in command line\r\n"
                "501 5.5.2 Error: bare CR or LF in command line\r\n" OK_250);
}

Test(server_split, forgets_a_line_s_defects_once_it_was_answered) {
  struct conv_setup s = conv_setup_default();
  /* A defect (NUL, bare LF, bare CR at the end) belongs to its own line only: the clean
   * NOOP after each is answered 250 whatever the cuts. */
  CONV(&s, "NO\0OP\r\nNOOP\r\nNO\nOP\r\nNOOP\r\nNOOP\r\r\nNOOP\r\n",
       GREETING "501 5.5.2 Error: NUL in command line\r\n" OK_250
                "501 5.5.2 Error: bare CR or LF in command line\r\n" OK_250
                "501 5.5.2 Error: bare CR or LF in command line\r\n" OK_250);
}

Test(server_split, ends_a_line_whose_crlf_is_the_last_two_of_512_octets_at_any_cut) {
  struct conv_setup s = conv_setup_default();
  char in[1200];
  size_t n = 0;
  /* 510 octets + CRLF = 512 (RFC 5321 4.5.3.1.4), held across writes; then 511 + CR at
   * octet 512, whose LF is octet 513: too long, and the LF must end the skip. */
  memcpy(in, "NOOP ", 5);
  memset(in + 5, 'z', 505);
  n = 510;
  memcpy(in + n, "\r\n", 2);
  n += 2;
  memset(in + n, 'w', 511);
  n += 511;
  memcpy(in + n, "\r\nNOOP\r\n", 8);
  n += 8;
  conv_check(&s, in, n, GREETING OK_250 TOO_LONG_500 OK_250);
}
