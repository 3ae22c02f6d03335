/* gen_session.c - decoding and writing session inputs (see gen_session.h). */
#include "gen_session.h"

#include <string.h>

/* gen_session_decode - a '#' line is the control line; otherwise no controls. */
void gen_session_decode(const uint8_t *data, size_t size, struct gen_session *s) {
  memset(s->ctl, 0, sizeof s->ctl);
  s->nctl = 0;
  s->stream = (const char *)data;
  s->stream_len = size;
  if (size == 0 || data[0] != '#')
    return;
  size_t scan = size < GEN_SESSION_CTL_SCAN ? size : GEN_SESSION_CTL_SCAN;
  const uint8_t *lf = memchr(data, '\n', scan);
  if (lf == NULL)
    return;
  for (const uint8_t *p = data + 1; p < lf; p++)
    if (*p != ' ' && s->nctl < GEN_SESSION_CTL_MAX)
      s->ctl[s->nctl++] = (unsigned char)(*p & 15);
  s->stream = (const char *)lf + 1;
  s->stream_len = size - (size_t)(lf + 1 - data);
}

/* gen_session_ctl - absent controls read as 0 (the defaults). */
unsigned gen_session_ctl(const struct gen_session *s, size_t i) {
  return i < s->nctl ? s->ctl[i] : 0;
}

/* gen_session_read_len - read sizes cycle through the read fields. */
size_t gen_session_read_len(const struct gen_session *s, size_t first, size_t k, const char *rest,
                            size_t rest_len) {
  static const size_t big[] = {16, 32, 64, 128, 512, 4096};
  if (rest_len == 0)
    return 0;
  if (s->nctl <= first)
    return rest_len;
  unsigned v = s->ctl[first + k % (s->nctl - first)];
  size_t n;
  if (v == 0) {
    const char *lf = memchr(rest, '\n', rest_len);
    n = lf != NULL ? (size_t)(lf - rest) + 1 : rest_len;
  } else {
    n = v < 10 ? v : big[v - 10];
  }
  return n < rest_len ? n : rest_len;
}

/* gen_session_put_ctl - readable control characters. */
void gen_session_put_ctl(struct gen_buf *b, const unsigned char *vals, size_t n) {
  gen_buf_putc(b, '#');
  for (size_t i = 0; i < n; i++)
    gen_buf_putc(b, (char)('0' + (vals[i] & 15)));
  gen_buf_putc(b, '\n');
}

/* The client target's message contents, each a case the stuffer must get right. */
#define C(lit)                                                                                     \
  { lit, sizeof(lit) - 1 }
static const struct {
  const char *s;
  size_t n;
} gen_contents[] = {
    C(""),
    C("Subject: hi\r\n\r\nHello\r\n"),
    C(".\r\n"),
    C("..\r\n.x\r\n"),
    C("line\nbare LF\n.dot after LF\n"),
    C("no final line end"),
    C("caf\xc3\xa9\r\n"),
    C("nul\0inside\r\n"),
    C("a\r\n.\r\nsmuggled end inside\r\n"),
    C("\r\n.\r\n"),
    C("bare CR\r.\r\n"),
    C("\n.\n"),
    C("."),
    C("\r"),
    C("x\r\n\r\n.\r\n\r\n"),
    C("ends with CR\r"),
};

#undef C

/* gen_session_content - content i % 16. */
const char *gen_session_content(unsigned i, size_t *len) {
  i %= sizeof gen_contents / sizeof gen_contents[0];
  *len = gen_contents[i].n;
  return gen_contents[i].s;
}
