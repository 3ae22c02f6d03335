/* test_server.c - the server engine's session rules: greeting, HELO/EHLO, command order
 * (RFC 5321 3.3, 4.1.4), limits (4.5.3.1), PIPELINING (RFC 2920), errors and closing.
 *
 * Every conversation is checked whole, cut at every offset, one octet at a time, and with
 * every hook answering PENDING (test_server_conv.h); all must give the same bytes. */
#include "test_server_conv.h"

#include "smtp/line.h"

Test(server_session, greets_with_220_and_its_hostname) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "", GREETING);
  s.cfg.greeting = "Service ready";
  CONV(&s, "", "220 mx.test Service ready\r\n");
}

Test(server_session, answers_helo_with_a_single_250_line_without_extensions) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "HELO client.test\r\n", GREETING "250 mx.test\r\n");
}

Test(server_session, lists_every_offered_extension_in_the_ehlo_reply) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "EHLO client.test\r\n", GREETING EHLO_REPLY);
}

Test(server_session, offers_only_configured_extensions_and_binarymime_only_with_chunking) {
  struct conv_setup s = conv_setup_default();
  s.cfg.extensions = SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_BINARYMIME;
  s.cfg.max_size = 0;
  CONV(&s, "EHLO client.test\r\n", GREETING "250-mx.test\r\n250-PIPELINING\r\n250 SIZE\r\n");
}

Test(server_session, never_offers_starttls_under_implicit_tls) {
  struct conv_setup s = conv_setup_default();
  s.implicit_tls = true;
  s.cfg.extensions = SMTP_EXT_STARTTLS | SMTP_EXT_AUTH | SMTP_EXT_DSN;
  CONV(&s, "EHLO client.test\r\n", GREETING "250-mx.test\r\n250-DSN\r\n250 AUTH PLAIN LOGIN\r\n");
}

Test(server_session, lists_only_auth_mechanisms_the_engine_can_run) {
  struct conv_setup s = conv_setup_default();
  s.cfg.extensions = SMTP_EXT_AUTH;
  s.cfg.auth_mechanisms = "CRAM-MD5 login XOAUTH2";
  CONV(&s, "EHLO c\r\n", GREETING "250-mx.test\r\n250 AUTH LOGIN\r\n");
  s.cfg.auth_mechanisms = "CRAM-MD5";
  CONV(&s, "EHLO c\r\n", GREETING "250 mx.test\r\n");
}

Test(server_session, delivers_one_message_through_a_whole_transaction) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = "EHLO client.test\r\n"
                           "MAIL FROM:<alice@client.test>\r\n"
                           "RCPT TO:<bob@mx.test>\r\n"
                           "DATA\r\n"
                           "Subject: hi\r\n\r\nHello\r\n.\r\n"
                           "QUIT\r\n";
  conv_check_into(&s, in, sizeof in - 1,
                  GREETING EHLO_REPLY "250 2.1.0 OK\r\n"
                                      "250 2.1.5 OK\r\n"
                                      "354 End data with <CR><LF>.<CR><LF>\r\n"
                                      "250 2.0.0 OK: message accepted\r\n"
                                      "221 2.0.0 mx.test closing connection\r\n",
                  &r);
  cr_expect_str_eq(r.content.p, "<begin>Subject: hi\r\n\r\nHello\r\n<end:0>");
  cr_expect_str_eq(r.events.p, "mail <alice@client.test> size=0 body=0 utf8=0 ret=0 envid=\n"
                               "rcpt <bob@mx.test> postmaster=0 notify=0 orcpt=\n"
                               "data_end 0\n");
  cr_expect_eq(r.state, SMTP_SERVER_CLOSING);
  conv_result_free(&r);
}

Test(server_session, closes_after_quit_and_reads_nothing_more) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = "QUIT\r\nNOOP\r\n";
  conv_check_into(&s, in, sizeof in - 1, GREETING "221 2.0.0 mx.test closing connection\r\n", &r);
  cr_expect_eq(r.state, SMTP_SERVER_CLOSING);
  cr_expect_eq(r.unread, 6, "NOOP after QUIT stays unread, got %zu unread", r.unread);
  conv_result_free(&r);
}

