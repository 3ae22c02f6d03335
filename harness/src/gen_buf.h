/* gen_buf.h - a generated input: an sbuf the generators append to without checking each
 * call, and a sticky flag that says an append failed (the caller checks once, at the end). */
#ifndef SMTPCHECK_GEN_BUF_H
#define SMTPCHECK_GEN_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

/* Zero-fill to start; sb.p is NUL-terminated once allocated but may hold NULs. */
struct gen_buf {
  struct sbuf sb; /* the octets: sb.p, sb.len */
  bool failed;    /* an allocation failed: contents are incomplete */
};

/* gen_buf_put - append n octets. */
void gen_buf_put(struct gen_buf *b, const void *p, size_t n);
/* gen_buf_puts - append a C string. */
void gen_buf_puts(struct gen_buf *b, const char *s);
/* gen_buf_putc - append one octet. */
void gen_buf_putc(struct gen_buf *b, char c);
/* gen_buf_repeat - append c n times. */
void gen_buf_repeat(struct gen_buf *b, char c, size_t n);
/* gen_buf_note - record the result of an sbuf call on b->sb (-1 sets failed for good). */
void gen_buf_note(struct gen_buf *b, int rc);
/* gen_buf_printf - append formatted text (b is evaluated twice: pass a plain pointer). */
#define gen_buf_printf(b, ...) gen_buf_note((b), sbuf_appendf(&(b)->sb, __VA_ARGS__))
/* gen_buf_truncate - keep the first len octets (len <= sb.len). */
void gen_buf_truncate(struct gen_buf *b, size_t len);
/* gen_buf_free - release the memory and zero the buffer. */
void gen_buf_free(struct gen_buf *b);

#endif
