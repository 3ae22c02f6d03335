/* gen_buf.c - the generators' appends over sbuf, with the failure kept (sticky) so that a
 * generator need not check each call and an incomplete input is never taken for whole. */
#include "gen_buf.h"

#include <string.h>

/* gen_buf_note - a failure is remembered however many appends succeed after it. */
void gen_buf_note(struct gen_buf *b, int rc) {
  if (rc < 0)
    b->failed = true;
}

/* gen_buf_put - n octets (NULs allowed). */
void gen_buf_put(struct gen_buf *b, const void *p, size_t n) {
  gen_buf_note(b, sbuf_append(&b->sb, p, n));
}

/* gen_buf_puts - strings are the common case. */
void gen_buf_puts(struct gen_buf *b, const char *s) {
  gen_buf_put(b, s, strlen(s));
}

/* gen_buf_putc - one octet (NUL allowed). */
void gen_buf_putc(struct gen_buf *b, char c) {
  gen_buf_put(b, &c, 1);
}

/* gen_buf_repeat - long lines and padding, written in place. */
void gen_buf_repeat(struct gen_buf *b, char c, size_t n) {
  if (sbuf_reserve(&b->sb, n) < 0) {
    b->failed = true;
    return;
  }
  memset(b->sb.p + b->sb.len, c, n);
  b->sb.len += n;
  b->sb.p[b->sb.len] = '\0';
}

/* gen_buf_truncate - near misses cut a line and write it again. */
void gen_buf_truncate(struct gen_buf *b, size_t len) {
  if (len < b->sb.len) {
    b->sb.len = len;
    b->sb.p[len] = '\0';
  }
}

/* gen_buf_free - back to the zero state. */
void gen_buf_free(struct gen_buf *b) {
  sbuf_free(&b->sb);
  b->failed = false;
}
