/* test_server_data.c - message content: DATA transparency and its end (RFC 5321 4.1.1.4,
 * 4.5.2), smuggling variants (CVE-2023-51764..51766), SIZE (RFC 1870), BDAT (RFC 3030),
 * and data_end answering later (PENDING). */
#include "test_server_conv.h"

#include "smtp/data.h"

/* The start of every transaction below: EHLO, MAIL, one RCPT. */
#define TXN_IN "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<b@mx.test>\r\n"
#define TXN_OUT GREETING EHLO_REPLY "250 2.1.0 OK\r\n250 2.1.5 OK\r\n"
#define GO_AHEAD "354 End data with <CR><LF>.<CR><LF>\r\n"
#define ACCEPTED "250 2.0.0 OK: message accepted\r\n"

Test(server_data, removes_dot_stuffing_and_ends_only_at_crlf_dot_crlf) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = TXN_IN "DATA\r\n..leading dot\r\n.. \r\nline.\r\n.\r\nNOOP\r\n";
  conv_check_into(&s, in, sizeof in - 1, TXN_OUT GO_AHEAD ACCEPTED "250 2.0.0 OK\r\n", &r);
  cr_expect_str_eq(r.content.p, "<begin>.leading dot\r\n. \r\nline.\r\n<end:0>");
  conv_result_free(&r);
}

Test(server_data, passes_8bit_content_with_its_defect_bit) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = TXN_IN "DATA\r\ncaf\xc3\xa9\r\n.\r\n";
  conv_check_into(&s, in, sizeof in - 1, TXN_OUT GO_AHEAD ACCEPTED, &r);
  char want[64];
  snprintf(want, sizeof want, "<begin>caf\xc3\xa9\r\n<end:%#x>", (unsigned)SMTP_DATA_8BIT);
  cr_expect_str_eq(r.content.p, want);
  conv_result_free(&r);
}

Test(server_data, accepts_an_empty_message) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = TXN_IN "DATA\r\n.\r\n";
  conv_check_into(&s, in, sizeof in - 1, TXN_OUT GO_AHEAD ACCEPTED, &r);
  cr_expect_str_eq(r.content.p, "<begin><end:0>");
  conv_result_free(&r);
}

/* The end-of-data look-alikes public smuggling scanners send (REFERENCES.md). */
static const struct {
  const char *fake;
  size_t len;
} smuggle[] = {
#define F(s)                                                                                       \
  { s, sizeof(s) - 1 }
    F("\n.\n"),       F("\n.\r"),       F("\r.\n"),       F("\r.\r"),
    F("\n.\r\n"),     F("\r.\r\n"),     F("\r\n.\n"),     F("\r\n.\r"),
    F("\r\n\0.\r\n"), F("\r\n.\0\r\n"), F("\r\n.\r\r\n"), F("\r\r\n.\r\r\n"),
#undef F
};

Test(server_data, never_ends_a_message_at_a_smuggling_variant) {
  struct conv_setup s = conv_setup_default();
  for (size_t i = 0; i < sizeof smuggle / sizeof smuggle[0]; i++) {
    /* After the fake ending, a smuggled transaction; then the real ending. */
    char in[512];
    size_t n = 0;
    static const char head[] = TXN_IN "DATA\r\nhello";
    static const char tail[] = "MAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@mx.test>\r\nDATA\r\n"
                               "smuggled\r\n.\r\nNOOP\r\n";
    memcpy(in, head, sizeof head - 1);
    n += sizeof head - 1;
    memcpy(in + n, smuggle[i].fake, smuggle[i].len);
    n += smuggle[i].len;
    memcpy(in + n, tail, sizeof tail - 1);
    n += sizeof tail - 1;
    struct conv_result r;
    conv_check_into(&s, in, n, TXN_OUT GO_AHEAD ACCEPTED "250 2.0.0 OK\r\n", &r);
    cr_expect(strstr(r.events.p, "evil") == NULL, "variant %zu: smuggled MAIL reached a hook", i);
    cr_expect(memmem(r.content.p, r.content.len, "MAIL FROM:<evil@x.test>", 23) != NULL,
              "variant %zu: the smuggled commands are content", i);
    conv_result_free(&r);
  }
}

Test(server_data, reads_content_over_the_size_limit_to_its_end_then_answers_552) {
  struct conv_setup s = conv_setup_default();
  s.cfg.max_size = 100;
  struct conv_str in = {0};
  conv_str_addf(&in, "%s", "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n");
  for (int i = 0; i < 10; i++)
    conv_str_addf(&in, "%s", "0123456789012345678901234567890123456789\r\n");
  conv_str_addf(&in, "%s", ".\r\nMAIL FROM:<a@b.test>\r\n");
  struct conv_result r;
  conv_check_into(&s, in.p, in.len,
                  GREETING "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 100\r\n250-8BITMIME\r\n"
                           "250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n"
                           "250-BINARYMIME\r\n250-DSN\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"
                           "250 2.1.0 OK\r\n250 2.1.5 OK\r\n" GO_AHEAD
                           "552 5.3.4 Error: message size exceeds fixed maximum message size\r\n"
                           "250 2.1.0 OK\r\n",
                  &r);
  cr_expect(strstr(r.events.p, "data_end") == NULL, "an oversized message is not stored");
  cr_expect(strstr(r.events.p, "reset\n") != NULL, "the transaction ends with reset");
  conv_result_free(&r);
  conv_str_free(&in);
}

