/* escape.c - the one escaping loop behind wire_escape, JSON strings and XML text. */
#include "escape.h"

#include <stdio.h>
#include <string.h>

/* utf8_len - RFC 3629 4: shortest form, no surrogates, at most U+10FFFF. */
size_t utf8_len(const unsigned char *p, size_t n) {
  size_t len;
  unsigned min;
  unsigned cp;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    len = 2, min = 0x80, cp = p[0] & 0x1f;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    len = 3, min = 0x800, cp = p[0] & 0x0f;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    len = 4, min = 0x10000, cp = p[0] & 0x07;
  else
    return 0;
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

/* copied - is c written as it is (and so part of a run appended at once)? */
static bool copied(const struct escape_style *st, unsigned char c) {
  return c >= 0x20 && (c < 0x7f || (c == 0x7f && st->keep_del)) && !st->named(c);
}

/* escape_append - runs of copied octets at once, then one escaped octet or sequence. */
int escape_append(const char *p, size_t n, const struct escape_style *style, struct sbuf *out) {
  const unsigned char *u = (const unsigned char *)p;
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && copied(style, u[j]))
      j++;
    if (sbuf_append(out, p + i, j - i) < 0)
      return -1;
    if (j == n)
      break;
    size_t seq = style->utf8 && u[j] >= 0x80 ? utf8_len(u + j, n - j) : 0;
    const char *name = seq ? NULL : style->named(u[j]);
    static const char hex[] = "0123456789abcdef";
    char num[16];
    if (seq) {
      if (sbuf_append(out, p + j, seq) < 0)
        return -1;
    } else {
      if (!name) {
        snprintf(num, sizeof num, "%s%c%c", style->numeric, hex[u[j] >> 4], hex[u[j] & 15]);
        name = num;
      }
      if (sbuf_append(out, name, strlen(name)) < 0)
        return -1;
    }
    i = j + (seq ? seq : 1);
  }
  return 0;
}
