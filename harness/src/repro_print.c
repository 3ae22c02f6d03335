/* repro_print.c - transcripts a person can read and a shell can paste back. */
#include "repro_print.h"

#include <string.h>

/* repro_print_escaped - C-like escapes for everything that is not plain printable. */
void repro_print_escaped(FILE *out, const char *data, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)data[i];
    switch (c) {
    case '\r':
      fputs("\\r", out);
      break;
    case '\n':
      fputs("\\n", out);
      break;
    case '\t':
      fputs("\\t", out);
      break;
    case '\0':
      fputs("\\0", out);
      break;
    case '\\':
      fputs("\\\\", out);
      break;
    default:
      if (c < 0x20 || c > 0x7e)
        fprintf(out, "\\x%02x", c);
      else
        fputc(c, out);
    }
  }
}

/* repro_print_event - one transcript line per wire line (or note). */
void repro_print_event(void *ctx, enum repro_event ev, const char *data, size_t len) {
  struct repro_printer *p = ctx;
  if (ev == REPRO_EV_NOTE) {
    fprintf(p->out, "   -- %.*s\n", (int)len, data);
    return;
  }
  const char *tag = ev == REPRO_EV_CLIENT ? p->client_tag : p->server_tag;
  size_t pos = 0;
  while (pos < len) {
    const char *lf = memchr(data + pos, '\n', len - pos);
    size_t n = lf != NULL ? (size_t)(lf - (data + pos)) + 1 : len - pos;
    fprintf(p->out, "%s ", tag);
    repro_print_escaped(p->out, data + pos, n);
    if (lf == NULL)
      fputs("   (no line end in this read)", p->out);
    fputc('\n', p->out);
    pos += n;
  }
}