Test(server_order, refuses_mail_before_helo_with_503) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "MAIL FROM:<a@b.test>\r\nHELO c\r\nMAIL FROM:<a@b.test>\r\n",
       GREETING "503 5.5.1 Error: send HELO/EHLO first\r\n250 mx.test\r\n250 2.1.0 OK\r\n");
}

Test(server_order, refuses_rcpt_and_data_without_mail_with_503) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "EHLO c\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n",
       GREETING EHLO_REPLY "503 5.5.1 Error: need MAIL command\r\n"
                           "503 5.5.1 Error: need MAIL command\r\n");
}

Test(server_order, refuses_a_nested_mail_and_keeps_the_first_transaction) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = "EHLO c\r\nMAIL FROM:<a@b.test>\r\nMAIL FROM:<x@y.test>\r\n"
                           "RCPT TO:<b@mx.test>\r\nDATA\r\nx\r\n.\r\n";
  conv_check_into(&s, in, sizeof in - 1,
                  GREETING EHLO_REPLY "250 2.1.0 OK\r\n503 5.5.1 Error: nested MAIL command\r\n"
                                      "250 2.1.5 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
                                      "250 2.0.0 OK: message accepted\r\n",
                  &r);
  cr_expect_str_eq(r.events.p, "mail <a@b.test> size=0 body=0 utf8=0 ret=0 envid=\n"
                               "rcpt <b@mx.test> postmaster=0 notify=0 orcpt=\n"
                               "data_end 0\n");
  conv_result_free(&r);
}

Test(server_order, answers_data_without_an_accepted_recipient_with_554_never_354) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "EHLO c\r\nMAIL FROM:<a@b.test>\r\nDATA\r\nRCPT TO:<nobody@mx.test>\r\nDATA\r\n",
       GREETING EHLO_REPLY "250 2.1.0 OK\r\n554 5.5.1 Error: no valid recipients\r\n"
                           "550 5.1.1 No such user\r\n554 5.5.1 Error: no valid recipients\r\n");
}

Test(server_order, accepts_the_null_reverse_path_and_bare_postmaster) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = "HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\n";
  conv_check_into(&s, in, sizeof in - 1, GREETING "250 mx.test\r\n250 2.1.0 OK\r\n250 2.1.5 OK\r\n",
                  &r);
  cr_expect_str_eq(r.events.p, "mail <@> size=0 body=0 utf8=0 ret=0 envid=\n"
                               "rcpt <Postmaster@> postmaster=1 notify=0 orcpt=\n"
                               "reset\n");
  conv_result_free(&r);
}

Test(server_order, resets_the_transaction_on_rset_helo_and_ehlo) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = "HELO c\r\nMAIL FROM:<a@b.test>\r\nRSET\r\nRCPT TO:<b@mx.test>\r\n"
                           "MAIL FROM:<a@b.test>\r\nEHLO c\r\nRCPT TO:<b@mx.test>\r\n"
                           "MAIL FROM:<a@b.test>\r\nHELO c\r\nRCPT TO:<b@mx.test>\r\n";
  conv_check_into(&s, in, sizeof in - 1,
                  GREETING "250 mx.test\r\n250 2.1.0 OK\r\n250 2.0.0 OK\r\n"
                           "503 5.5.1 Error: need MAIL command\r\n"
                           "250 2.1.0 OK\r\n" EHLO_REPLY "503 5.5.1 Error: need MAIL command\r\n"
                           "250 2.1.0 OK\r\n250 mx.test\r\n503 5.5.1 Error: need MAIL command\r\n",
                  &r);
  cr_expect_str_eq(r.events.p, "mail <a@b.test> size=0 body=0 utf8=0 ret=0 envid=\nreset\n"
                               "mail <a@b.test> size=0 body=0 utf8=0 ret=0 envid=\nreset\n"
                               "mail <a@b.test> size=0 body=0 utf8=0 ret=0 envid=\nreset\n");
  conv_result_free(&r);
}

Test(server_commands, answers_noop_rset_vrfy_expn_and_help) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "NOOP\r\nRSET\r\nVRFY bob\r\nEXPN staff\r\nHELP\r\n",
       GREETING "250 2.0.0 OK\r\n250 2.0.0 OK\r\n"
                "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"
                "502 5.5.1 Error: EXPN not implemented\r\n"
                "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP "
                "STARTTLS AUTH\r\n");
}

