/* base64.c - RFC 4648 section 4 base64: a canonical encoder and a strict decoder. */
#include "smtp/base64.h"

#include <stdbool.h>

/* The RFC 4648 Table 1 alphabet. */
static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* b64_value - the 6-bit value of one alphabet octet, -1 for anything else ('=' too). */
static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* smtp_base64_encode - RFC 4648 4: 3 octets to 4 characters, '=' padding at the end. */
size_t smtp_base64_encode(const unsigned char *in, size_t len, char *out) {
  size_t o = 0, i = 0;
  for (; i + 3 <= len; i += 3) {
    unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
    out[o++] = b64_alphabet[(v >> 18) & 63];
    out[o++] = b64_alphabet[(v >> 12) & 63];
    out[o++] = b64_alphabet[(v >> 6) & 63];
    out[o++] = b64_alphabet[v & 63];
  }
  if (len - i == 1) {
    unsigned long v = (unsigned long)in[i] << 16;
    out[o++] = b64_alphabet[(v >> 18) & 63];
    out[o++] = b64_alphabet[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (len - i == 2) {
    unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
    out[o++] = b64_alphabet[(v >> 18) & 63];
    out[o++] = b64_alphabet[(v >> 12) & 63];
    out[o++] = b64_alphabet[(v >> 6) & 63];
    out[o++] = '=';
  }
  out[o] = '\0';
  return o;
}

/* smtp_base64_decode - RFC 4648 3.3: refuse any non-alphabet octet; 3.5: refuse
 * non-zero pad bits, so every input has one accepted spelling. */
ssize_t smtp_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap) {
  const unsigned char *u = (const unsigned char *)in;
  size_t o = 0;
  if (len % 4 != 0)
    return -1;
  for (size_t i = 0; i < len; i += 4) {
    bool last_quad = i + 4 == len;
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; k++) {
      if (u[i + k] == '=' && last_quad && k >= 2) {
        v[k] = 0;
        pad++;
        continue;
      }
      if (pad > 0) /* data after '=' */
        return -1;
      v[k] = b64_value(u[i + k]);
      if (v[k] < 0)
        return -1;
    }
    unsigned long bits = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
                         (unsigned long)v[2] << 6 | (unsigned long)v[3];
    size_t n = 3 - (size_t)pad;
    if ((pad == 1 && (bits & 0xff) != 0) || (pad == 2 && (bits & 0xffff) != 0))
      return -1; /* RFC 4648 3.5: pad bits must be zero */
    if (cap - o < n)
      return -1;
    out[o++] = (unsigned char)(bits >> 16);
    if (n > 1)
      out[o++] = (unsigned char)(bits >> 8);
    if (n > 2)
      out[o++] = (unsigned char)bits;
  }
  return (ssize_t)o;
}
