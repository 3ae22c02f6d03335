/* test_command.c - RFC 5321 4.1 command lines and their ESMTP parameters. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/command.h"

#define ALL SMTP_EXT_ALL
#define NO_DSN (SMTP_EXT_ALL & ~SMTP_EXT_DSN)

/* One command vector: the line (no CRLF), the extensions offered, the expected reply
 * code (0 = accepted) and enhanced code, and the verb. */
struct cmd_vec {
  const char *line;
  unsigned ext;
  int code;
  const char *enh;
  enum smtp_verb verb;
  const char *about;
};

#define ACC(l, ext, verb, about)                                                                   \
  { l, ext, 0, NULL, verb, about }
#define REF(l, ext, code, enh, about)                                                              \
  { l, ext, code, enh, SMTP_VERB_UNKNOWN, about }

static const struct cmd_vec cmd_vecs[] = {
    /* verbs, 2.4 and 4.2.4 */
    ACC("NOOP", ALL, SMTP_VERB_NOOP, "NOOP"),
    ACC("noop", ALL, SMTP_VERB_NOOP, "verbs are case-insensitive"),
    ACC("NoOp", ALL, SMTP_VERB_NOOP, "mixed case verb"),
    ACC("NOOP hello there", ALL, SMTP_VERB_NOOP, "NOOP with an argument"),
    ACC("NOOP ", ALL, SMTP_VERB_NOOP, "trailing SP tolerated (4.1.1)"),
    ACC("QUIT \t ", ALL, SMTP_VERB_QUIT, "trailing white space tolerated"),
    ACC("HELP", ALL, SMTP_VERB_HELP, "HELP alone"),
    ACC("HELP MAIL", ALL, SMTP_VERB_HELP, "HELP with a topic"),
    ACC("DATA", ALL, SMTP_VERB_DATA, "DATA"),
    ACC("RSET", ALL, SMTP_VERB_RSET, "RSET"),
    ACC("QUIT", ALL, SMTP_VERB_QUIT, "QUIT"),
    ACC("STARTTLS", ALL, SMTP_VERB_STARTTLS, "STARTTLS"),
    ACC("VRFY user", ALL, SMTP_VERB_VRFY, "VRFY"),
    ACC("EXPN list", ALL, SMTP_VERB_EXPN, "EXPN"),
    REF("FOO", ALL, 500, "5.5.2", "unknown verb"),
    REF("", ALL, 500, "5.5.2", "empty line"),
    REF(" NOOP", ALL, 500, "5.5.2", "leading SP"),
    REF("NOOPX", ALL, 500, "5.5.2", "verb with a suffix"),
    REF("NOO", ALL, 500, "5.5.2", "verb prefix"),
    REF("TURN", ALL, 500, "5.5.2", "obsolete TURN"),
    REF("MAIL\tFROM:<a@b>", ALL, 501, "5.5.2", "HT between verb and argument"),
    REF("NOOP\0", ALL, 501, "5.5.2", "NUL (length 5)"),
    REF("NO\rOP", ALL, 501, "5.5.2", "bare CR in a command"),
    REF("NOOP\nQUIT", ALL, 501, "5.5.2", "bare LF in a command"),
    REF("NOOP \x7f", ALL, 501, "5.5.2", "DEL"),
    REF("DATA x", ALL, 501, "5.5.4", "DATA takes no argument (4.1.1.4)"),
    REF("RSET x", ALL, 501, "5.5.4", "RSET takes no argument (4.1.1.5)"),
    REF("QUIT now", ALL, 501, "5.5.4", "QUIT takes no argument (4.1.1.10)"),
    REF("STARTTLS x", ALL, 501, "5.5.4", "STARTTLS takes no argument (RFC 3207)"),
    REF("VRFY", ALL, 501, "5.5.4", "VRFY needs an argument"),
    REF("EXPN", ALL, 501, "5.5.4", "EXPN needs an argument"),
    /* HELO / EHLO, 4.1.1.1 */
    ACC("EHLO client.example.org", ALL, SMTP_VERB_EHLO, "EHLO with a domain"),
    ACC("ehlo x", ALL, SMTP_VERB_EHLO, "ehlo lower case"),
    ACC("EHLO [192.0.2.1]", ALL, SMTP_VERB_EHLO, "EHLO with an address literal"),
    ACC("EHLO [IPv6:2001:db8::1]", ALL, SMTP_VERB_EHLO, "EHLO with an IPv6 literal"),
    ACC("HELO client.example.org", ALL, SMTP_VERB_HELO, "HELO with a domain"),
    ACC("HELO [192.0.2.1]", ALL, SMTP_VERB_HELO, "HELO with a literal (leniency)"),
    REF("EHLO", ALL, 501, "5.5.4", "EHLO without a domain"),
    REF("HELO", ALL, 501, "5.5.4", "HELO without a domain"),
    REF("EHLO  x", ALL, 501, "5.5.4", "EHLO with two SPs"),
    REF("EHLO my_host", ALL, 501, "5.5.4", "underscore in EHLO domain"),
    REF("EHLO x.org junk", ALL, 501, "5.5.4", "text after the EHLO domain"),
    REF("EHLO [300.1.1.1]", ALL, 501, "5.5.4", "bad literal in EHLO"),
    REF("EHLO -x.org", ALL, 501, "5.5.4", "label starting with hyphen"),
    REF("EHLO b\xc3\xbc"
        "cher.de",
        ALL, 501, "5.5.4", "U-label in EHLO"),
    /* MAIL, 4.1.1.2 */
    ACC("MAIL FROM:<a@b.org>", ALL, SMTP_VERB_MAIL, "MAIL FROM"),
    ACC("mail from:<a@b.org>", ALL, SMTP_VERB_MAIL, "MAIL FROM: case-insensitive"),
    ACC("MAIL From:<>", ALL, SMTP_VERB_MAIL, "null reverse-path"),
    ACC("MAIL FROM: <a@b.org>", ALL, SMTP_VERB_MAIL, "one SP after the colon (leniency)"),
    ACC("MAIL FROM:<@r.org:a@b.org>", ALL, SMTP_VERB_MAIL, "source route"),
    ACC("MAIL FROM:<a@b.org> SIZE=1000", ALL, SMTP_VERB_MAIL, "SIZE"),
    ACC("MAIL FROM:<a@b.org> SIZE=0", ALL, SMTP_VERB_MAIL, "SIZE zero"),
    ACC("MAIL FROM:<a@b.org> size=12345678901234567890", ALL, SMTP_VERB_MAIL, "20-digit SIZE"),
    ACC("MAIL FROM:<a@b.org> BODY=8BITMIME", ALL, SMTP_VERB_MAIL, "BODY=8BITMIME"),
    ACC("MAIL FROM:<a@b.org> BODY=7bit", ALL, SMTP_VERB_MAIL, "BODY=7BIT any case"),
    ACC("MAIL FROM:<a@b.org> BODY=BINARYMIME", ALL, SMTP_VERB_MAIL, "BODY=BINARYMIME"),
    ACC("MAIL FROM:<j\xc3\xb6rg@b.org> SMTPUTF8", ALL, SMTP_VERB_MAIL, "UTF-8 with SMTPUTF8"),
    ACC("MAIL FROM:<a@b.org> RET=HDRS ENVID=QQ314159", ALL, SMTP_VERB_MAIL, "RET and ENVID"),
    ACC("MAIL FROM:<a@b.org> ENVID=a+2Bb", ALL, SMTP_VERB_MAIL, "ENVID with hexchar"),
    ACC("MAIL FROM:<a@b.org> AUTH=<>", ALL, SMTP_VERB_MAIL, "AUTH=<>"),
    ACC("MAIL FROM:<a@b.org> AUTH=e+3Dmc2@example.com", ALL, SMTP_VERB_MAIL, "AUTH=xtext"),
    ACC("MAIL FROM:<a@b.org> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=FULL", ALL, SMTP_VERB_MAIL,
        "four parameters"),
    REF("MAIL", ALL, 501, "5.5.4", "MAIL alone"),
    REF("MAIL FROM:", ALL, 501, "5.5.4", "MAIL FROM: without a path"),
    REF("MAIL FROM <a@b.org>", ALL, 501, "5.5.4", "no colon"),
    REF("MAIL FROM:  <a@b.org>", ALL, 501, "5.5.4", "two SPs after the colon"),
    REF("MAIL TO:<a@b.org>", ALL, 501, "5.5.4", "MAIL TO:"),
    REF("MAIL FROM:a@b.org", ALL, 501, "5.5.4", "path without brackets"),
    REF("MAIL FROM:<a@b.org", ALL, 501, "5.1.7", "unclosed path"),
    REF("MAIL FROM:<a b@b.org>", ALL, 501, "5.1.7", "space in the local part"),
    REF("MAIL FROM:<a@b.org>SIZE=1", ALL, 501, "5.1.7", "no SP before parameters"),
    REF("MAIL FROM:<postmaster>", ALL, 501, "5.1.7", "bare postmaster is not a sender"),
    REF("MAIL FROM:<j\xc3\xb6rg@b.org>", ALL, 553, "5.6.7", "UTF-8 without SMTPUTF8 param"),
    REF("MAIL FROM:<j\xc3\xb6rg@b.org> SMTPUTF8", NO_DSN & ~SMTP_EXT_SMTPUTF8, 553, "5.6.7",
        "UTF-8 when SMTPUTF8 is not offered"),
    REF("MAIL FROM:<a@b.org> SIZE=", ALL, 501, "5.5.4", "empty value"),
    REF("MAIL FROM:<a@b.org> SIZE", ALL, 501, "5.5.4", "SIZE without value"),
    REF("MAIL FROM:<a@b.org> SIZE=1x", ALL, 501, "5.5.4", "SIZE not digits"),
    REF("MAIL FROM:<a@b.org> SIZE=-1", ALL, 501, "5.5.4", "SIZE negative"),
    REF("MAIL FROM:<a@b.org> SIZE=123456789012345678901", ALL, 501, "5.5.4", "21-digit SIZE"),
    REF("MAIL FROM:<a@b.org> SIZE=1 SIZE=2", ALL, 501, "5.5.4", "duplicate SIZE"),
    REF("MAIL FROM:<a@b.org> SIZE=1 size=2", ALL, 501, "5.5.4", "duplicate in other case"),
    REF("MAIL FROM:<a@b.org>  SIZE=1", ALL, 501, "5.5.4", "two SPs before a parameter"),
    REF("MAIL FROM:<a@b.org> SIZE=1  BODY=7BIT", ALL, 501, "5.5.4", "two SPs between"),
    REF("MAIL FROM:<a@b.org> =1", ALL, 501, "5.5.4", "empty keyword"),
    REF("MAIL FROM:<a@b.org> -X=1", ALL, 501, "5.5.4", "keyword starting with hyphen"),
    REF("MAIL FROM:<a@b.org> X=a=b", ALL, 501, "5.5.4", "'=' in a value"),
    REF("MAIL FROM:<a@b.org> X=\xc3\xa9", ALL & ~SMTP_EXT_SMTPUTF8, 501, "5.5.4",
        "8-bit value without SMTPUTF8"),
    REF("MAIL FROM:<a@b.org> X=\xc3\xa9", ALL, 555, "5.5.4", "UTF-8 value (RFC 6531 3.3)"),
    REF("MAIL FROM:<a@b.org> X=\xc3", ALL, 501, "5.5.4", "truncated UTF-8 value"),
    REF("MAIL FROM:<a@b.org> ENVID=\xc3\xa9", ALL, 501, "5.5.4", "ENVID is ASCII xtext"),
    REF("MAIL FROM:<a@b.org> FOO=bar", ALL, 555, "5.5.4", "unknown parameter (4.1.1.11)"),
    REF("MAIL FROM:<a@b.org> XFOO", ALL, 555, "5.5.4", "unknown bare keyword"),
    REF("MAIL FROM:<a@b.org> SIZE=1", ALL & ~SMTP_EXT_SIZE, 555, "5.5.4", "SIZE not offered"),
    REF("MAIL FROM:<a@b.org> BODY=8BITMIME", SMTP_EXT_SIZE, 555, "5.5.4", "8BITMIME not offered"),
    REF("MAIL FROM:<a@b.org> BODY=BINARYMIME", ALL & ~SMTP_EXT_BINARYMIME, 555, "5.5.4",
        "BINARYMIME not offered"),
    REF("MAIL FROM:<a@b.org> BODY=9BIT", ALL, 501, "5.5.4", "unknown BODY value"),
    REF("MAIL FROM:<a@b.org> SMTPUTF8=yes", ALL, 501, "5.5.4", "SMTPUTF8 with a value"),
    REF("MAIL FROM:<a@b.org> SMTPUTF8", ALL & ~SMTP_EXT_SMTPUTF8, 555, "5.5.4",
        "SMTPUTF8 not offered"),
    REF("MAIL FROM:<a@b.org> RET=FULL", NO_DSN, 555, "5.5.4", "RET without DSN (RFC 3461)"),
    REF("MAIL FROM:<a@b.org> RET=ALL", ALL, 501, "5.5.4", "bad RET value"),
    REF("MAIL FROM:<a@b.org> ENVID=a+2b", ALL, 501, "5.5.4", "lower-case hexchar"),
    REF("MAIL FROM:<a@b.org> ENVID=a+", ALL, 501, "5.5.4", "truncated hexchar"),
    REF("MAIL FROM:<a@b.org> NOTIFY=NEVER", ALL, 555, "5.5.4", "NOTIFY belongs to RCPT"),
    REF("MAIL FROM:<a@b.org> AUTH=", ALL, 501, "5.5.4", "AUTH= empty"),
    REF("MAIL FROM:<a@b.org> FOO=1 SIZE=x=y", ALL, 501, "5.5.4", "syntax before unknown"),
    REF("MAIL FROM:<a@b.org> FOO=1 SIZE=x", ALL, 555, "5.5.4", "unknown before bad value"),
    /* RCPT, 4.1.1.3 */
    ACC("RCPT TO:<a@b.org>", ALL, SMTP_VERB_RCPT, "RCPT TO"),
    ACC("rcpt to:<a@b.org>", ALL, SMTP_VERB_RCPT, "RCPT TO: case-insensitive"),
    ACC("RCPT TO: <a@b.org>", ALL, SMTP_VERB_RCPT, "one SP after the colon (leniency)"),
    ACC("RCPT TO:<Postmaster>", ALL, SMTP_VERB_RCPT, "bare postmaster (4.5.1)"),
    ACC("RCPT TO:<postmaster@b.org>", ALL, SMTP_VERB_RCPT, "postmaster at a domain"),
    ACC("RCPT TO:<@r.org,@s.org:a@b.org>", ALL, SMTP_VERB_RCPT, "source route"),
    ACC("RCPT TO:<a@b.org> NOTIFY=SUCCESS,FAILURE", ALL, SMTP_VERB_RCPT, "NOTIFY list"),
    ACC("RCPT TO:<a@b.org> NOTIFY=delay", ALL, SMTP_VERB_RCPT, "NOTIFY any case"),
    ACC("RCPT TO:<a@b.org> NOTIFY=NEVER ORCPT=rfc822;a+40b.org", ALL, SMTP_VERB_RCPT,
        "NOTIFY and ORCPT"),
    ACC("RCPT TO:<j\xc3\xb6rg@b.org>", ALL, SMTP_VERB_RCPT, "UTF-8 recipient (engine checks)"),
    REF("RCPT TO:<>", ALL, 501, "5.1.3", "null forward-path"),
    REF("RCPT TO:", ALL, 501, "5.5.4", "RCPT TO: alone"),
    REF("RCPT FROM:<a@b.org>", ALL, 501, "5.5.4", "RCPT FROM:"),
    REF("RCPT TO:<a@b..org>", ALL, 501, "5.1.3", "bad recipient"),
    REF("RCPT TO:<j\xc3\xb6rg@b.org>", ALL & ~SMTP_EXT_SMTPUTF8, 553, "5.6.7",
        "UTF-8 recipient without SMTPUTF8"),
    REF("RCPT TO:<a@b.org> NOTIFY=NEVER,SUCCESS", ALL, 501, "5.5.4", "NEVER is alone"),
    REF("RCPT TO:<a@b.org> NOTIFY=SUCCESS,SUCCESS", ALL, 501, "5.5.4", "repeated word"),
    REF("RCPT TO:<a@b.org> NOTIFY=SUCCESS,", ALL, 501, "5.5.4", "trailing comma"),
    REF("RCPT TO:<a@b.org> NOTIFY=SOMETIMES", ALL, 501, "5.5.4", "unknown NOTIFY word"),
    REF("RCPT TO:<a@b.org> NOTIFY=NEVER", NO_DSN, 555, "5.5.4", "NOTIFY without DSN"),
    REF("RCPT TO:<a@b.org> ORCPT=rfc822", ALL, 501, "5.5.4", "ORCPT without ';'"),
    REF("RCPT TO:<a@b.org> ORCPT=;a@b", ALL, 501, "5.5.4", "ORCPT without addr-type"),
    REF("RCPT TO:<a@b.org> SIZE=1", ALL, 555, "5.5.4", "SIZE belongs to MAIL"),
    /* AUTH, RFC 4954 4 */
    ACC("AUTH PLAIN", ALL, SMTP_VERB_AUTH, "AUTH mechanism"),
    ACC("AUTH PLAIN AHVzZXIAcGFzcw==", ALL, SMTP_VERB_AUTH, "AUTH initial response"),
    ACC("AUTH PLAIN =", ALL, SMTP_VERB_AUTH, "AUTH empty initial response"),
    ACC("AUTH SCRAM-SHA-256", ALL, SMTP_VERB_AUTH, "mechanism with hyphens"),
    REF("AUTH", ALL, 501, "5.5.2", "AUTH without mechanism"),
    REF("AUTH PL@IN", ALL, 501, "5.5.2", "bad mechanism character"),
    REF("AUTH ABCDEFGHIJKLMNOPQRSTU", ALL, 501, "5.5.2", "21-character mechanism"),
    REF("AUTH PLAIN AHVz ZXI=", ALL, 501, "5.5.2", "SP inside the response"),
    REF("AUTH PLAIN A*B=", ALL, 501, "5.5.2", "non-base64 response"),
    REF("AUTH  PLAIN", ALL, 501, "5.5.2", "two SPs"),
    /* BDAT, RFC 3030 2 */
    ACC("BDAT 1000", ALL, SMTP_VERB_BDAT, "BDAT size"),
    ACC("BDAT 0 LAST", ALL, SMTP_VERB_BDAT, "BDAT 0 LAST"),
    ACC("bdat 10 last", ALL, SMTP_VERB_BDAT, "BDAT any case"),
    ACC("BDAT 18446744073709551615", ALL, SMTP_VERB_BDAT, "largest 64-bit size"),
    REF("BDAT", ALL, 501, "5.5.4", "BDAT without size"),
    REF("BDAT LAST", ALL, 501, "5.5.4", "BDAT LAST without size"),
    REF("BDAT 10 FIRST", ALL, 501, "5.5.4", "unknown end marker"),
    REF("BDAT 10 LAST x", ALL, 501, "5.5.4", "text after LAST"),
    REF("BDAT -1", ALL, 501, "5.5.4", "negative size"),
    REF("BDAT 1x", ALL, 501, "5.5.4", "size with a letter"),
    REF("BDAT 18446744073709551616", ALL, 501, "5.5.4", "size over 64 bits"),
};

