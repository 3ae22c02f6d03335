/* wire.h - wire-format checks of every server reply, and visible renderings of octets. */
#ifndef SMTPCHECK_WIRE_H
#define SMTPCHECK_WIRE_H

#include <stddef.h>

#include "smtp/reply.h"
#include "vars.h"

/* Reply defects that are protocol violations (a wire-format failure at level MUST).
 * SMTP_REPLY_NO_TEXT_SEP is allowed by RFC 5321 4.2; SMTP_REPLY_8BIT may be UTF-8 text
 * (RFC 6531 3.7.4); SMTP_REPLY_TOO_MANY_LINES is our own indexing limit. */
#define WIRE_VIOLATIONS                                                                            \
  (SMTP_REPLY_BARE_LF | SMTP_REPLY_BARE_CR | SMTP_REPLY_MIXED_CODES | SMTP_REPLY_BAD_SEPARATOR |   \
   SMTP_REPLY_LINE_TOO_LONG | SMTP_REPLY_BAD_CODE | SMTP_REPLY_NUL)

/* wire_check - 0 if r has no violation; else -1 and a reason naming every violation with
 * its RFC section, e.g. "wire format: a line ends in LF without CR (RFC 5321 2.3.8)". */
int wire_check(const struct smtp_reply *r, char *reason, size_t cap);

/* wire_rule - the RFC section and short text of one defect bit. */
const char *wire_rule(unsigned defect);

/* wire_escape - append octets with control and non-ASCII octets made visible:
 * \r \n \t \0 \\ and \xNN. */
int wire_escape(const char *p, size_t n, struct sbuf *out);

#endif
