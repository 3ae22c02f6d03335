/* line.c - CRLF line framing (RFC 5321 2.3.8): only CRLF ends a line. */
#include "smtp/line.h"

/* line_defects_of - the defect bits of one octet at position i of buf[0..n). */
static unsigned line_defects_of(const char *buf, size_t i, size_t n) {
  unsigned char c = (unsigned char)buf[i];
  unsigned d = 0;
  if (c == '\0')
    d |= SMTP_LINE_NUL;
  else if (c >= 0x80)
    d |= SMTP_LINE_8BIT;
  else if (c == '\n' && (i == 0 || buf[i - 1] != '\r'))
    d |= SMTP_LINE_BARE_LF;
  /* A CR as the last octet seen may still be completed by an LF; only a CR followed by
   * something else is bare. */
  else if (c == '\r' && i + 1 < n && buf[i + 1] != '\n')
    d |= SMTP_LINE_BARE_CR;
  return d;
}

/* smtp_line_find - RFC 5321 4.5.3.1: the line with its CRLF must fit in max octets. */
enum smtp_line_status smtp_line_find(const char *buf, size_t len, size_t max,
                                     struct smtp_line *out) {
  size_t limit = len < max ? len : max;
  unsigned defects = 0;
  size_t i;

  out->data = buf;
  out->consumed = 0;
  for (i = 0; i < limit; i++) {
    if (buf[i] == '\r' && i + 1 < limit && buf[i + 1] == '\n') {
      out->len = i;
      out->consumed = i + 2;
      out->defects = defects;
      return SMTP_LINE_COMPLETE;
    }
    defects |= line_defects_of(buf, i, limit);
  }
  out->len = limit;
  out->defects = defects;
  /* No CRLF among the first max octets: the line cannot end within the limit. */
  return len >= max ? SMTP_LINE_TOO_LONG : SMTP_LINE_PARTIAL;
}

/* smtp_line_skip - find the next CRLF, remembering a CR split across calls. */
size_t smtp_line_skip(const char *buf, size_t len, int *pending_cr) {
  if (len == 0)
    return 0;
  if (*pending_cr && buf[0] == '\n') {
    *pending_cr = 0;
    return 1;
  }
  for (size_t i = 0; i + 1 < len; i++) {
    if (buf[i] == '\r' && buf[i + 1] == '\n') {
      *pending_cr = 0;
      return i + 2;
    }
  }
  *pending_cr = buf[len - 1] == '\r';
  return 0;
}