/* cmd_len - a vector's length (one holds a NUL). */
static size_t cmd_len(const struct cmd_vec *v) {
  return strcmp(v->about, "NUL (length 5)") == 0 ? 5 : strlen(v->line);
}

Test(command_parse, accepts_and_refuses_each_line_with_the_right_reply) {
  for (size_t i = 0; i < sizeof cmd_vecs / sizeof cmd_vecs[0]; i++) {
    const struct cmd_vec *v = &cmd_vecs[i];
    size_t n = cmd_len(v);
    const char *in = guard_copy(v->line, n);
    struct smtp_command c;
    struct smtp_command_error err = {0, NULL, NULL};
    int r = smtp_command_parse(in, n, v->ext, &c, &err);
    if (v->code == 0) {
      cr_expect_eq(r, 0, "%s: refused with %d %s %s", v->about, err.code,
                   err.enhanced ? err.enhanced : "", err.text ? err.text : "");
      cr_expect_eq(c.verb, v->verb, "%s: verb %d", v->about, c.verb);
    } else {
      cr_expect_eq(r, -1, "%s: accepted", v->about);
      cr_expect_eq(err.code, v->code, "%s: code %d, want %d", v->about, err.code, v->code);
      cr_expect(err.enhanced != NULL && strcmp(err.enhanced, v->enh) == 0,
                "%s: enhanced %s, want %s", v->about, err.enhanced ? err.enhanced : "(null)",
                v->enh);
      cr_expect(err.text != NULL && err.text[0] != '\0', "%s: no text", v->about);
    }
    guard_free_all();
  }
}