Test(server_commands, sends_hook_replies_and_keeps_state_after_a_refused_sender) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "EHLO c\r\nMAIL FROM:<reject@b.test>\r\nRCPT TO:<b@mx.test>\r\nMAIL FROM:<a@b.test>\r\n",
       GREETING EHLO_REPLY "550 5.7.1 Sender refused by policy\r\n"
                           "503 5.5.1 Error: need MAIL command\r\n250 2.1.0 OK\r\n");
}

Test(server_commands, leaves_out_enhanced_codes_when_the_extension_is_not_offered) {
  struct conv_setup s = conv_setup_default();
  s.cfg.extensions = SMTP_EXT_PIPELINING;
  CONV(&s, "EHLO c\r\nRCPT TO:<b@mx.test>\r\nMAIL FROM:<a@b.test>\r\nQUIT\r\n",
       GREETING "250-mx.test\r\n250 PIPELINING\r\n503 Error: need MAIL command\r\n250 OK\r\n"
                "221 mx.test closing connection\r\n");
}

Test(server_commands, refuses_known_extension_verbs_that_are_not_offered_with_502) {
  struct conv_setup s = conv_setup_default();
  s.cfg.extensions = SMTP_EXT_ENHANCEDSTATUSCODES;
  CONV(&s, "EHLO c\r\nSTARTTLS\r\nAUTH PLAIN\r\nHELP\r\n",
       GREETING "250-mx.test\r\n250 ENHANCEDSTATUSCODES\r\n"
                "502 5.5.1 Error: command not implemented\r\n"
                "502 5.5.1 Error: command not implemented\r\n"
                "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n");
}

Test(server_limits, accepts_a_512_octet_command_line_and_refuses_513_then_resyncs) {
  struct conv_setup s = conv_setup_default();
  char in[2048];
  size_t n = 0;
  /* NOOP with an argument: "NOOP " + 505 x + CRLF = 512 octets. */
  memcpy(in + n, "NOOP ", 5);
  n += 5;
  memset(in + n, 'x', 505);
  n += 505;
  memcpy(in + n, "\r\n", 2);
  n += 2;
  /* The same with one more x: 513 octets. */
  memcpy(in + n, "NOOP ", 5);
  n += 5;
  memset(in + n, 'x', 506);
  n += 506;
  memcpy(in + n, "\r\nNOOP\r\n", 8);
  n += 8;
  conv_check(&s, in, n,
             GREETING "250 2.0.0 OK\r\n500 5.5.2 Error: command line too long\r\n"
                      "250 2.0.0 OK\r\n");
}

Test(server_limits, resyncs_after_an_over_long_line_whose_cr_is_at_the_limit) {
  struct conv_setup s = conv_setup_default();
  char in[2048];
  size_t n = 0;
  /* 511 octets then CR LF: the CR is octet 512, the LF octet 513. */
  memset(in, 'y', 511);
  n = 511;
  memcpy(in + n, "\r\nRSET\r\n", 8);
  n += 8;
  conv_check(&s, in, n, GREETING "500 5.5.2 Error: command line too long\r\n250 2.0.0 OK\r\n");
}

Test(server_limits, never_takes_a_bare_cr_or_lf_as_a_line_end) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "NOOP\nRSET\r\nNOOP\rRSET\r\nNO\0OP\r\nNOOP\r\n",
       GREETING "501 5.5.2 Error: bare CR or LF in command line\r\n"
                "501 5.5.2 Error: bare CR or LF in command line\r\n"
                "501 5.5.2 Error: NUL in command line\r\n250 2.0.0 OK\r\n");
}

