/* wire.c - RFC 5321 wire-format rules every reply must keep, whatever a test expects. */
#include "wire.h"

#include <stdio.h>

#include "escape.h"

/* wire_rule - one defect in words, with the section that forbids it. */
const char *wire_rule(unsigned defect) {
  switch (defect) {
  case SMTP_REPLY_BARE_LF:
    return "a line ends in LF without CR (RFC 5321 2.3.8)";
  case SMTP_REPLY_BARE_CR:
    return "a bare CR inside a line (RFC 5321 2.3.8)";
  case SMTP_REPLY_MIXED_CODES:
    return "lines of one reply carry different codes (RFC 5321 4.2.1)";
  case SMTP_REPLY_BAD_SEPARATOR:
    return "the code is followed by neither '-' nor SP (RFC 5321 4.2)";
  case SMTP_REPLY_LINE_TOO_LONG:
    return "a reply line longer than 512 octets (RFC 5321 4.5.3.1.5)";
  case SMTP_REPLY_BAD_CODE:
    return "a line without a valid reply code (RFC 5321 4.2)";
  case SMTP_REPLY_NUL:
    return "a NUL octet in the reply text (RFC 5321 4.2)";
  default:
    return "unknown defect";
  }
}

/* wire_check - name every violation, in bit order. */
int wire_check(const struct smtp_reply *r, char *reason, size_t cap) {
  unsigned bad = r->defects & WIRE_VIOLATIONS;
  if (!bad)
    return 0;
  size_t pos = (size_t)snprintf(reason, cap, "wire format:");
  const char *sep = " ";
  for (unsigned bit = 1; bit && bit <= bad; bit <<= 1) {
    if (!(bad & bit) || pos >= cap)
      continue;
    pos += (size_t)snprintf(reason + pos, cap - pos, "%s%s", sep, wire_rule(bit));
    sep = "; ";
  }
  return -1;
}

/* wire_named - C-like names for the octets a transcript shows most. */
static const char *wire_named(unsigned char c) {
  switch (c) {
  case '\r':
    return "\\r";
  case '\n':
    return "\\n";
  case '\t':
    return "\\t";
  case '\0':
    return "\\0";
  case '\\':
    return "\\\\";
  default:
    return NULL;
  }
}

/* wire_escape - visible form of octets for reports and reasons; never leaves out->p NULL
 * (callers print it). */
int wire_escape(const char *p, size_t n, struct sbuf *out) {
  static const struct escape_style style = {.named = wire_named, .numeric = "\\x"};
  if (sbuf_reserve(out, 0) < 0)
    return -1;
  return escape_append(p, n, &style, out);
}
