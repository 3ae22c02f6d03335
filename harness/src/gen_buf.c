/* gen_buf.c - append-only buffer used by the generator and the mutator. */
#include "gen_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gen_buf_reserve - room for n more octets plus a NUL; false (and failed set) if not. */
static bool gen_buf_reserve(struct gen_buf *b, size_t n) {
  if (b->failed)
    return false;
  if (b->cap - b->len > n)
    return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap - b->len <= n) {
    if (cap > ((size_t)-1) / 2) {
      b->failed = true;
      return false;
    }
    cap *= 2;
  }
  char *d = realloc(b->data, cap);
  if (d == NULL) {
    b->failed = true;
    return false;
  }
  b->data = d;
  b->cap = cap;
  return true;
}

/* gen_buf_put - append and keep a NUL after the content. */
void gen_buf_put(struct gen_buf *b, const void *p, size_t n) {
  if (!gen_buf_reserve(b, n))
    return;
  if (n > 0)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
}

/* gen_buf_puts - strings are the common case. */
void gen_buf_puts(struct gen_buf *b, const char *s) {
  gen_buf_put(b, s, strlen(s));
}

/* gen_buf_putc - one octet (NUL allowed). */
void gen_buf_putc(struct gen_buf *b, char c) {
  gen_buf_put(b, &c, 1);
}

/* gen_buf_repeat - long lines and padding. */
void gen_buf_repeat(struct gen_buf *b, char c, size_t n) {
  if (!gen_buf_reserve(b, n))
    return;
  memset(b->data + b->len, c, n);
  b->len += n;
  b->data[b->len] = '\0';
}

/* gen_buf_printf - format into the buffer (two passes: measure, then write). */
void gen_buf_printf(struct gen_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !gen_buf_reserve(b, (size_t)n))
    return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* gen_buf_free - back to the zero state. */
void gen_buf_free(struct gen_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->failed = false;
}