Test(server_limits, closes_with_421_after_max_errors_consecutive_errors) {
  struct conv_setup s = conv_setup_default();
  s.cfg.max_errors = 3;
  struct conv_result r;
  static const char in[] = "EXPN a\r\nEXPN a\r\nNOOP\r\nEXPN a\r\nEXPN a\r\nEXPN a\r\nNOOP\r\n";
  conv_check_into(&s, in, sizeof in - 1,
                  GREETING "502 5.5.1 Error: EXPN not implemented\r\n"
                           "502 5.5.1 Error: EXPN not implemented\r\n250 2.0.0 OK\r\n"
                           "502 5.5.1 Error: EXPN not implemented\r\n"
                           "502 5.5.1 Error: EXPN not implemented\r\n"
                           "502 5.5.1 Error: EXPN not implemented\r\n"
                           "421 4.7.0 mx.test Error: too many errors\r\n",
                  &r);
  cr_expect_eq(r.state, SMTP_SERVER_CLOSING);
  cr_expect_eq(r.unread, 6);
  conv_result_free(&r);
}

/* rcpt_batch - "EHLO", "MAIL", then n RCPT lines with distinct recipients, into *out. */
static size_t rcpt_batch(char *buf, size_t cap, unsigned n) {
  size_t at = (size_t)snprintf(buf, cap, "EHLO c\r\nMAIL FROM:<a@b.test>\r\n");
  for (unsigned i = 0; i < n; i++)
    at += (size_t)snprintf(buf + at, cap - at, "RCPT TO:<user%u@mx.test>\r\n", i);
  return at;
}

Test(server_limits, accepts_100_recipients_and_answers_the_next_with_452) {
  struct conv_setup s = conv_setup_default();
  s.cfg.max_recipients = 7; /* raised to the RFC 5321 4.5.3.1.8 minimum of 100 */
  static char in[8192];
  size_t n = rcpt_batch(in, sizeof in, 101);
  n += (size_t)snprintf(in + n, sizeof in - n, "DATA\r\n.\r\n");
  struct conv_str want = {0};
  conv_str_addf(&want, "%s", GREETING EHLO_REPLY "250 2.1.0 OK\r\n");
  for (int i = 0; i < 100; i++)
    conv_str_addf(&want, "250 2.1.5 OK\r\n");
  conv_str_addf(&want, "452 4.5.3 Error: too many recipients\r\n"
                       "354 End data with <CR><LF>.<CR><LF>\r\n"
                       "250 2.0.0 OK: message accepted\r\n");
  conv_check(&s, in, n, want.p);
  conv_str_free(&want);
}

Test(server_limits, refuses_a_declared_size_over_the_limit_at_mail_with_552) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "EHLO c\r\nMAIL FROM:<a@b.test> SIZE=10001\r\nMAIL FROM:<a@b.test> SIZE=10000\r\n",
       GREETING EHLO_REPLY "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
                           "250 2.1.0 OK\r\n");
}

Test(server_limits, answers_timeout_and_shutdown_with_421_and_closes) {
  struct conv_setup s = conv_setup_default();
  struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  size_t n;
  smtp_server_output_done(srv, 1000);
  smtp_server_timeout(srv);
  const char *out = smtp_server_output(srv, &n);
  cr_expect_eq(n, strlen("421 4.4.2 mx.test Error: timeout exceeded\r\n"));
  cr_expect(memcmp(out, "421 4.4.2 mx.test Error: timeout exceeded\r\n", n) == 0);
  cr_expect_eq(smtp_server_state(srv), SMTP_SERVER_CLOSING);
  cr_expect_eq(smtp_server_feed(srv, "NOOP\r\n", 6), 0, "nothing is read after closing");
  smtp_server_shutdown(srv); /* already closing: no second 421 */
  smtp_server_output(srv, &n);
  cr_expect_eq(n, strlen("421 4.4.2 mx.test Error: timeout exceeded\r\n"));
  smtp_server_free(srv);

  srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  smtp_server_output_done(srv, 1000);
  smtp_server_shutdown(srv);
  out = smtp_server_output(srv, &n);
  static const char want[] =
      "421 4.3.2 mx.test Service shutting down, closing transmission channel\r\n";
  cr_expect_eq(n, sizeof want - 1);
  cr_expect(memcmp(out, want, n) == 0);
  smtp_server_free(srv);
}

