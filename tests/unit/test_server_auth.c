/* test_server_auth.c - AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN: every reply code
 * the engine sends in an exchange, and the limits on failures and line length. The only
 * account the test hook knows is alice / "secret sauce". */
#include "test_server_conv.h"

#include "smtp/base64.h"

#define EHLO_IN "EHLO c\r\n"
#define OK_235 "235 2.7.0 Authentication successful\r\n"
#define FAIL_535 "535 5.7.8 Error: authentication credentials invalid\r\n"
/* base64 of "\0alice\0secret sauce" */
#define PLAIN_GOOD "AGFsaWNlAHNlY3JldCBzYXVjZQ=="
/* base64 of "\0alice\0wrong" */
#define PLAIN_BAD "AGFsaWNlAHdyb25n"

Test(server_auth, accepts_plain_with_an_initial_response) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = EHLO_IN "AUTH PLAIN " PLAIN_GOOD "\r\nAUTH PLAIN " PLAIN_GOOD "\r\n";
  conv_check_into(&s, in, sizeof in - 1,
                  GREETING EHLO_REPLY OK_235 "503 5.5.1 Error: already authenticated\r\n", &r);
  cr_expect_str_eq(r.events.p, "auth PLAIN alice\n");
  conv_result_free(&r);
}

Test(server_auth, accepts_plain_after_an_empty_334_challenge) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, EHLO_IN "AUTH PLAIN\r\n" PLAIN_GOOD "\r\n", GREETING EHLO_REPLY "334 \r\n" OK_235);
}

Test(server_auth, accepts_plain_with_an_authzid_equal_to_the_user_only) {
  struct conv_setup s = conv_setup_default();
  CONV(&s,
       EHLO_IN "AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldCBzYXVjZQ==\r\n"
               "AUTH PLAIN YWxpY2UAYWxpY2UAc2VjcmV0IHNhdWNl\r\n",
       GREETING EHLO_REPLY FAIL_535 OK_235);
}

Test(server_auth, accepts_login_in_two_challenges) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = EHLO_IN "AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0IHNhdWNl\r\n";
  conv_check_into(&s, in, sizeof in - 1,
                  GREETING EHLO_REPLY "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n" OK_235, &r);
  cr_expect_str_eq(r.events.p, "auth LOGIN alice\n");
  conv_result_free(&r);
}

Test(server_auth, accepts_login_with_the_user_as_initial_response) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, EHLO_IN "auth login YWxpY2U=\r\nc2VjcmV0IHNhdWNl\r\n",
       GREETING EHLO_REPLY "334 UGFzc3dvcmQ6\r\n" OK_235);
}

Test(server_auth, reports_the_authenticated_user) {
  struct conv_setup s = conv_setup_default();
  struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  static const char in[] = EHLO_IN "AUTH PLAIN " PLAIN_GOOD "\r\n";
  cr_assert_null(smtp_server_auth_user(srv));
  cr_assert_eq(smtp_server_feed(srv, in, sizeof in - 1), sizeof in - 1);
  cr_expect_str_eq(smtp_server_auth_user(srv), "alice");
  smtp_server_free(srv);
}

Test(server_auth, answers_wrong_credentials_with_535) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, EHLO_IN "AUTH PLAIN " PLAIN_BAD "\r\nAUTH LOGIN YWxpY2U=\r\nd3Jvbmc=\r\n",
       GREETING EHLO_REPLY FAIL_535 "334 UGFzc3dvcmQ6\r\n" FAIL_535);
}

Test(server_auth, treats_a_malformed_plain_message_as_a_failure) {
  struct conv_setup s = conv_setup_default();
  /* "\0alice" (one NUL) and "\0\0" (empty user and password). */
  CONV(&s, EHLO_IN "AUTH PLAIN AGFsaWNl\r\nAUTH PLAIN AAA=\r\nAUTH PLAIN =\r\n",
       GREETING EHLO_REPLY FAIL_535 FAIL_535 FAIL_535
       "421 4.7.0 mx.test Error: too many authentication "
       "failures\r\n");
}

Test(server_auth, cancels_the_exchange_on_a_star_with_501) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, EHLO_IN "AUTH LOGIN\r\n*\r\nAUTH PLAIN\r\n*\r\nNOOP\r\n",
       GREETING EHLO_REPLY "334 VXNlcm5hbWU6\r\n501 5.0.0 Authentication cancelled\r\n"
                           "334 \r\n501 5.0.0 Authentication cancelled\r\n250 2.0.0 OK\r\n");
}

Test(server_auth, refuses_a_response_that_is_not_base64_with_501) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, EHLO_IN "AUTH PLAIN\r\nnot base64!\r\nAUTH LOGIN YWxpY2U\r\nNOOP\r\n",
       GREETING EHLO_REPLY "334 \r\n501 5.5.2 Error: cannot decode base64 response\r\n"
                           "501 5.5.2 Error: cannot decode base64 response\r\n250 2.0.0 OK\r\n");
}

