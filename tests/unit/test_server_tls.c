/* test_server_tls.c - STARTTLS (RFC 3207): the 220, the purge of pipelined plaintext
 * (CVE-2011-0411), the reset after the handshake, and what is offered afterwards. */
#include "test_server_conv.h"

/* The EHLO reply of conv_setup_default() under TLS. */
#define EHLO_TLS_REPLY                                                                             \
  "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250-8BITMIME\r\n"                            \
  "250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-DSN\r\n"       \
  "250 AUTH PLAIN LOGIN\r\n"
#define READY "220 2.0.0 Ready to start TLS\r\n"

/* conv_tls - a conversation whose first plain_len octets are plaintext. */
static void conv_tls(struct conv_setup *s, const char *in, size_t len, size_t plain_len,
                     const char *want, struct conv_result *r) {
  s->tls_at = plain_len;
  conv_check_into(s, in, len, want, r);
}

Test(server_starttls, drops_plaintext_pipelined_after_starttls) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char plain[] = "EHLO c\r\nSTARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.test>\r\n";
  static const char in[] = "EHLO c\r\nSTARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.test>\r\n"
                           "NOOP\r\n";
  conv_tls(&s, in, sizeof in - 1, sizeof plain - 1,
           GREETING EHLO_REPLY READY "[TLS]250 2.0.0 OK\r\n", &r);
  cr_expect_str_eq(r.events.p, "", "the injected MAIL never reached a hook");
  conv_result_free(&r);
}

Test(server_starttls, consumes_exactly_the_starttls_line_and_answers_nothing_else) {
  struct conv_setup s = conv_setup_default();
  struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  size_t n;
  smtp_server_output(srv, &n);
  smtp_server_output_done(srv, n);
  static const char in[] = "STARTTLS\r\nRSET\r\n";
  const char *p = guard_copy(in, sizeof in - 1);
  cr_expect_eq(smtp_server_feed(srv, p, sizeof in - 1), 10);
  cr_expect_eq(smtp_server_state(srv), SMTP_SERVER_STARTTLS);
  cr_expect_eq(smtp_server_feed(srv, p + 10, 6), 0, "nothing is read before the handshake");
  const char *out = smtp_server_output(srv, &n);
  cr_expect_eq(n, strlen(READY));
  cr_expect(memcmp(out, READY, n) == 0);
  smtp_server_output_done(srv, n);
  smtp_server_tls_started(srv);
  smtp_server_output(srv, &n);
  cr_expect_eq(n, 0, "no trace of RSET after the handshake");
  cr_expect_eq(smtp_server_state(srv), SMTP_SERVER_RUNNING);
  cr_expect(smtp_server_tls_active(srv));
  smtp_server_free(srv);
  guard_free_all();
}

Test(server_starttls, forgets_helo_and_the_transaction_after_the_handshake) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char plain[] = "EHLO c\r\nMAIL FROM:<a@b.test>\r\nSTARTTLS\r\n";
  static const char in[] = "EHLO c\r\nMAIL FROM:<a@b.test>\r\nSTARTTLS\r\n"
                           "MAIL FROM:<a@b.test>\r\nEHLO c\r\nRCPT TO:<b@mx.test>\r\n"
                           "STARTTLS\r\n";
  conv_tls(&s, in, sizeof in - 1, sizeof plain - 1,
           GREETING EHLO_REPLY "250 2.1.0 OK\r\n" READY
                               "[TLS]503 5.5.1 Error: send HELO/EHLO first\r\n" EHLO_TLS_REPLY
                               "503 5.5.1 Error: need MAIL command\r\n"
                               "503 5.5.1 Error: TLS already active\r\n",
           &r);
  cr_expect_str_eq(r.events.p, "mail <a@b.test> size=0 body=0 utf8=0 ret=0 envid=\nreset\n");
  conv_result_free(&r);
}

Test(server_starttls, refuses_starttls_with_arguments) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "STARTTLS now\r\nNOOP\r\n",
       GREETING "501 5.5.4 Syntax error, no parameters allowed\r\n250 2.0.0 OK\r\n");
}

Test(server_starttls, offers_auth_only_after_tls_when_configured_so) {
  struct conv_setup s = conv_setup_default();
  s.cfg.auth_requires_tls = true;
  s.cfg.extensions = SMTP_EXT_STARTTLS | SMTP_EXT_AUTH | SMTP_EXT_ENHANCEDSTATUSCODES;
  struct conv_result r;
  static const char plain[] = "EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldCBzYXVjZQ==\r\nSTARTTLS\r\n";
  static const char in[] = "EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldCBzYXVjZQ==\r\nSTARTTLS\r\n"
                           "EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldCBzYXVjZQ==\r\n";
  conv_tls(&s, in, sizeof in - 1, sizeof plain - 1,
           GREETING
           "250-mx.test\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"
           "538 5.7.11 Encryption required for requested authentication mechanism\r\n" READY
           "[TLS]250-mx.test\r\n250-ENHANCEDSTATUSCODES\r\n"
           "250 AUTH PLAIN LOGIN\r\n235 2.7.0 Authentication successful\r\n",
           &r);
  cr_expect_str_eq(r.events.p, "auth PLAIN alice\n");
  conv_result_free(&r);
}

Test(server_starttls, forgets_authentication_done_before_tls) {
  struct conv_setup s = conv_setup_default();
  s.cfg.mail_requires_auth = true;
  struct conv_result r;
  static const char plain[] = "EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldCBzYXVjZQ==\r\nSTARTTLS\r\n";
  static const char in[] = "EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldCBzYXVjZQ==\r\nSTARTTLS\r\n"
                           "EHLO c\r\nMAIL FROM:<a@b.test>\r\n";
  conv_tls(&s, in, sizeof in - 1, sizeof plain - 1,
           GREETING EHLO_REPLY "235 2.7.0 Authentication successful\r\n" READY
                               "[TLS]" EHLO_TLS_REPLY "530 5.7.0 Authentication required\r\n",
           &r);
  conv_result_free(&r);
}
