/* parse_util.h - private character classes shared by the libsmtp parsers (ASCII only,
 * never the C locale: a server must not parse differently under another LC_CTYPE). */
#ifndef SMTP_PARSE_UTIL_H
#define SMTP_PARSE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Octet classes of pu_class[] (command_class.c), one bit per grammar rule. */
enum pu_class_bit {
  PU_C_DIGIT = 1u << 0,  /* RFC 5234 DIGIT */
  PU_C_LETDIG = 1u << 1, /* RFC 5321 4.1.2 Let-dig: ALPHA / DIGIT */
  PU_C_LDH = 1u << 2,    /* ALPHA / DIGIT / "-" (Ldh-str, esmtp-keyword) */
  PU_C_ATEXT = 1u << 3,  /* RFC 5322 3.2.3 atext */
  PU_C_VALUE = 1u << 4,  /* RFC 5321 4.1.2 esmtp-value octet, ASCII */
  PU_C_XCHAR = 1u << 5,  /* RFC 3461 4 xchar */
  PU_C_MECH = 1u << 6,   /* RFC 4422 3.1 SASL mechanism octet */
  PU_C_B64 = 1u << 7,    /* RFC 4954 4 initial-response octet: base64 or "=" */
  PU_C_XHEX = 1u << 8,   /* RFC 3461 4 hexchar digit: DIGIT / "A"-"F" */
};

/* The class bits of every octet (none for octets >= 0x80). */
extern const uint16_t pu_class[256];

/* pu_is - is octet c in any of the classes in bits? */
static inline bool pu_is(unsigned char c, unsigned bits) {
  return (pu_class[c] & bits) != 0;
}

/* pu_span - how many octets of s[0..n) from the start are all in the classes. Four
 * octets per round while four remain: one bound check and one taken branch per round. */
static inline size_t pu_span(const char *s, size_t n, unsigned bits) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  for (; n - i >= 4; i += 4) {
    if (!pu_is(u[i], bits))
      return i;
    if (!pu_is(u[i + 1], bits))
      return i + 1;
    if (!pu_is(u[i + 2], bits))
      return i + 2;
    if (!pu_is(u[i + 3], bits))
      return i + 3;
  }
  while (i < n && pu_is(u[i], bits))
    i++;
  return i;
}

/* pu_le32 - four octets as a little-endian word, whatever the host's byte order. */
static inline uint32_t pu_le32(const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* pu_fold32 - s[0..4) with bit 0x20 of every octet cleared. Folded alike, a letter
 * matches only its other case, and a digit or one of " -:" only a control octet. So
 * comparing with the fold of a word of capitals, digits, " ", "-" or ":" is exactly an
 * ASCII case-insensitive comparison when s holds no control octet (as for parameter
 * keywords and values, which are checked against their classes before any comparison). */
static inline uint32_t pu_fold32(const char *s) {
  return pu_le32(s) & 0xdfdfdfdfu;
}

/* pu_ieq_word - s[0..n) equals w[0..n) in either case, four octets at a time. Exact when
 * w is all letters, whatever s holds; otherwise under pu_fold32's condition: one side
 * holds only letters, digits, " ", "-" or ":", and the other no control octet. */
static inline bool pu_ieq_word(const char *s, size_t n, const char *w) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    if (pu_fold32(s + i) != pu_fold32(w + i))
      return false;
  for (; i < n; i++)
    if (((unsigned char)s[i] & 0xdf) != ((unsigned char)w[i] & 0xdf))
      return false;
  return true;
}

/* Word-at-a-time (SWAR) constants: one octet repeated, and the high bit of each octet. */
#define PU_SWAR_ONES ((uint64_t)0x0101010101010101u)
#define PU_SWAR_HIGHS ((uint64_t)0x8080808080808080u)

/* pu_swar_zero - nonzero exactly when some octet of w is zero (exact as a yes/no test). */
static inline uint64_t pu_swar_zero(uint64_t w) {
  return (w - PU_SWAR_ONES) & ~w & PU_SWAR_HIGHS;
}

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