Test(command_parse, never_reads_past_the_end_of_any_truncated_line) {
  for (size_t i = 0; i < sizeof cmd_vecs / sizeof cmd_vecs[0]; i++) {
    const struct cmd_vec *v = &cmd_vecs[i];
    size_t n = cmd_len(v);
    for (size_t k = 0; k < n; k++) {
      const char *in = guard_copy(v->line, k);
      struct smtp_command c;
      struct smtp_command_error err;
      int r = smtp_command_parse(in, k, v->ext, &c, &err);
      cr_expect(r == 0 || r == -1);
      guard_free_all();
    }
  }
}

/* parse_ok - parse a line that must be accepted, through a guard copy. */
static const char *parse_ok(const char *line, unsigned ext, struct smtp_command *c) {
  size_t n = strlen(line);
  const char *in = guard_copy(line, n);
  struct smtp_command_error err = {0, NULL, NULL};
  cr_assert_eq(smtp_command_parse(in, n, ext, c, &err), 0, "%s: %d %s", line, err.code,
               err.text ? err.text : "");
  return in;
}

Test(command_parse, decodes_mail_parameters_into_their_fields) {
  struct smtp_command c;
  const char *in = parse_ok("MAIL FROM:<a@b.org> SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS "
                            "ENVID=QQ314159",
                            ALL, &c);
  cr_expect_eq(c.verb, SMTP_VERB_MAIL);
  cr_expect(c.path.local == in + 11 && c.path.local_len == 1);
  cr_expect(c.path.domain_len == 5 && memcmp(c.path.domain, "b.org", 5) == 0);
  cr_expect(c.has_size && c.size == 1000);
  cr_expect_eq(c.body, SMTP_BODY_8BITMIME);
  cr_expect(c.smtputf8);
  cr_expect_eq(c.ret, SMTP_RET_HDRS);
  cr_expect(c.envid_len == 8 && memcmp(c.envid, "QQ314159", 8) == 0);
  cr_expect_eq(c.nparams, 5);
  cr_expect(c.params[0].key_len == 4 && memcmp(c.params[0].key, "SIZE", 4) == 0);
  cr_expect(c.params[2].value == NULL, "SMTPUTF8 has no value");
  cr_expect(c.params[4].value_len == 8);
  guard_free_all();
}

