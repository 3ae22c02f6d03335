/* parse_util.h - private character classes shared by the libsmtp parsers (ASCII only,
 * never the C locale: a server must not parse differently under another LC_CTYPE). */
#ifndef SMTP_PARSE_UTIL_H
#define SMTP_PARSE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* pu_digit - RFC 5234 DIGIT. */
static inline bool pu_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

/* pu_alpha - RFC 5234 ALPHA. */
static inline bool pu_alpha(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* pu_hexdig - RFC 5234 HEXDIG (either case, as ABNF strings are case-insensitive). */
static inline bool pu_hexdig(unsigned char c) {
  return pu_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* pu_upper - ASCII upper case of one octet. */
static inline unsigned char pu_upper(unsigned char c) {
  return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

/* pu_ieq - s[0..n) equals the NUL-terminated word w, ASCII case-insensitively. */
static inline bool pu_ieq(const char *s, size_t n, const char *w) {
  size_t i = 0;
  for (; i < n; i++)
    if (w[i] == '\0' || pu_upper((unsigned char)s[i]) != pu_upper((unsigned char)w[i]))
      return false;
  return w[i] == '\0';
}

/* pu_ieqn - a[0..n) equals b[0..n), ASCII case-insensitively. */
static inline bool pu_ieqn(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (pu_upper((unsigned char)a[i]) != pu_upper((unsigned char)b[i]))
      return false;
  return true;
}

/* pu_utf8_len - RFC 3629 4: the length of the well-formed UTF-8 sequence at s[0..n)
 * (2-4 octets, no overlongs, no surrogates, nothing above U+10FFFF), 0 if none. */
static inline size_t pu_utf8_len(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  unsigned char lo = 0x80, hi = 0xbf;
  size_t need;
  if (n == 0)
    return 0;
  if (u[0] >= 0xc2 && u[0] <= 0xdf)
    need = 2;
  else if (u[0] >= 0xe0 && u[0] <= 0xef)
    need = 3;
  else if (u[0] >= 0xf0 && u[0] <= 0xf4)
    need = 4;
  else
    return 0;
  if (u[0] == 0xe0)
    lo = 0xa0; /* overlong below U+0800 */
  else if (u[0] == 0xed)
    hi = 0x9f; /* UTF-16 surrogates */
  else if (u[0] == 0xf0)
    lo = 0x90; /* overlong below U+10000 */
  else if (u[0] == 0xf4)
    hi = 0x8f; /* above U+10FFFF */
  if (n < need || u[1] < lo || u[1] > hi)
    return 0;
  for (size_t i = 2; i < need; i++)
    if (u[i] < 0x80 || u[i] > 0xbf)
      return 0;
  return need;
}

#endif