Test(server_smtputf8, refuses_utf8_addresses_without_the_smtputf8_parameter) {
  struct conv_setup s = conv_setup_default();
  CONV(&s,
       "EHLO c\r\nMAIL FROM:<j\xc3\xb6rg@b.test>\r\nMAIL FROM:<a@b.test>\r\n"
       "RCPT TO:<j\xc3\xb6rg@mx.test>\r\n",
       GREETING EHLO_REPLY "553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n250 2.1.0 OK\r\n"
                           "553 5.6.7 UTF-8 address requires the SMTPUTF8 parameter\r\n");
}

Test(server_smtputf8, accepts_utf8_addresses_in_an_smtputf8_transaction) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "EHLO c\r\nMAIL FROM:<j\xc3\xb6rg@b.test> SMTPUTF8\r\nRCPT TO:<j\xc3\xb6rg@mx.test>\r\n",
       GREETING EHLO_REPLY "250 2.1.0 OK\r\n250 2.1.5 OK\r\n");
}

Test(server_dsn, passes_dsn_parameters_to_the_hooks) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] =
      "EHLO c\r\nMAIL FROM:<a@b.test> RET=HDRS ENVID=QQ314159 BODY=8BITMIME\r\n"
      "RCPT TO:<b@mx.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@mx.test\r\n";
  conv_check_into(&s, in, sizeof in - 1, GREETING EHLO_REPLY "250 2.1.0 OK\r\n250 2.1.5 OK\r\n",
                  &r);
  cr_expect_str_eq(r.events.p, "mail <a@b.test> size=0 body=2 utf8=0 ret=2 envid=QQ314159\n"
                               "rcpt <b@mx.test> postmaster=0 notify=6 orcpt=rfc822;b@mx.test\n"
                               "reset\n");
  conv_result_free(&r);
}

Test(server_pipelining, answers_a_whole_batch_from_one_feed_in_order) {
  struct conv_setup s = conv_setup_default();
  struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  static const char in[] = "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<b@mx.test>\r\n"
                           "RCPT TO:<c@mx.test>\r\nDATA\r\n";
  size_t n;
  smtp_server_output(srv, &n);
  smtp_server_output_done(srv, n);
  const char *p = guard_copy(in, sizeof in - 1);
  cr_assert_eq(smtp_server_feed(srv, p, sizeof in - 1), sizeof in - 1);
  const char *out = smtp_server_output(srv, &n);
  static const char want[] = EHLO_REPLY "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n"
                                        "354 End data with <CR><LF>.<CR><LF>\r\n";
  cr_expect_eq(n, sizeof want - 1, "%.*s", (int)n, out);
  cr_expect(memcmp(out, want, sizeof want - 1) == 0);
  cr_expect_eq(smtp_server_phase(srv), SMTP_PHASE_DATA);
  smtp_server_free(srv);
  guard_free_all();
}

Test(server_pipelining, stops_reading_when_the_output_is_full_and_goes_on_after_it_is_sent) {
  struct conv_setup s = conv_setup_default();
  struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  enum { N = 3000 };
  static char in[N * 6];
  for (size_t i = 0; i < N; i++)
    memcpy(in + i * 6, "NOOP\r\n", 6);
  size_t n, used = 0, total_out = 0;
  smtp_server_output(srv, &n);
  smtp_server_output_done(srv, n);
  size_t first = smtp_server_feed(srv, in, sizeof in);
  cr_expect_lt(first, sizeof in, "a full output buffer must stop the reading");
  cr_expect_eq(first % 6, 0, "it stops between commands");
  smtp_server_output(srv, &n);
  cr_expect_eq(n, first / 6 * strlen("250 2.0.0 OK\r\n"), "one reply per command read");
  cr_expect_eq(smtp_server_feed(srv, in + first, sizeof in - first), 0,
               "nothing more is read until output is sent");
  used = first;
  /* Send the output in uneven pieces (a slow client), so unsent bytes move to the front
   * while new replies are appended; every byte must arrive once and in order. */
  static const char want[] = "250 2.0.0 OK\r\n";
  for (int spin = 0; spin < 100000 && used < sizeof in; spin++) {
    const char *out = smtp_server_output(srv, &n);
    size_t sent = n / 2 + 1 < n ? n / 2 + 1 : n;
    for (size_t i = 0; i < sent; i++)
      cr_assert_eq(out[i], want[(total_out + i) % 14], "output octet %zu", total_out + i);
    total_out += sent;
    smtp_server_output_done(srv, sent);
    used += smtp_server_feed(srv, in + used, sizeof in - used);
  }
  smtp_server_output(srv, &n);
  total_out += n;
  cr_expect_eq(used, sizeof in);
  cr_expect_eq(total_out, (size_t)N * 14, "every NOOP answered once");
  cr_expect_eq(smtp_server_stats(srv)->commands, N);
  cr_expect_eq(smtp_server_stats(srv)->replies_2xx, N + 1, "the 220 and the N NOOPs");
  smtp_server_free(srv);
}

