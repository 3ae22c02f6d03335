/* smtp/line.h - find one CRLF-terminated line in a byte buffer (RFC 5321 2.3.8). */
#ifndef SMTP_LINE_H
#define SMTP_LINE_H

#include <stddef.h>

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets including CRLF. */
#define SMTP_COMMAND_LINE_MAX 512
/* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including CRLF. */
#define SMTP_TEXT_LINE_MAX 1000
/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets including CRLF. */
#define SMTP_REPLY_LINE_MAX 512

/* Defects seen inside a line (bit flags); the line is still delimited by CRLF only. */
enum smtp_line_defect {
  SMTP_LINE_BARE_CR = 1u << 0, /* a CR not followed by LF */
  SMTP_LINE_BARE_LF = 1u << 1, /* an LF not preceded by CR */
  SMTP_LINE_NUL = 1u << 2,     /* a NUL octet */
  SMTP_LINE_8BIT = 1u << 3,    /* an octet >= 0x80 */
};

/* What smtp_line_find() found. */
enum smtp_line_status {
  SMTP_LINE_COMPLETE = 0, /* a whole line ending in CRLF */
  SMTP_LINE_PARTIAL = 1,  /* no CRLF yet within max octets: need more input */
  SMTP_LINE_TOO_LONG = 2, /* max octets and no CRLF: caller must skip to the next CRLF */
};

/* One line: pointer into the caller's buffer, length without the CRLF. */
struct smtp_line {
  const char *data;
  size_t len;       /* octets before CRLF */
  size_t consumed;  /* octets including CRLF (COMPLETE), or 0 */
  unsigned defects; /* enum smtp_line_defect bits */
};

/* smtp_line_find - look for one CRLF-terminated line of at most max octets (with CRLF)
 * at the start of buf. Only CRLF ends a line; bare CR and bare LF are reported as defects
 * and kept inside the line. Never reads past buf[len-1]. */
enum smtp_line_status smtp_line_find(const char *buf, size_t len, size_t max,
                                     struct smtp_line *out);

/* smtp_line_skip - for resynchronising after an over-long line: returns the number of
 * octets up to and including the next CRLF, or 0 if buf holds no CRLF. *pending_cr
 * carries a trailing CR between calls (zero it before the first call). */
size_t smtp_line_skip(const char *buf, size_t len, int *pending_cr);

#endif
