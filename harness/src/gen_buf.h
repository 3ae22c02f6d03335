/* gen_buf.h - a growable byte buffer for generated inputs (allocation failure is sticky). */
#ifndef SMTPCHECK_GEN_BUF_H
#define SMTPCHECK_GEN_BUF_H

#include <stdbool.h>
#include <stddef.h>

/* Zero-fill to start; data is NUL-terminated for convenience but may hold NULs. */
struct gen_buf {
  char *data;
  size_t len;
  size_t cap;
  bool failed; /* an allocation failed: contents are incomplete */
};

/* gen_buf_put - append n octets. */
void gen_buf_put(struct gen_buf *b, const void *p, size_t n);
/* gen_buf_puts - append a C string. */
void gen_buf_puts(struct gen_buf *b, const char *s);
/* gen_buf_putc - append one octet. */
void gen_buf_putc(struct gen_buf *b, char c);
/* gen_buf_repeat - append c n times. */
void gen_buf_repeat(struct gen_buf *b, char c, size_t n);
/* gen_buf_printf - append formatted text. */
void gen_buf_printf(struct gen_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* gen_buf_free - release the memory and zero the buffer. */
void gen_buf_free(struct gen_buf *b);

#endif