/* A trace of mode changes, for the test below. */
struct trace_log {
  char text[512];
};

/* trace_record - append "old>new " to the log. */
static void trace_record(void *ctx, const char *from, const char *to) {
  struct trace_log *t = ctx;
  size_t n = strlen(t->text);
  snprintf(t->text + n, sizeof t->text - n, "%s>%s ", from, to);
}

Test(server_session, traces_every_state_change_from_old_to_new) {
  struct conv_setup s = conv_setup_default();
  struct trace_log log = {{0}};
  struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  smtp_server_set_trace(srv, trace_record, &log);
  static const char in[] = "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n"
                           ".\r\nSTARTTLS\r\n";
  cr_assert_eq(smtp_server_feed(srv, in, sizeof in - 1), sizeof in - 1);
  smtp_server_tls_started(srv);
  cr_assert_eq(smtp_server_feed(srv, "QUIT\r\n", 6), 6);
  cr_expect_str_eq(log.text,
                   "COMMAND>DATA DATA>COMMAND COMMAND>STARTTLS STARTTLS>COMMAND COMMAND>CLOSING ");
  smtp_server_free(srv);
}

Test(server_session, reports_helo_name_esmtp_and_counts_replies) {
  struct conv_setup s = conv_setup_default();
  struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  cr_expect_str_eq(smtp_server_helo(srv), "");
  cr_expect_not(smtp_server_is_esmtp(srv));
  static const char in[] = "EHLO client.example\r\nEXPN x\r\nMAIL FROM:<a@b.test>\r\n";
  cr_assert_eq(smtp_server_feed(srv, in, sizeof in - 1), sizeof in - 1);
  cr_expect_str_eq(smtp_server_helo(srv), "client.example");
  cr_expect(smtp_server_is_esmtp(srv));
  cr_expect_not(smtp_server_tls_active(srv));
  cr_expect_null(smtp_server_auth_user(srv));
  const struct smtp_server_stats *st = smtp_server_stats(srv);
  cr_expect_eq(st->commands, 3);
  cr_expect_eq(st->replies_2xx, 3);
  cr_expect_eq(st->replies_5xx, 1);
  smtp_server_free(srv);
}

Test(server_session, calls_reset_when_freed_inside_a_transaction) {
  struct conv_setup s = conv_setup_default();
  struct conv_result res;
  memset(&res, 0, sizeof res);
  struct conv_ctx ctx = {&s, &res};
  struct smtp_server *srv = smtp_server_new(&s.cfg, &conv_hooks, &ctx, false);
  static const char in[] = "HELO c\r\nMAIL FROM:<a@b.test>\r\n";
  cr_assert_eq(smtp_server_feed(srv, in, sizeof in - 1), sizeof in - 1);
  smtp_server_free(srv);
  cr_expect_str_eq(res.events.p, "mail <a@b.test> size=0 body=0 utf8=0 ret=0 envid=\nreset\n");
  conv_result_free(&res);
}

Test(server_session, accepts_everything_when_the_daemon_gives_no_hooks) {
  struct conv_setup s = conv_setup_default();
  s.null_hooks = true;
  CONV(&s, "HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<nobody@mx.test>\r\nDATA\r\nx\r\n.\r\n",
       GREETING "250 mx.test\r\n250 2.1.0 OK\r\n250 2.1.5 OK\r\n"
                "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK: message accepted\r\n");
}