Test(server_auth, refuses_an_unknown_mechanism_with_504) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, EHLO_IN "AUTH CRAM-MD5\r\n",
       GREETING EHLO_REPLY "504 5.5.4 Error: unrecognized authentication type\r\n");
}

Test(server_auth, refuses_auth_inside_a_transaction_and_before_ehlo_with_503) {
  struct conv_setup s = conv_setup_default();
  CONV(&s,
       "AUTH PLAIN " PLAIN_GOOD "\r\nHELO c\r\nAUTH PLAIN " PLAIN_GOOD "\r\n" EHLO_IN
       "MAIL FROM:<a@b.test>\r\nAUTH PLAIN " PLAIN_GOOD "\r\n",
       GREETING
       "503 5.5.1 Error: send EHLO first\r\n250 mx.test\r\n"
       "503 5.5.1 Error: send EHLO first\r\n" EHLO_REPLY
       "250 2.1.0 OK\r\n503 5.5.1 Error: AUTH not permitted during a mail transaction\r\n");
}

Test(server_auth, refuses_auth_without_tls_when_tls_is_required_with_538) {
  struct conv_setup s = conv_setup_default();
  s.cfg.auth_requires_tls = true;
  s.cfg.extensions = SMTP_EXT_AUTH | SMTP_EXT_ENHANCEDSTATUSCODES;
  CONV(&s, EHLO_IN "AUTH PLAIN " PLAIN_GOOD "\r\n",
       GREETING "250-mx.test\r\n250 ENHANCEDSTATUSCODES\r\n"
                "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
}

Test(server_auth, requires_auth_before_mail_on_a_submission_server_with_530) {
  struct conv_setup s = conv_setup_default();
  s.cfg.mail_requires_auth = true;
  CONV(&s, EHLO_IN "MAIL FROM:<a@b.test>\r\nAUTH PLAIN " PLAIN_GOOD "\r\nMAIL FROM:<a@b.test>\r\n",
       GREETING EHLO_REPLY "530 5.7.0 Authentication required\r\n" OK_235 "250 2.1.0 OK\r\n");
}

Test(server_auth, closes_with_421_after_max_auth_failures) {
  struct conv_setup s = conv_setup_default();
  s.cfg.max_auth_failures = 2;
  struct conv_result r;
  static const char in[] =
      EHLO_IN "AUTH PLAIN " PLAIN_BAD "\r\nNOOP\r\nAUTH PLAIN " PLAIN_BAD "\r\nNOOP\r\n";
  conv_check_into(&s, in, sizeof in - 1,
                  GREETING EHLO_REPLY FAIL_535 "250 2.0.0 OK\r\n" FAIL_535
                                               "421 4.7.0 mx.test Error: too many authentication "
                                               "failures\r\n",
                  &r);
  cr_expect_eq(r.state, SMTP_SERVER_CLOSING);
  cr_expect_eq(r.unread, 6);
  conv_result_free(&r);
}

Test(server_auth, reads_sasl_lines_longer_than_512_octets_and_refuses_over_12288) {
  struct conv_setup s = conv_setup_default();
  struct conv_str in = {0};
  /* A LOGIN user name of 450 'a' (600 base64 octets): read, then refused by the hook. */
  conv_str_addf(&in, "%s", EHLO_IN "AUTH LOGIN\r\n");
  for (int i = 0; i < 150; i++)
    conv_str_addf(&in, "%s", "YWFh");
  conv_str_addf(&in, "%s", "\r\nd3Jvbmc=\r\nAUTH LOGIN\r\n");
  /* 12289 octets of base64 without CRLF: over the RFC 4954 4 limit. */
  for (int i = 0; i < 3073; i++)
    conv_str_addf(&in, "%s", "YWFh");
  conv_str_addf(&in, "%s", "\r\nNOOP\r\n");
  struct conv_result r;
  conv_run(&s, in.p, in.len, NULL, 0, &r);
  cr_expect_str_eq(r.out.p, GREETING EHLO_REPLY
                   "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n" FAIL_535 "334 VXNlcm5hbWU6\r\n"
                   "500 5.5.6 Error: authentication exchange line is too long\r\n"
                   "250 2.0.0 OK\r\n");
  /* One octet at a time too. */
  size_t *cuts = malloc(in.len * sizeof *cuts);
  cr_assert_not_null(cuts);
  for (size_t i = 0; i + 1 < in.len; i++)
    cuts[i] = i + 1;
  struct conv_result r2;
  conv_run(&s, in.p, in.len, cuts, in.len - 1, &r2);
  conv_same(&r, &r2, "one octet at a time");
  free(cuts);
  conv_result_free(&r);
  conv_result_free(&r2);
  conv_str_free(&in);
}

Test(server_auth, refuses_sasl_lines_with_bare_cr_lf_or_nul_with_501) {
  struct conv_setup s = conv_setup_default();
  CONV(&s,
       EHLO_IN
       "AUTH PLAIN\r\nAGFs\raWNl\r\nAUTH LOGIN\r\nYWxp\nY2U=\r\nAUTH PLAIN\r\n\0\r\nNOOP\r\n",
       GREETING EHLO_REPLY "334 \r\n501 5.5.2 Error: invalid characters in response\r\n"
                           "334 VXNlcm5hbWU6\r\n501 5.5.2 Error: invalid characters in response\r\n"
                           "334 \r\n501 5.5.2 Error: invalid characters in response\r\n"
                           "250 2.0.0 OK\r\n");
}

Test(server_auth, fails_login_with_an_empty_password_or_a_nul_in_the_user_name) {
  struct conv_setup s = conv_setup_default();
  s.cfg.max_auth_failures = 10;
  /* "=" is an empty response; "YQBi" is "a\0b". */
  CONV(&s, EHLO_IN "AUTH LOGIN YWxpY2U=\r\n=\r\nAUTH LOGIN YQBi\r\nAUTH LOGIN =\r\n",
       GREETING EHLO_REPLY "334 UGFzc3dvcmQ6\r\n" FAIL_535 FAIL_535 FAIL_535);
}

/* sasl_run_split - run in[0..len) whole, then one octet at a time; both must give want. */
static void sasl_run_split(const struct conv_setup *s, const char *in, size_t len,
                           const char *want) {
  struct conv_result r;
  conv_run(s, in, len, NULL, 0, &r);
  cr_expect_str_eq(r.out.p, want);
  size_t *cuts = malloc(len * sizeof *cuts);
  cr_assert_not_null(cuts);
  for (size_t i = 0; i + 1 < len; i++)
    cuts[i] = i + 1;
  struct conv_result r2;
  conv_run(s, in, len, cuts, len - 1, &r2);
  conv_same(&r, &r2, "one octet at a time");
  free(cuts);
  conv_result_free(&r);
  conv_result_free(&r2);
}

/* add_run - append n copies of octet c. */
static void add_run(struct conv_str *in, char c, size_t n) {
  for (size_t i = 0; i < n; i++)
    conv_str_add(in, &c, 1);
}

Test(server_auth, reads_a_12288_octet_response_line_whole) {
  struct conv_setup s = conv_setup_default();
  struct conv_str in = {0};
  /* RFC 4954 4: 12286 octets + CRLF = 12288 is one response line, answered for what it
   * says (12286 is no multiple of 4: not base64, 501), not as an over-long line. (The
   * one-octet-at-a-time run maps two pages per write: one such line per test.) */
  conv_str_addf(&in, "%s", EHLO_IN "AUTH PLAIN\r\n");
  add_run(&in, 'A', 12286);
  conv_str_addf(&in, "%s", "\r\nNOOP\r\n");
  sasl_run_split(&s, in.p, in.len,
                 GREETING EHLO_REPLY "334 \r\n501 5.5.2 Error: cannot decode base64 response\r\n"
                                     "250 2.0.0 OK\r\n");
  conv_str_free(&in);
}

Test(server_auth, skips_a_response_line_whose_crlf_ends_past_12288_octets_with_500_5_5_6) {
  struct conv_setup s = conv_setup_default();
  struct conv_str in = {0};
  /* 12287 + CRLF: the CR is octet 12288 and its LF octet 12289. */
  conv_str_addf(&in, "%s", EHLO_IN "AUTH LOGIN\r\n");
  add_run(&in, 'A', 12287);
  conv_str_addf(&in, "%s", "\r\nNOOP\r\n");
  sasl_run_split(&s, in.p, in.len,
                 GREETING EHLO_REPLY "334 VXNlcm5hbWU6\r\n"
                                     "500 5.5.6 Error: authentication exchange line is too long\r\n"
                                     "250 2.0.0 OK\r\n");
  conv_str_free(&in);
}

/* plain_b64 - append base64 of "\0alice\0" and a password of pass_len 'p' octets. */
static void plain_b64(struct conv_str *in, size_t pass_len) {
  size_t n = 7 + pass_len;
  unsigned char *msg = malloc(n);
  char *b64 = malloc(SMTP_BASE64_ENCODED_SIZE(n));
  cr_assert(msg != NULL && b64 != NULL);
  memcpy(msg, "\0alice\0", 7);
  memset(msg + 7, 'p', pass_len);
  size_t len = smtp_base64_encode(msg, n, b64);
  conv_str_add(in, b64, len);
  free(msg);
  free(b64);
}

Test(server_auth, decodes_responses_up_to_1024_octets_and_refuses_larger_ones_with_500_5_5_6) {
  struct conv_setup s = conv_setup_default();
  struct conv_str in = {0};
  /* 1024 decoded octets reach the hook (wrong password: 535); 1025 do not (RFC 4954 6:
   * longer than the mechanism's buffer), and that is not counted as an authentication
   * failure: the third AUTH is the second failure, still short of the 421 at three. */
  conv_str_addf(&in, "%s", EHLO_IN "AUTH PLAIN\r\n");
  plain_b64(&in, 1024 - 7);
  conv_str_addf(&in, "%s", "\r\nAUTH PLAIN\r\n");
  plain_b64(&in, 1025 - 7);
  conv_str_addf(&in, "%s", "\r\nAUTH PLAIN " PLAIN_BAD "\r\nAUTH PLAIN\r\n");
  /* Too big and not base64 either: 501, as for any undecodable response. */
  add_run(&in, '!', 2000);
  conv_str_addf(&in, "%s", "\r\nNOOP\r\n");
  struct conv_result r;
  conv_run(&s, in.p, in.len, NULL, 0, &r);
  cr_expect_str_eq(r.events.p, "auth PLAIN alice\nauth PLAIN alice\n");
  conv_result_free(&r);
  sasl_run_split(&s, in.p, in.len,
                 GREETING EHLO_REPLY
                 "334 \r\n" FAIL_535 "334 \r\n"
                 "500 5.5.6 Error: authentication exchange line is too long\r\n" FAIL_535 "334 \r\n"
                 "501 5.5.2 Error: cannot decode base64 response\r\n"
                 "250 2.0.0 OK\r\n");
  conv_str_free(&in);
}

/* What the PLAIN hook below was given. */
struct plain_seen {
  size_t user_len, pass_len;
  bool user_ok, pass_ok;
};

/* plain_check_hook - accept 255 'u' with password 255 'p' (RFC 4616 2 maxima). */
static enum smtp_hook_status plain_check_hook(void *ctx, const char *mech, const char *user,
                                              size_t user_len, const char *pass, size_t pass_len,
                                              struct smtp_hook_reply *r) {
  struct plain_seen *seen = ctx;
  seen->user_len = user_len;
  seen->pass_len = pass_len;
  seen->user_ok = user_len == 255 && strspn(user, "u") == 255;
  seen->pass_ok = pass_len == 255;
  for (size_t i = 0; i < pass_len; i++)
    seen->pass_ok = seen->pass_ok && pass[i] == 'p';
  return seen->user_ok && seen->pass_ok ? SMTP_HOOK_ACCEPT : SMTP_HOOK_REJECT;
}

Test(server_auth, accepts_plain_with_authzid_authcid_and_password_of_255_octets_each) {
  struct conv_setup s = conv_setup_default();
  static const struct smtp_server_hooks hooks = {.auth = plain_check_hook};
  /* RFC 4616 2: authzid, authcid and passwd of up to 255 octets MUST be accepted. */
  unsigned char msg[255 * 3 + 2];
  memset(msg, 'u', 510 + 1);
  msg[255] = '\0';
  msg[511] = '\0';
  memset(msg + 512, 'p', 255);
  char b64[SMTP_BASE64_ENCODED_SIZE(sizeof msg)];
  size_t b64_len = smtp_base64_encode(msg, sizeof msg, b64);
  for (int split = 0; split < 2; split++) {
    struct plain_seen seen = {0};
    struct smtp_server *srv = smtp_server_new(&s.cfg, &hooks, &seen, false);
    struct conv_str in = {0}, out = {0};
    conv_str_addf(&in, "%s", EHLO_IN "AUTH PLAIN\r\n");
    conv_str_add(&in, b64, b64_len);
    conv_str_addf(&in, "%s", "\r\n");
    size_t step = split ? 1 : in.len, used = 0;
    for (int spin = 0; spin < 100000 && used < in.len; spin++) {
      size_t n = in.len - used < step ? in.len - used : step;
      used += smtp_server_feed(srv, in.p + used, n);
      size_t olen;
      const char *o = smtp_server_output(srv, &olen);
      conv_str_add(&out, o, olen);
      smtp_server_output_done(srv, olen);
    }
    cr_expect_eq(used, in.len);
    cr_expect_str_eq(out.p, GREETING EHLO_REPLY "334 \r\n" OK_235);
    cr_expect(seen.user_ok, "user of %zu octets", seen.user_len);
    cr_expect(seen.pass_ok, "password of %zu octets", seen.pass_len);
    cr_expect_eq(strlen(smtp_server_auth_user(srv)), 255);
    smtp_server_free(srv);
    conv_str_free(&in);
    conv_str_free(&out);
  }
}
