/* test_server_auth.c - AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN: every reply code
 * the engine sends in an exchange, and the limits on failures and line length. The only
 * account the test hook knows is alice / "secret sauce". */
#include "test_server_conv.h"

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