Test(command_parse, saturates_a_size_beyond_64_bits_so_the_server_answers_552) {
  struct smtp_command c;
  parse_ok("MAIL FROM:<a@b.org> SIZE=99999999999999999999", ALL, &c);
  cr_expect(c.has_size && c.size == UINT64_MAX);
  parse_ok("MAIL FROM:<a@b.org> SIZE=18446744073709551615", ALL, &c);
  cr_expect(c.size == UINT64_MAX);
  parse_ok("MAIL FROM:<a@b.org> SIZE=00000000000000000007", ALL, &c);
  cr_expect(c.size == 7);
  guard_free_all();
}

Test(command_parse, decodes_rcpt_notify_and_orcpt) {
  struct smtp_command c;
  parse_ok("RCPT TO:<a@b.org> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+40b.org", ALL, &c);
  cr_expect_eq(c.notify, SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_DELAY);
  cr_expect(c.orcpt_len == 16 && memcmp(c.orcpt, "rfc822;a+40b.org", 16) == 0);
  parse_ok("RCPT TO:<POSTMASTER>", ALL, &c);
  cr_expect(c.path.is_postmaster);
  parse_ok("RCPT TO:<a@b.org> NOTIFY=never", ALL, &c);
  cr_expect_eq(c.notify, SMTP_NOTIFY_NEVER);
  guard_free_all();
}

