/* gen_content.c - message bodies and the octets that carry them. */
#include "gen_content.h"

#include <string.h>

#include "gen_grammar.h"

/* The end-of-data look-alikes (REFERENCES.md, SMTP smuggling), with their lengths. */
static const struct {
  const char *s;
  unsigned long n;
} gen_smuggles[] = {
    {"\n.\n", 3},       {"\n.\r", 3},       {"\r.\n", 3},       {"\r.\r", 3},
    {"\n.\r\n", 4},     {"\r.\r\n", 4},     {"\r\n.\n", 4},     {"\r\n.\r", 4},
    {"\r\n\0.\r\n", 6}, {"\r\n.\0\r\n", 6}, {"\r\n.\r\r\n", 6}, {"\r\r\n.\r\r\n", 7},
};

/* gen_smuggle - pick one sequence. */
const char *gen_smuggle(struct gen_rand *r, unsigned long *len) {
  size_t i = gen_rand_below(r, sizeof gen_smuggles / sizeof gen_smuggles[0]);
  *len = gen_smuggles[i].n;
  return gen_smuggles[i].s;
}

/* gen_body_line - one body line without its line end. */
static void gen_body_line(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const char *const lines[] = {"Hello,",
                                      ".",
                                      "..",
                                      ".leading dot",
                                      "",
                                      "-- ",
                                      "From the desk of",
                                      "QUIT",
                                      "MAIL FROM:<evil@example.org>",
                                      "RCPT TO:<victim@example.org>",
                                      "DATA",
                                      "end."};
  gen_buf_puts(b, GEN_PICK(r, lines));
  if (!(flags & GEN_NEAR_MISS) || !gen_rand_chance(r, 15))
    return;
  switch (gen_rand_below(r, 5)) {
  case 0: /* 4.5.3.1.6: a text line is at most 998 octets + CRLF */
    gen_buf_repeat(b, 'y', gen_rand_chance(r, 50) ? 998 : 1200);
    break;
  case 1:
    gen_buf_putc(b, '\0');
    break;
  case 2:
    gen_buf_puts(b, "caf\xc3\xa9 \xff");
    break;
  case 3:
    gen_buf_puts(b, "bare\rcr");
    break;
  default:
    gen_buf_puts(b, "bare\nlf");
  }
}

/* gen_content - headers, blank line, body; the final line end is sometimes missing. */
void gen_content(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  if (gen_rand_chance(r, 5))
    return; /* empty content */
  gen_buf_puts(b, "From: <a@example.org>\r\nTo: <b@example.org>\r\nSubject: fuzz\r\n\r\n");
  size_t n = gen_rand_below(r, 6);
  for (size_t i = 0; i < n; i++) {
    gen_body_line(r, b, flags);
    if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 10)) {
      unsigned long len;
      const char *s = gen_smuggle(r, &len);
      gen_buf_put(b, s, len);
    }
    gen_buf_puts(b, (flags & GEN_NEAR_MISS) && gen_rand_chance(r, 5) ? "\n" : "\r\n");
  }
  if (gen_rand_chance(r, 10))
    gen_buf_puts(b, "no final line end");
}

/* gen_data_stream - RFC 5321 4.5.2: a leading '.' is doubled; CRLF.CRLF ends. */
void gen_data_stream(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  struct gen_buf raw = {0};
  gen_content(r, &raw, flags);
  bool at_start = true;
  for (size_t i = 0; i < raw.sb.len; i++) {
    char c = raw.sb.p[i];
    if (at_start && c == '.' && !((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 10)))
      gen_buf_putc(b, '.');
    if (c == '\n' && (i == 0 || raw.sb.p[i - 1] != '\r'))
      gen_buf_putc(b, '\r');
    gen_buf_putc(b, c);
    at_start = c == '\n';
  }
  bool crlf_end = raw.sb.len >= 2 && memcmp(raw.sb.p + raw.sb.len - 2, "\r\n", 2) == 0;
  if (!crlf_end && raw.sb.len > 0)
    gen_buf_puts(b, "\r\n");
  if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 20)) {
    unsigned long len;
    const char *s = gen_smuggle(r, &len);
    gen_buf_put(b, s, len);
    gen_buf_puts(b, "MAIL FROM:<smuggled@example.org>\r\n");
  }
  if (!(flags & GEN_NEAR_MISS) || !gen_rand_chance(r, 5))
    gen_buf_puts(b, ".\r\n");
  gen_buf_free(&raw);
}
