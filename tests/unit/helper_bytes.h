/* helper_bytes.h - a growing octet string for tests that collect what an engine wrote. */
#ifndef HELPER_BYTES_H
#define HELPER_BYTES_H

#include <stddef.h>

/* Zero-fill to start; p is NUL-terminated once allocated (it may hold NULs). */
struct bytes {
  char *p;
  size_t len;
};

/* bytes_add - append n octets; aborts the test program when memory runs out. */
void bytes_add(struct bytes *b, const void *data, size_t n);
/* bytes_free - release the memory and zero the string. */
void bytes_free(struct bytes *b);

#endif
