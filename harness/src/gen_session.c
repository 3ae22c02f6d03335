/* gen_session.c - decoding and writing session inputs (see gen_session.h). */
#include "gen_session.h"

#include <stdio.h>
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

/* cred_octet - octet i of credential pattern p (1..15); never NUL, which C strings (and
 * RFC 4616 2's UTF8-SAFE) cannot hold. The patterns reach every base64 symbol, '+' and
 * '/' runs, UTF-8, line breaks and text that looks like SASL syntax or a command. */
static char cred_octet(unsigned p, size_t i) {
  static const char *const words[] = {"\xfb\xef\xbe", "\xc3\xa9", "\r\n", "user@example.org",
                                      "AUTH PLAIN\r\n"};
  switch (p) {
  case 1:
    return (char)('a' + i % 26);
  case 2:
    return (char)('0' + i % 10);
  case 3:
    return (char)(1 + i % 255);
  case 4:
    return '\xff';
  case 5:
    return words[0][i % 3];
  case 6:
    return words[1][i % 2];
  case 7:
    return ' ';
  case 8:
    return words[2][i % 2];
  case 9:
    return '=';
  case 10:
    return '*';
  case 11:
    return words[3][i % 16];
  case 12:
    return (char)(0x21 + i % 94);
  case 13:
    return (char)(0x80 + i % 128);
  case 14:
    return (char)(1 + i % 31);
  default:
    return words[4][i % 12];
  }
}

/* gen_session_credential - fixed words by default, else a pattern of a chosen length. */
size_t gen_session_credential(const struct gen_session *s, unsigned which, char *out) {
  size_t len_at = which == 0 ? GEN_CLI_USER_LEN : GEN_CLI_PASS_LEN;
  unsigned pattern = gen_session_ctl(s, which == 0 ? GEN_CLI_USER : GEN_CLI_PASS);
  if (pattern == 0) {
    const char *word = which == 0 ? "fuzzuser" : "fuzzpass";
    memcpy(out, word, 9);
    return 8;
  }
  size_t len = 0;
  for (size_t k = 0; k < 3; k++)
    len = len * 10 + gen_session_ctl(s, len_at + k);
  len %= GEN_CLI_CRED_MAX + 1;
  for (size_t i = 0; i < len; i++)
    out[i] = cred_octet(pattern, i);
  out[len] = '\0';
  return len;
}

/* gen_session_rcpt_count - RFC 5321 4.5.3.1.8: servers take at least 100; go past it. */
size_t gen_session_rcpt_count(const struct gen_session *s) {
  static const size_t many[] = {5, 7, 8, 9, 16, 31, 32, 33, 63, 64, 99, 100, 101, 150, 200};
  unsigned m = gen_session_ctl(s, GEN_CLI_MANY);
  if (m == 0)
    return (gen_session_ctl(s, GEN_CLI_RCPTS) & 3u) + 1;
  return many[m - 1];
}

/* gen_session_rcpt - the fixed four, then numbered ones. */
void gen_session_rcpt(size_t i, char *out, size_t cap) {
  static const char *const fixed[] = {"a@example.org", "b@example.org", "postmaster",
                                      "\"q x\"@example.org"};
  if (i < 4)
    snprintf(out, cap, "%s", fixed[i]);
  else
    snprintf(out, cap, "r%zu@example.org", i);
}

/* gen_session_client_content - RFC 5321 4.5.3.1.6 (1000-octet lines), SMTPC_STREAM_ROOM
 * (16 KiB of output) and RFC 3030 chunks (1 MiB) each have sizes just below, at and above. */
const char *gen_session_client_content(const struct gen_session *s, unsigned i, struct gen_buf *b,
                                       size_t *len) {
  static const size_t sizes[] = {1,    2,    3,     511,   512,   513,   998,    1000,
                                 1001, 4096, 16383, 16384, 16385, 65536, 1048577};
  const char *content = gen_session_content(gen_session_ctl(s, GEN_CLI_CONTENT) + i, len);
  unsigned code = gen_session_ctl(s, GEN_CLI_SIZE);
  if (code == 0)
    return content;
  const char *unit = *len > 0 ? content : "line\r\n";
  size_t unit_len = *len > 0 ? *len : 6, want = sizes[code - 1];
  char block[4096]; /* whole units, appended block by block */
  size_t block_len = 0;
  while (block_len + unit_len <= sizeof block) {
    memcpy(block + block_len, unit, unit_len);
    block_len += unit_len;
  }
  gen_buf_truncate(b, 0);
  for (size_t n = 0; n < want && !b->failed; n += block_len)
    gen_buf_put(b, block, want - n < block_len ? want - n : block_len);
  if (b->failed || b->sb.len != want)
    return content;
  *len = want;
  return b->sb.p;
}
