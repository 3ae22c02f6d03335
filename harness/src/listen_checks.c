/* listen_checks.c - the client requirements `smtpcheck listen` grades, each with the RFC
 * section that states it, and the verdict bookkeeping of one session. */
#include "listen_checks.h"

#include <stdarg.h>
#include <stdio.h>

static const struct listen_check_info catalogue[LC_COUNT] = {
    [LC_GREETING_WAIT] = {"greeting-wait", "RFC5321 3.1", LEVEL_SHOULD,
                          "the client waits for the greeting before its first command"},
    [LC_GREETING_554] = {"greeting-554-quit", "RFC5321 3.1", LEVEL_SHOULD,
                         "after a 554 greeting the client sends only QUIT"},
    [LC_HELLO_FIRST] = {"hello-before-mail", "RFC5321 4.1.4", LEVEL_MUST,
                        "the client sends EHLO or HELO before MAIL"},
    [LC_EHLO_USED] = {"ehlo-used", "RFC5321 2.2.1", LEVEL_SHOULD,
                      "the client opens with EHLO rather than HELO"},
    [LC_EHLO_DOMAIN] = {"ehlo-domain", "RFC5321 4.1.1.1", LEVEL_MUST,
                        "the EHLO/HELO argument is a domain name or an address literal"},
    [LC_EHLO_REFUSED] = {"ehlo-refused-fallback", "RFC5321 4.1.4", LEVEL_SHOULD,
                         "after EHLO is refused the client falls back to HELO or quits"},
    [LC_COMMAND_SYNTAX] = {"command-syntax", "RFC5321 4.1", LEVEL_MUST,
                           "every command line the client sends follows the RFC 5321 grammar"},
    [LC_COMMAND_CRLF] = {"command-crlf", "RFC5321 2.3.8", LEVEL_MUST,
                         "command lines end in CRLF, with no bare CR or LF"},
    [LC_COMMAND_LENGTH] = {"command-line-length", "RFC5321 4.5.3.1.4", LEVEL_MUST,
                           "command lines are at most 512 octets including CRLF"},
    [LC_EXT_OFFERED] = {"extension-offered", "RFC5321 2.2.1", LEVEL_MUST,
                        "the client uses only the extensions the server offered"},
    [LC_PIPELINING_OFFERED] = {"no-unoffered-pipelining", "RFC2920 3", LEVEL_MUST,
                               "without PIPELINING the client waits for each reply"},
    [LC_PIPELINING_GROUPS] = {"pipelining-groups", "RFC2920 3.1", LEVEL_MUST,
                              "with PIPELINING the client waits after EHLO, DATA, VRFY, EXPN, "
                              "NOOP, QUIT, STARTTLS and AUTH"},
    [LC_MULTILINE_WAIT] = {"multiline-reply-read", "RFC5321 4.2.1", LEVEL_MUST,
                           "the client reads a multi-line reply up to its last line"},
    [LC_MAIL_REFUSED] = {"mail-refused-reaction", "RFC5321 3.3", LEVEL_MUST,
                         "after MAIL is refused the client sends no RCPT or DATA for it"},
    [LC_RCPT_REFUSED] = {"rcpt-all-refused-reaction", "RFC5321 3.3", LEVEL_SHOULD,
                         "when every RCPT was refused the client does not send DATA"},
    [LC_DATA_REFUSED] = {"data-refused-reaction", "RFC2920 3.1", LEVEL_MUST,
                         "when DATA is not answered 354 the client sends no message content"},
    [LC_NO_REPEAT_5XX] = {"no-repeat-after-5xx", "RFC5321 4.2.1", LEVEL_SHOULD,
                          "a command refused with 5yz is not repeated as is in the session"},
    [LC_DATA_CRLF] = {"data-crlf", "RFC5321 2.3.8", LEVEL_MUST,
                      "message lines end in CRLF, with no bare CR or LF"},
    [LC_DATA_LINE_LENGTH] = {"data-line-length", "RFC5321 4.5.3.1.6", LEVEL_MUST,
                             "message lines are at most 1000 octets including CRLF"},
    [LC_DOT_STUFFING] = {"dot-stuffing", "RFC5321 4.5.2", LEVEL_MUST,
                         "a message line that starts with '.' is sent with one more '.'"},
    [LC_DATA_8BIT] = {"data-8bit-declared", "RFC6152 3", LEVEL_MUST,
                      "8-bit message content is sent only with BODY=8BITMIME"},
    [LC_STARTTLS_REFUSED] = {"starttls-refused-reaction", "RFC3207 4", LEVEL_MUST,
                             "after STARTTLS is refused the client does not start TLS"},
    [LC_EHLO_AFTER_TLS] = {"ehlo-after-starttls", "RFC3207 4.2", LEVEL_SHOULD,
                           "the first command after the TLS handshake is EHLO"},
    [LC_AUTH_CLEAR] = {"no-auth-in-clear", "RFC4954 4", LEVEL_SHOULD,
                       "the client does not authenticate over a connection without TLS"},
    [LC_QUIT_SENT] = {"quit-sent", "RFC5321 4.1.1.10", LEVEL_MUST,
                      "the client sends QUIT before closing the connection"},
    [LC_QUIT_WAIT] = {"quit-reply-read", "RFC5321 4.1.1.10", LEVEL_SHOULD,
                      "the client reads the reply to QUIT before closing"},
};

/* listen_check_info - one entry of the catalogue. */
const struct listen_check_info *listen_check_info(enum listen_check c) {
  return &catalogue[c < LC_COUNT ? c : 0];
}

/* listen_pass - unseen becomes pass; a failure stays. */
void listen_pass(struct listen_verdicts *vs, enum listen_check c) {
  if (vs->v[c] == LV_UNSEEN) {
    vs->v[c] = LV_PASS;
    vs->reason[c][0] = '\0';
  }
}

/* listen_fail - the first failure's reason is the evidence kept. */
void listen_fail(struct listen_verdicts *vs, enum listen_check c, const char *fmt, ...) {
  if (vs->v[c] == LV_FAIL)
    return;
  vs->v[c] = LV_FAIL;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(vs->reason[c], sizeof vs->reason[c], fmt, ap);
  va_end(ap);
}

/* listen_not_exercised - the skip reason of a check nothing exercised. */
void listen_not_exercised(struct listen_verdicts *vs, enum listen_check c, const char *why) {
  if (vs->v[c] == LV_UNSEEN && !vs->reason[c][0])
    snprintf(vs->reason[c], sizeof vs->reason[c], "%s", why);
}
