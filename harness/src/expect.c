/* expect.c - reply expectations: code patterns, alternatives, text, EHLO keywords. */
#include "expect.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"

/* expect_code - each pattern position is a digit that must be equal, or 'x'. */
bool expect_code(const struct reply_spec *spec, int code) {
  if (code < 100 || code > 999)
    return false;
  char digits[3] = {(char)('0' + code / 100), (char)('0' + code / 10 % 10),
                    (char)('0' + code % 10)};
  for (size_t i = 0; i < spec->ncodes; i++) {
    bool ok = true;
    for (size_t k = 0; k < 3 && ok; k++)
      ok = spec->codes[i][k] == 'x' || spec->codes[i][k] == digits[k];
    if (ok)
      return true;
  }
  return false;
}

/* contains - memmem, ASCII case-insensitive. */
static bool contains(const char *hay, size_t hn, const char *needle, size_t n) {
  if (n == 0)
    return true;
  for (size_t i = 0; i + n <= hn; i++) {
    size_t k = 0;
    while (k < n && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
      k++;
    if (k == n)
      return true;
  }
  return false;
}

/* expect_text - look in every whole line (code and separator included, no line end). */
bool expect_text(const struct smtp_reply *r, const char *needle, size_t n) {
  size_t pos = 0;
  while (pos < r->raw_len) {
    const char *nl = memchr(r->raw + pos, '\n', r->raw_len - pos);
    size_t end = nl ? (size_t)(nl - r->raw) : r->raw_len;
    size_t len = end - pos;
    if (len && r->raw[pos + len - 1] == '\r')
      len--;
    if (contains(r->raw + pos, len, needle, n))
      return true;
    pos = end + 1;
  }
  return false;
}

/* expect_describe - render the spec back in script syntax. */
void expect_describe(const struct reply_spec *spec, char *buf, size_t cap) {
  size_t pos = 0;
  buf[0] = '\0';
  switch (spec->kind) {
  case SPEC_ANY:
    snprintf(buf, cap, "any reply");
    return;
  case SPEC_CLOSED:
    snprintf(buf, cap, "the connection closed");
    return;
  case SPEC_SILENCE:
    snprintf(buf, cap, "silence for %.1f s", (double)spec->silence_ms / 1000);
    return;
  case SPEC_CODES:
    break;
  }
  for (size_t i = 0; i < spec->ncodes && pos + 5 < cap; i++)
    pos += (size_t)snprintf(buf + pos, cap - pos, "%s%.3s", i ? "|" : "", spec->codes[i]);
  if (spec->or_closed && pos + 8 < cap)
    snprintf(buf + pos, cap - pos, "|closed");
}

/* expect_reply - the code first, then the text. */
bool expect_reply(const struct reply_spec *spec, const struct smtp_reply *r, const char *needle,
                  size_t needle_len, char *reason, size_t reasonlen) {
  char want[96];
  expect_describe(spec, want, sizeof want);
  char got[160];
  size_t first = r->nlines ? r->lines[0].len : 0;
  struct sbuf esc = {0};
  if (r->nlines)
    wire_escape(r->lines[0].text, first < 80 ? first : 80, &esc);
  snprintf(got, sizeof got, "%03d %s%s", r->code, esc.p ? esc.p : "", first > 80 ? "..." : "");
  sbuf_free(&esc);
  if (spec->kind == SPEC_CODES && !expect_code(spec, r->code)) {
    snprintf(reason, reasonlen, "expected %s, got %s", want, got);
    return false;
  }
  if (needle && !expect_text(r, needle, needle_len)) {
    struct sbuf n = {0};
    wire_escape(needle, needle_len < 80 ? needle_len : 80, &n);
    snprintf(reason, reasonlen, "expected %s with a line containing \"%s\", got %s", want,
             n.p ? n.p : "", got);
    sbuf_free(&n);
    return false;
  }
  return true;
}

/* expect_keywords - list the EHLO keywords for messages. */
void expect_keywords(const struct smtp_reply *r, char *buf, size_t cap) {
  size_t pos = 0;
  size_t lines = r->nlines < SMTP_REPLY_LINES_MAX ? r->nlines : SMTP_REPLY_LINES_MAX;
  buf[0] = '\0';
  for (size_t i = 1; i < lines; i++) {
    const char *t = r->lines[i].text;
    size_t n = 0;
    while (n < r->lines[i].len && t[n] != ' ' && t[n] != '\t')
      n++;
    if (pos + n + 2 >= cap)
      break;
    if (pos)
      buf[pos++] = ' ';
    memcpy(buf + pos, t, n);
    pos += n;
    buf[pos] = '\0';
  }
}
