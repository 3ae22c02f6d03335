/* listen_checks.h - the catalogue of client requirements `smtpcheck listen` grades, and a
 * session's verdict on each (pass, fail with a reason, or not exercised). */
#ifndef SMTPCHECK_LISTEN_CHECKS_H
#define SMTPCHECK_LISTEN_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "script.h"

/* Every check, in report order. */
enum listen_check {
  LC_GREETING_WAIT,      /* no command before the greeting */
  LC_GREETING_554,       /* after a 554 greeting, only QUIT */
  LC_HELLO_FIRST,        /* EHLO or HELO before MAIL */
  LC_EHLO_USED,          /* EHLO rather than HELO */
  LC_EHLO_DOMAIN,        /* the EHLO/HELO argument is a domain or address literal */
  LC_EHLO_REFUSED,       /* after EHLO is refused: HELO or QUIT */
  LC_COMMAND_SYNTAX,     /* every command line parses */
  LC_COMMAND_CRLF,       /* command lines end in CRLF, no bare CR or LF */
  LC_COMMAND_LENGTH,     /* command lines at most 512 octets */
  LC_EXT_OFFERED,        /* extensions (parameters, verbs) only when offered */
  LC_PIPELINING_OFFERED, /* no command before the previous reply without PIPELINING */
  LC_PIPELINING_GROUPS,  /* with PIPELINING, only where RFC 2920 3.1 allows */
  LC_MULTILINE_WAIT,     /* a multi-line reply is read to its last line */
  LC_MAIL_REFUSED,       /* no RCPT/DATA after the MAIL was refused */
  LC_RCPT_REFUSED,       /* no DATA when every RCPT was refused */
  LC_DATA_REFUSED,       /* no message content when DATA was not answered 354 */
  LC_NO_REPEAT_5XX,      /* a command refused with 5xx is not repeated as is */
  LC_DATA_CRLF,          /* message lines end in CRLF, no bare CR or LF */
  LC_DATA_LINE_LENGTH,   /* message lines at most 1000 octets */
  LC_DOT_STUFFING,       /* a leading '.' is doubled */
  LC_DATA_8BIT,          /* 8-bit content only with BODY=8BITMIME */
  LC_STARTTLS_REFUSED,   /* no TLS handshake after STARTTLS was refused */
  LC_EHLO_AFTER_TLS,     /* EHLO again after STARTTLS */
  LC_AUTH_CLEAR,         /* no AUTH over a connection without TLS */
  LC_QUIT_SENT,          /* the session ends with QUIT */
  LC_QUIT_WAIT,          /* the client reads the reply to QUIT before closing */
  LC_COUNT
};

/* One catalogue entry. */
struct listen_check_info {
  const char *id;  /* "greeting-wait" */
  const char *ref; /* "RFC5321 3.1" */
  enum script_level level;
  const char *about; /* one sentence, as the text report shows it */
};

/* listen_check_info - the catalogue entry of c. */
const struct listen_check_info *listen_check_info(enum listen_check c);

/* The state of one check in one session. */
enum listen_verdict { LV_UNSEEN = 0, LV_PASS, LV_FAIL };

/* A session's verdicts. */
struct listen_verdicts {
  enum listen_verdict v[LC_COUNT];
  char reason[LC_COUNT][256]; /* the first failure's reason, or why it was not exercised */
};

/* listen_pass - the check was exercised and held (a failure is never undone). */
void listen_pass(struct listen_verdicts *vs, enum listen_check c);

/* listen_fail - the check failed; the first reason is kept. */
void listen_fail(struct listen_verdicts *vs, enum listen_check c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* listen_not_exercised - say why an unseen check was skipped (kept only while unseen). */
void listen_not_exercised(struct listen_verdicts *vs, enum listen_check c, const char *why);

#endif