Test(command_parse, gives_hello_verify_and_help_their_argument) {
  struct smtp_command c;
  const char *in = parse_ok("EHLO client.example.org  ", ALL, &c);
  cr_expect(c.arg == in + 5 && c.arg_len == 18, "trailing SPs are not part of the domain");
  in = parse_ok("VRFY Smith", ALL, &c);
  cr_expect(c.arg == in + 5 && c.arg_len == 5);
  parse_ok("HELP", ALL, &c);
  cr_expect(c.arg == NULL && c.arg_len == 0);
  parse_ok("MAIL FROM:<>", ALL, &c);
  cr_expect(c.path.is_null);
  guard_free_all();
}

Test(command_parse, splits_auth_mechanism_and_initial_response) {
  struct smtp_command c;
  const char *in = parse_ok("AUTH PLAIN AHVzZXIAcGFzcw==", ALL, &c);
  cr_expect(c.auth_mech == in + 5 && c.auth_mech_len == 5);
  cr_expect(c.auth_initial == in + 11 && c.auth_initial_len == 16);
  parse_ok("AUTH LOGIN", ALL, &c);
  cr_expect(c.auth_initial == NULL);
  in = parse_ok("AUTH PLAIN =", ALL, &c);
  cr_expect(c.auth_initial == in + 11 && c.auth_initial_len == 0, "'=' is an empty response");
  guard_free_all();
}

