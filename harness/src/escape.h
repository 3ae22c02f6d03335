/* escape.h - octets made safe for a notation (reports, reasons, JSON, XML): one loop,
 * and a style per notation saying which octets are written how. */
#ifndef SMTPCHECK_ESCAPE_H
#define SMTPCHECK_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

/* How a notation writes octets. Printable ASCII (0x20-0x7e) is copied unless named says
 * otherwise; every other octet is written with numeric, unless named gives it a text or
 * (utf8) it starts a valid UTF-8 sequence, which is copied whole. */
struct escape_style {
  /* named - the text c is written as, or NULL for the default rule above. */
  const char *(*named)(unsigned char c);
  const char *numeric; /* written before the octet's two lowercase hex digits: "\\x" */
  bool keep_del;       /* 0x7f is copied as it is */
  bool utf8;           /* valid UTF-8 sequences (RFC 3629) are copied */
};

/* escape_append - append p[0..n) written in style to out; 0, or -1 when out of memory. */
int escape_append(const char *p, size_t n, const struct escape_style *style, struct sbuf *out);

/* utf8_len - the length of a valid UTF-8 sequence of 2-4 octets at p, else 0. */
size_t utf8_len(const unsigned char *p, size_t n);

#endif