Test(server_data, sends_the_data_end_hooks_refusal) {
  struct conv_setup s = conv_setup_default();
  s.data_end_reject = true;
  CONV(&s, TXN_IN "DATA\r\nx\r\n.\r\nRCPT TO:<b@mx.test>\r\n",
       TXN_OUT GO_AHEAD "554 5.7.1 Error: message rejected\r\n"
                        "503 5.5.1 Error: need MAIL command\r\n");
}

Test(server_data, waits_for_a_pending_data_end_and_answers_after_resume) {
  struct conv_setup s = conv_setup_default();
  struct conv_result res;
  memset(&res, 0, sizeof res);
  struct conv_ctx ctx = {&s, &res};
  s.pending = CONV_PEND_DATA;
  struct smtp_server *srv = smtp_server_new(&s.cfg, &conv_hooks, &ctx, false);
  static const char in[] = TXN_IN "DATA\r\nx\r\n.\r\nNOOP\r\n";
  size_t n;
  smtp_server_output(srv, &n);
  smtp_server_output_done(srv, n);
  size_t used = smtp_server_feed(srv, in, sizeof in - 1);
  cr_expect_eq(used, sizeof in - 1 - 6, "reading stops after the end of data");
  cr_expect_eq(smtp_server_state(srv), SMTP_SERVER_PENDING);
  cr_expect_eq(smtp_server_feed(srv, in + used, 6), 0, "nothing is read while PENDING");
  const char *out = smtp_server_output(srv, &n);
  cr_expect(n >= strlen(GO_AHEAD) &&
                memcmp(out + n - strlen(GO_AHEAD), GO_AHEAD, strlen(GO_AHEAD)) == 0,
            "no reply to the content yet");
  smtp_server_output_done(srv, n);
  struct smtp_hook_reply rep = {250, "2.0.0", "OK queued as 42"};
  smtp_server_resume(srv, SMTP_HOOK_ACCEPT, &rep);
  cr_expect_eq(smtp_server_state(srv), SMTP_SERVER_RUNNING);
  cr_expect_eq(smtp_server_feed(srv, in + used, 6), 6);
  out = smtp_server_output(srv, &n);
  static const char want[] = "250 2.0.0 OK queued as 42\r\n250 2.0.0 OK\r\n";
  cr_expect_eq(n, sizeof want - 1, "%.*s", (int)n, out);
  cr_expect(memcmp(out, want, sizeof want - 1) == 0);
  cr_expect_eq(smtp_server_stats(srv)->messages, 1);
  smtp_server_free(srv);
  conv_result_free(&res);
}

Test(server_bdat, takes_chunks_octet_for_octet_and_ends_at_last) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  /* The chunks hold CRLF.CRLF and command-looking lines: BDAT has no end mark. */
  static const char in[] = TXN_IN "BDAT 13\r\nab\r\n.\r\nQUIT\r\nBDAT 5 LAST\r\nxy\r\nzNOOP\r\n";
  conv_check_into(&s, in, sizeof in - 1,
                  TXN_OUT "250 2.0.0 OK: 13 octets received\r\n" ACCEPTED "250 2.0.0 OK\r\n", &r);
  cr_expect_str_eq(r.content.p, "<begin>ab\r\n.\r\nQUIT\r\nxy\r\nz<end:0>");
  conv_result_free(&r);
}

Test(server_bdat, accepts_a_zero_octet_last_chunk) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, TXN_IN "BDAT 3\r\nabcBDAT 0 LAST\r\n",
       TXN_OUT "250 2.0.0 OK: 3 octets received\r\n" ACCEPTED);
}

Test(server_bdat, refuses_data_after_bdat_in_one_transaction) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, TXN_IN "BDAT 3\r\nabcDATA\r\nRCPT TO:<c@mx.test>\r\nBDAT 1 LAST\r\nd",
       TXN_OUT "250 2.0.0 OK: 3 octets received\r\n503 5.5.1 Error: DATA after BDAT\r\n"
               "503 5.5.1 Error: RCPT after message content\r\n" ACCEPTED);
}

Test(server_bdat, discards_the_chunk_of_a_bdat_without_recipients_and_stays_in_sync) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = "EHLO c\r\nMAIL FROM:<a@b.test>\r\nBDAT 6 LAST\r\nQUIT\r\nNOOP\r\n"
                           "BDAT 4\r\nRSET";
  conv_check_into(&s, in, sizeof in - 1,
                  GREETING EHLO_REPLY "250 2.1.0 OK\r\n554 5.5.1 Error: no valid recipients\r\n"
                                      "250 2.0.0 OK\r\n554 5.5.1 Error: no valid recipients\r\n",
                  &r);
  cr_expect_str_eq(r.content.p, "", "a refused chunk is not content");
  cr_expect_eq(r.state, SMTP_SERVER_RUNNING, "the QUIT inside the chunk was not obeyed");
  conv_result_free(&r);
}