Test(command_parse, reads_bdat_size_and_last) {
  struct smtp_command c;
  parse_ok("BDAT 86 LAST", ALL, &c);
  cr_expect(c.bdat_size == 86 && c.bdat_last);
  parse_ok("BDAT 18446744073709551615", ALL, &c);
  cr_expect(c.bdat_size == UINT64_MAX && !c.bdat_last);
  guard_free_all();
}

Test(command_parse, refuses_a_seventeenth_parameter) {
  char line[512];
  size_t n = (size_t)snprintf(line, sizeof line, "MAIL FROM:<a@b.org>");
  for (int i = 0; i < 17; i++)
    n += (size_t)snprintf(line + n, sizeof line - n, " X%d=1", i);
  const char *in = guard_copy(line, n);
  struct smtp_command c;
  struct smtp_command_error err;
  cr_expect_eq(smtp_command_parse(in, n, ALL, &c, &err), -1);
  cr_expect_eq(err.code, 501, "too many parameters is a 501 before any is looked up (555)");
  guard_free_all();
}

Test(command_parse, names_every_verb_in_upper_case) {
  cr_expect_str_eq(smtp_verb_name(SMTP_VERB_MAIL), "MAIL");
  cr_expect_str_eq(smtp_verb_name(SMTP_VERB_STARTTLS), "STARTTLS");
  cr_expect_str_eq(smtp_verb_name(SMTP_VERB_UNKNOWN), "");
  cr_expect_str_eq(smtp_verb_name(SMTP_VERB_COUNT), "");
  for (int v = 1; v < SMTP_VERB_COUNT; v++) {
    const char *name = smtp_verb_name((enum smtp_verb)v);
    struct smtp_command c;
    struct smtp_command_error err;
    smtp_command_parse(name, strlen(name), ALL, &c, &err);
    cr_expect_eq(c.verb, (enum smtp_verb)v, "%s parses back to itself", name);
  }
}