/* policy_rcpt - a daemon whose replies are odd on purpose, chosen by the local part. */
static enum smtp_hook_status policy_rcpt(void *ctx, const struct smtp_command *cmd,
                                         struct smtp_hook_reply *r) {
  static const struct {
    const char *local;
    enum smtp_hook_status st;
    struct smtp_hook_reply reply;
  } rows[] = {
      {"fwd", SMTP_HOOK_ACCEPT, {251, "2.1.5", "User not local; will forward"}},
      {"crlf", SMTP_HOOK_REJECT, {550, "5.7.1", "bad\r\n250 injected\x01"}},
      {"many", SMTP_HOOK_REJECT, {450, "4.2.1", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10"}},
      {"weird", SMTP_HOOK_REJECT, {250, NULL, "not a refusal"}},
      {"badenh", SMTP_HOOK_REJECT, {451, "5.1.1", "mismatched class"}},
      {"nocode", SMTP_HOOK_ACCEPT, {0, NULL, NULL}},
      {"code299", SMTP_HOOK_ACCEPT, {299, NULL, "not a reply code"}},
      {"code460", SMTP_HOOK_REJECT, {460, NULL, "not a reply code"}},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    if (cmd->path.local_len == strlen(rows[i].local) &&
        memcmp(cmd->path.local, rows[i].local, cmd->path.local_len) == 0) {
      *r = rows[i].reply;
      return rows[i].st;
    }
  }
  return SMTP_HOOK_ACCEPT;
}

Test(server_commands, sends_hook_replies_only_in_a_well_formed_shape) {
  struct conv_setup s = conv_setup_default();
  static const struct smtp_server_hooks hooks = {.rcpt = policy_rcpt};
  struct smtp_server *srv = smtp_server_new(&s.cfg, &hooks, NULL, false);
  static const char in[] = "HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<fwd@x.test>\r\n"
                           "RCPT TO:<crlf@x.test>\r\nRCPT TO:<many@x.test>\r\n"
                           "RCPT TO:<weird@x.test>\r\nRCPT TO:<badenh@x.test>\r\n"
                           "RCPT TO:<nocode@x.test>\r\nRCPT TO:<code299@x.test>\r\n"
                           "RCPT TO:<code460@x.test>\r\n";
  cr_assert_eq(smtp_server_feed(srv, in, sizeof in - 1), sizeof in - 1);
  size_t n;
  const char *out = smtp_server_output(srv, &n);
  static const char want[] = GREETING "250 mx.test\r\n250 2.1.0 OK\r\n"
                                      "251 2.1.5 User not local; will forward\r\n"
                                      "550-5.7.1 bad \r\n550 5.7.1 250 injected \r\n"
                                      "450-4.2.1 1\r\n450-4.2.1 2\r\n450-4.2.1 3\r\n450-4.2.1 4\r\n"
                                      "450-4.2.1 5\r\n450-4.2.1 6\r\n450-4.2.1 7\r\n"
                                      "450 4.2.1 8 9 10\r\n"
                                      "550 5.1.1 Recipient rejected\r\n"
                                      "451 4.0.0 mismatched class\r\n"
                                      "250 2.1.5 OK\r\n250 2.1.5 OK\r\n"
                                      "550 5.1.1 Recipient rejected\r\n";
  cr_expect_eq(n, sizeof want - 1, "got:\n%.*s", (int)n, out);
  cr_expect(memcmp(out, want, n < sizeof want - 1 ? n : sizeof want - 1) == 0, "got:\n%.*s", (int)n,
            out);
  smtp_server_free(srv);
}

Test(server_order, refuses_esmtp_parameters_in_a_session_opened_with_helo) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = "HELO c\r\nMAIL FROM:<a@b.test> SIZE=10\r\nEHLO c\r\n"
                           "MAIL FROM:<a@b.test> SIZE=10\r\n";
  conv_run(&s, in, sizeof in - 1, NULL, 0, &r);
  cr_expect(strncmp(r.out.p, GREETING "250 mx.test\r\n555 ", strlen(GREETING) + 17) == 0,
            "MAIL with SIZE after HELO: %s", r.out.p);
  static const char tail[] = EHLO_REPLY "250 2.1.0 OK\r\n";
  cr_expect(r.out.len > strlen(tail) && strcmp(r.out.p + r.out.len - strlen(tail), tail) == 0,
            "MAIL with SIZE after EHLO: %s", r.out.p);
  conv_result_free(&r);
}
