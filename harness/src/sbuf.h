/* sbuf.h - a growable byte buffer: the one the whole harness appends to. */
#ifndef SMTPCHECK_SBUF_H
#define SMTPCHECK_SBUF_H

#include <stddef.h>

/* A growable byte buffer (may hold NUL octets). Zero-fill to start; p is always
 * NUL-terminated once allocated. */
struct sbuf {
  char *p;
  size_t len, cap;
};

/* sbuf_append - append n octets; returns 0, or -1 when out of memory. */
int sbuf_append(struct sbuf *b, const void *data, size_t n);
/* sbuf_appendf - append formatted text; 0, or -1 when out of memory. */
int sbuf_appendf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* sbuf_reserve - room for n more octets and the NUL; allocates even for n == 0, so that
 * p is a string afterwards. 0, or -1 when out of memory. */
int sbuf_reserve(struct sbuf *b, size_t n);
/* sbuf_consume - drop the first n octets. */
void sbuf_consume(struct sbuf *b, size_t n);
/* sbuf_free - release the buffer and zero it. */
void sbuf_free(struct sbuf *b);

#endif
