/* sbuf.c - a growable byte buffer, grown geometrically, always NUL-terminated. */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* sbuf_reserve - grow to hold len + n octets and a NUL. */
int sbuf_reserve(struct sbuf *b, size_t n) {
  if (b->p && b->len + n + 1 <= b->cap)
    return 0;
  if (n > (size_t)-1 / 4 - b->len)
    return -1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n + 1)
    cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p)
    return -1;
  if (!b->p)
    p[0] = '\0';
  b->p = p;
  b->cap = cap;
  return 0;
}

/* sbuf_append - append n octets. */
int sbuf_append(struct sbuf *b, const void *data, size_t n) {
  if (n == 0)
    return 0;
  if (sbuf_reserve(b, n) < 0)
    return -1;
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

/* sbuf_appendf - formatted text of any length, written in place. */
int sbuf_appendf(struct sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || sbuf_reserve(b, (size_t)n) < 0)
    return -1;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

/* sbuf_consume - drop the first n octets (the rest moves to the front). */
void sbuf_consume(struct sbuf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
  } else {
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
  }
  if (b->p)
    b->p[b->len] = '\0';
}

/* sbuf_free - release the buffer. */
void sbuf_free(struct sbuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