/* verb_by_name - the verb whose name s[0..n) spells, ASCII letters in either case. */
static enum smtp_verb verb_by_name(const char *s, size_t n) {
  for (int v = 1; v < SMTP_VERB_COUNT; v++) {
    const char *name = smtp_verb_name((enum smtp_verb)v);
    size_t i = 0;
    if (strlen(name) != n)
      continue;
    while (i < n && (s[i] == name[i] || s[i] == name[i] + ('a' - 'A')))
      i++;
    if (i == n)
      return (enum smtp_verb)v;
  }
  return SMTP_VERB_UNKNOWN;
}

Test(command_parse, knows_a_verb_only_when_each_octet_is_its_letter_in_either_case) {
  for (int v = 1; v < SMTP_VERB_COUNT; v++) {
    const char *name = smtp_verb_name((enum smtp_verb)v);
    size_t n = strlen(name);
    char line[16];
    for (size_t pos = 0; pos < n; pos++) {
      for (int c = 1; c < 256; c++) {
        memcpy(line, name, n);
        line[pos] = (char)c;
        const char *in = guard_copy(line, n);
        struct smtp_command cmd;
        struct smtp_command_error err;
        int rc = smtp_command_parse(in, n, SMTP_EXT_ALL, &cmd, &err);
        guard_free_all();
        /* Arguments decide for the verbs that need them; only the verb is checked here. */
        enum smtp_verb want = verb_by_name(line, n);
        cr_expect_eq(cmd.verb, want, "%s with %#x at %zu: verb %d", name, (unsigned)c, pos,
                     cmd.verb);
        if (want == SMTP_VERB_UNKNOWN)
          cr_expect_eq(rc, -1);
      }
    }
  }
}

Test(command_parse, refuses_a_control_octet_at_any_position_and_only_a_control_octet) {
  static const char base[] = "NOOP 0123456789abcdefghijklmnopqrstuvwxyz";
  size_t n = sizeof base - 1;
  char line[sizeof base];
  for (size_t pos = 5; pos < n; pos++) {
    for (int c = 0; c < 256; c++) {
      memcpy(line, base, n);
      line[pos] = (char)c;
      /* Trailing SP / HT is trimmed before the check (4.1.1), so HT is content only inside. */
      const char *in = guard_copy(line, n);
      struct smtp_command cmd;
      struct smtp_command_error err;
      int rc = smtp_command_parse(in, n, SMTP_EXT_ALL, &cmd, &err);
      guard_free_all();
      bool control = (c < 0x20 || c == 0x7f) && !(c == '\t' && pos == n - 1);
      if (control)
        cr_expect(rc == -1 && err.code == 501 && strcmp(err.enhanced, "5.5.2") == 0,
                  "%#x at %zu: rc %d", (unsigned)c, pos, rc);
      else
        cr_expect_eq(rc, 0, "%#x at %zu refused", (unsigned)c, pos);
    }
  }
}

/* Lines of every kind the parser accepts, each octet of them checked by a different rule:
 * verbs, domains, literals, paths (atext, quoted, UTF-8, routes), keywords, values,
 * xtext, NOTIFY words, SASL names and base64, BDAT, and the arguments nobody parses. */
static const char *const accepted_lines[] = {
    "EHLO client.example.org",
    "HELO [192.0.2.1]",
    "EHLO [IPv6:2001:db8::1]",
    "EHLO [x-tag:some!content]",
    "MAIL FROM:<a.b@c.example> SIZE=10 BODY=8BITMIME RET=HDRS ENVID=a+2Bb AUTH=<>",
    "MAIL FROM: <\"q s\\\"\"@b.org>",
    "MAIL FROM:<>",
    "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc.org> SMTPUTF8",
    "RCPT TO:<@r.org,@s.org:x@[192.0.2.1]> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+40b",
    "RCPT TO:<Postmaster>",
    "AUTH SCRAM-SHA-1 AHVzZXIAcGFzcw==",
    "BDAT 10 LAST",
    "STARTTLS",
    "VRFY x y",
    "HELP me",
    "NOOP x",
};