Test(server_bdat, discards_the_chunk_of_a_bdat_without_mail) {
  struct conv_setup s = conv_setup_default();
  CONV(&s, "EHLO c\r\nBDAT 6\r\nQUIT\r\nNOOP\r\n",
       GREETING EHLO_REPLY "503 5.5.1 Error: need MAIL command\r\n250 2.0.0 OK\r\n");
}

Test(server_bdat, refuses_a_chunk_that_passes_the_size_limit_with_552) {
  struct conv_setup s = conv_setup_default();
  s.cfg.max_size = 5;
  s.cfg.extensions = SMTP_EXT_CHUNKING | SMTP_EXT_ENHANCEDSTATUSCODES | SMTP_EXT_SIZE;
  struct conv_result r;
  static const char in[] = "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<b@mx.test>\r\n"
                           "BDAT 4\r\nabcdBDAT 4 LAST\r\nefghBDAT 1 LAST\r\nx";
  conv_check_into(&s, in, sizeof in - 1,
                  GREETING "250-mx.test\r\n250-SIZE 5\r\n250-ENHANCEDSTATUSCODES\r\n"
                           "250 CHUNKING\r\n250 2.1.0 OK\r\n250 2.1.5 OK\r\n"
                           "250 2.0.0 OK: 4 octets received\r\n"
                           "552 5.3.4 Error: message size exceeds fixed maximum message size\r\n"
                           "503 5.5.1 Error: need MAIL command\r\n",
                  &r);
  cr_expect(strstr(r.events.p, "data_end") == NULL);
  conv_result_free(&r);
}

Test(server_bdat, refuses_data_for_a_binarymime_transaction) {
  struct conv_setup s = conv_setup_default();
  CONV(&s,
       "EHLO c\r\nMAIL FROM:<a@b.test> BODY=BINARYMIME\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n"
       "BDAT 2 LAST\r\n\0\xff",
       GREETING EHLO_REPLY "250 2.1.0 OK\r\n250 2.1.5 OK\r\n"
                           "503 5.5.1 Error: BINARYMIME requires BDAT\r\n" ACCEPTED);
}

Test(server_bdat, reports_the_data_phase_while_a_chunk_is_read) {
  struct conv_setup s = conv_setup_default();
  struct smtp_server *srv = smtp_server_new(&s.cfg, NULL, NULL, false);
  static const char in[] = TXN_IN "BDAT 10\r\nabc";
  cr_assert_eq(smtp_server_feed(srv, in, sizeof in - 1), sizeof in - 1);
  cr_expect_eq(smtp_server_phase(srv), SMTP_PHASE_DATA);
  cr_assert_eq(smtp_server_feed(srv, "defghij", 7), 7);
  cr_expect_eq(smtp_server_phase(srv), SMTP_PHASE_COMMAND);
  smtp_server_free(srv);
}

Test(server_bdat, reports_bare_cr_bare_lf_and_long_lines_in_chunks_as_defects) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  struct conv_str in = {0};
  /* A bare CR, a bare LF, a line of 1001 octets with its CRLF, and a CR at the very end;
   * the CR LF pair split across two chunks is not bare. */
  conv_str_addf(&in, "%s", TXN_IN "BDAT 6\r\na\rb\nc\r");
  conv_str_addf(&in, "BDAT %d\r\n\n", 1 + 1001);
  for (int i = 0; i < 999; i++)
    conv_str_add(&in, "x", 1);
  conv_str_addf(&in, "%s", "\r\nBDAT 1 LAST\r\n\r");
  conv_check_into(&s, in.p, in.len,
                  TXN_OUT "250 2.0.0 OK: 6 octets received\r\n"
                          "250 2.0.0 OK: 1008 octets received\r\n" ACCEPTED,
                  &r);
  char want[32];
  snprintf(want, sizeof want, "<end:%#x>",
           (unsigned)(SMTP_DATA_BARE_CR | SMTP_DATA_BARE_LF | SMTP_DATA_LINE_TOO_LONG));
  cr_expect(strstr(r.content.p, want) != NULL, "defects: %s", strrchr(r.content.p, '<'));
  conv_result_free(&r);
  conv_str_free(&in);
}

Test(server_bdat, reports_no_defect_for_clean_crlf_content_split_across_chunks) {
  struct conv_setup s = conv_setup_default();
  struct conv_result r;
  static const char in[] = TXN_IN "BDAT 3\r\nab\rBDAT 1 LAST\r\n\n";
  conv_check_into(&s, in, sizeof in - 1, TXN_OUT "250 2.0.0 OK: 3 octets received\r\n" ACCEPTED,
                  &r);
  cr_expect_str_eq(r.content.p, "<begin>ab\r\n<end:0>");
  conv_result_free(&r);
}
