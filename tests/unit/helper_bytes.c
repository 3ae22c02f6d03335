/* helper_bytes.c - see helper_bytes.h. */
#include "helper_bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bytes_add - grow by exactly what is added, keep a NUL after the end. */
void bytes_add(struct bytes *b, const void *data, size_t n) {
  char *grown = realloc(b->p, b->len + n + 1);
  if (grown == NULL) {
    fprintf(stderr, "helper_bytes: out of memory\n");
    abort();
  }
  b->p = grown;
  if (n > 0)
    memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
}

/* bytes_free - back to the zero state. */
void bytes_free(struct bytes *b) {
  free(b->p);
  b->p = NULL;
  b->len = 0;
}