Test(command_parse, refuses_a_control_octet_anywhere_in_any_kind_of_command) {
  for (size_t i = 0; i < sizeof accepted_lines / sizeof accepted_lines[0]; i++) {
    const char *base = accepted_lines[i];
    size_t n = strlen(base);
    char line[128];
    struct smtp_command cmd;
    struct smtp_command_error err;
    cr_assert(n < sizeof line);
    cr_expect_eq(smtp_command_parse(guard_copy(base, n), n, SMTP_EXT_ALL, &cmd, &err), 0,
                 "%s: refused with %d %s", base, err.code, err.text);
    guard_free_all();
    for (size_t pos = 0; pos < n; pos++) {
      for (int c = 0; c < 0x80; c++) {
        if (c == 0x20)
          c = 0x7f; /* 0x00-0x1f and DEL */
        /* A trailing HT is white space the parser trims (4.1.1), not content. */
        if (c == '\t' && pos == n - 1)
          continue;
        memcpy(line, base, n);
        line[pos] = (char)c;
        const char *in = guard_copy(line, n);
        int rc = smtp_command_parse(in, n, SMTP_EXT_ALL, &cmd, &err);
        guard_free_all();
        cr_expect(rc == -1 && err.code == 501 && strcmp(err.enhanced, "5.5.2") == 0,
                  "%s with %#x at %zu: rc %d, %d %s", base, (unsigned)c, pos, rc, err.code,
                  err.enhanced);
        cr_expect_eq(cmd.verb, SMTP_VERB_UNKNOWN, "%s with %#x at %zu: verb %d kept", base,
                     (unsigned)c, pos, cmd.verb);
      }
    }
  }
}

Test(command_parse, keeps_the_verb_of_a_refusal_that_is_not_a_control_octet) {
  static const struct {
    const char *line;
    enum smtp_verb verb;
  } refused[] = {
      {"MAIL FROM:<a b@c.org>", SMTP_VERB_MAIL},
      {"RCPT TO:<a@b.org> FOO=1", SMTP_VERB_RCPT},
      {"DATA now", SMTP_VERB_DATA},
      {"VRFY", SMTP_VERB_VRFY},
      {"STARTTLS x", SMTP_VERB_STARTTLS},
      {"NOPE", SMTP_VERB_UNKNOWN},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    size_t n = strlen(refused[i].line);
    struct smtp_command cmd;
    struct smtp_command_error err;
    cr_expect_eq(smtp_command_parse(guard_copy(refused[i].line, n), n, SMTP_EXT_ALL, &cmd, &err),
                 -1, "%s accepted", refused[i].line);
    cr_expect_eq(cmd.verb, refused[i].verb, "%s: verb %d", refused[i].line, cmd.verb);
    cr_expect(cmd.nparams == 0 && cmd.arg == NULL && cmd.path.local == NULL,
              "%s: fields left set after a refusal", refused[i].line);
    guard_free_all();
  }
}

Test(command_parse, clears_every_field_a_previous_command_set_in_the_same_struct) {
  struct smtp_command c;
  struct smtp_command_error err;
  parse_ok("MAIL FROM:<a@b.org> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=e AUTH=<>", ALL, &c);
  parse_ok("RCPT TO:<x@y.org> NOTIFY=NEVER ORCPT=rfc822;x", ALL, &c);
  cr_expect(!c.has_size && c.size == 0 && c.body == SMTP_BODY_UNSET && !c.smtputf8 &&
                c.ret == SMTP_RET_UNSET && c.envid == NULL && c.envid_len == 0,
            "MAIL's parameters survived into RCPT");
  cr_expect_eq(c.nparams, 2);
  parse_ok("AUTH PLAIN =", ALL, &c);
  cr_expect(c.nparams == 0 && c.notify == 0 && c.orcpt == NULL && c.path.local == NULL &&
                c.path.domain == NULL,
            "RCPT's fields survived into AUTH");
  parse_ok("BDAT 5 LAST", ALL, &c);
  cr_expect(c.auth_mech == NULL && c.auth_initial == NULL && c.bdat_size == 5 && c.bdat_last);
  parse_ok("NOOP", ALL, &c);
  cr_expect(c.bdat_size == 0 && !c.bdat_last && c.arg == NULL);
  const char *bad = guard_copy("MAIL FROM:<a@b.org> SIZE=1 FOO=2", 32);
  cr_expect_eq(smtp_command_parse(bad, 32, ALL, &c, &err), -1);
  cr_expect(!c.has_size && c.nparams == 0, "a refusal leaves the decoded SIZE behind");
  guard_free_all();
}
