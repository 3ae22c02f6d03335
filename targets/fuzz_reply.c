/* fuzz_reply.c - the RFC 5321 4.2 reply parser and formatter (smtp_reply_parse/format).
 *
 * Input: server octets, parsed reply after reply as a client would. Invariants:
 *  - a parsed reply spans the octets it consumed; its lines point inside them;
 *  - parsing is incremental: every shorter prefix says "need more" (-2), and parsing
 *    exactly the consumed octets gives the same reply (no look-ahead);
 *  - a reply without defects survives parse -> format -> parse unchanged;
 *  - whatever text the formatter is given, its output is one well-formed reply
 *    (no defect at all, RFC 5321 4.2.1 and 4.5.3.1.5) or -1. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "smtp/reply.h"

/* Replies up to this size get the every-prefix check; longer ones about this many
 * prefixes (and the one just short of the end), so a run stays linear. */
#define REPLY_PREFIX_ALL_MAX 64
/* Output room for the formatter (text is at most the input size, wrapped). */
#define REPLY_FORMAT_SLACK 4096

/* reply_same - two parses of the same octets agree. */
static bool reply_same(const struct smtp_reply *a, const struct smtp_reply *b) {
  if (a->code != b->code || a->defects != b->defects || a->nlines != b->nlines ||
      a->raw_len != b->raw_len || a->has_enhanced != b->has_enhanced)
    return false;
  size_t n = a->nlines < SMTP_REPLY_LINES_MAX ? a->nlines : SMTP_REPLY_LINES_MAX;
  for (size_t i = 0; i < n; i++)
    if (a->lines[i].len != b->lines[i].len ||
        memcmp(a->lines[i].text, b->lines[i].text, a->lines[i].len) != 0)
      return false;
  return true;
}

/* reply_check_one - the shape of one reply parsed from buf (n octets consumed). */
static void reply_check_one(const char *buf, ssize_t n, const struct smtp_reply *r) {
  FUZZ_CHECK(r->raw == buf && r->raw_len == (size_t)n, "raw does not span the consumed octets");
  FUZZ_CHECK(r->nlines >= 1, "a reply with no line");
  FUZZ_CHECK(buf[n - 1] == '\n', "a reply that does not end with a line end");
  if (!(r->defects & SMTP_REPLY_BAD_CODE))
    FUZZ_CHECK(r->code >= 200 && r->code <= 599, "code %d without BAD_CODE", r->code);
  FUZZ_CHECK(r->code >= 0 && r->code <= 999, "code %d is not 3 digits", r->code);
  size_t lines = r->nlines < SMTP_REPLY_LINES_MAX ? r->nlines : SMTP_REPLY_LINES_MAX;
  FUZZ_CHECK((r->nlines > SMTP_REPLY_LINES_MAX) == !!(r->defects & SMTP_REPLY_TOO_MANY_LINES),
             "TOO_MANY_LINES disagrees with nlines %zu", r->nlines);
  for (size_t i = 0; i < lines; i++) {
    const char *t = r->lines[i].text;
    FUZZ_CHECK(t >= buf && r->lines[i].len < (size_t)n &&
                   (size_t)(t - buf) + r->lines[i].len < (size_t)n,
               "line %zu outside the reply", i);
    FUZZ_CHECK(memchr(t, '\n', r->lines[i].len) == NULL, "line %zu contains LF", i);
  }
}

/* reply_check_defects - every defect bit set has its own description. */
static void reply_check_defects(const struct smtp_reply *r) {
  for (unsigned bit = 1; bit != 0; bit <<= 1) {
    if (!(r->defects & bit))
      continue;
    const char *t = smtp_reply_defect_text(bit);
    FUZZ_CHECK(t != NULL && t[0] != '\0', "defect bit 0x%x has no description", bit);
  }
}

/* reply_check_keyword - RFC 5321 4.1.1.1 / 2.2.2: look up an EHLO keyword taken from the
 * input (the first line's first word, or a word after it); params lie inside the reply. */
static void reply_check_keyword(const char *buf, ssize_t n, const struct smtp_reply *r) {
  char kw[32];
  size_t lines = r->nlines < SMTP_REPLY_LINES_MAX ? r->nlines : SMTP_REPLY_LINES_MAX;
  for (size_t i = 0; i < lines; i++) {
    const char *t = r->lines[i].text;
    size_t len = r->lines[i].len, k = 0;
    /* The word at the line's start; on an odd line the second word, so the lookup also
     * sees a keyword that is not listed and prefixes of listed ones. */
    size_t at = 0;
    if (i % 2 == 1) {
      while (at < len && t[at] != ' ')
        at++;
      while (at < len && t[at] == ' ')
        at++;
    }
    while (at + k < len && t[at + k] != ' ' && t[at + k] != '\0' && k + 1 < sizeof kw) {
      kw[k] = t[at + k];
      k++;
    }
    if (i % 3 == 2 && k > 1)
      k--; /* a prefix of the word: must not match a longer keyword */
    kw[k] = '\0';
    const char *params = NULL;
    size_t plen = 0;
    bool found = smtp_reply_keyword(r, kw, &params, &plen);
    bool again = smtp_reply_keyword(r, kw, NULL, NULL);
    FUZZ_CHECK(found == again, "keyword \"%s\" found only with params wanted", kw);
    if (!found)
      continue;
    FUZZ_CHECK(params != NULL && params >= buf && (size_t)(params - buf) + plen <= (size_t)n,
               "params of keyword \"%s\" lie outside the reply", kw);
    FUZZ_CHECK(memchr(params, '\n', plen) == NULL, "params of keyword \"%s\" cross a line end", kw);
  }
}

/* reply_check_partial - a k-octet prefix of an n-octet reply still needs more input. */
static void reply_check_partial(const char *buf, size_t k, ssize_t n, struct smtp_reply *p) {
  ssize_t got = smtp_reply_parse(buf, k, p);
  FUZZ_CHECK(got == -2, "a %zu-octet prefix of a %zd-octet reply returned %zd", k, n, got);
}

/* reply_check_prefixes - shorter prefixes need more input; the exact span is the same. */
static void reply_check_prefixes(const char *buf, ssize_t n, const struct smtp_reply *r) {
  struct smtp_reply *p = malloc(sizeof *p);
  if (p == NULL)
    return;
  ssize_t again = smtp_reply_parse(buf, (size_t)n, p);
  FUZZ_CHECK(again == n && reply_same(r, p), "parsing only the consumed octets differs");
  size_t step = (size_t)n <= REPLY_PREFIX_ALL_MAX ? 1 : (size_t)n / REPLY_PREFIX_ALL_MAX + 1;
  for (size_t k = 0; k + 1 < (size_t)n; k += step)
    reply_check_partial(buf, k, n, p);
  reply_check_partial(buf, (size_t)n - 1, n, p);
  free(p);
}

/* reply_check_roundtrip - format the parsed lines again and parse the result. */
static void reply_check_roundtrip(const struct smtp_reply *r) {
  size_t lines = r->nlines;
  if (r->defects != 0 || lines > SMTP_REPLY_LINES_MAX || r->lines[lines - 1].len == 0)
    return; /* the formatter never writes an empty last line as "NNN " */
  size_t tlen = 0;
  for (size_t i = 0; i < lines; i++) {
    /* RFC 5321 4.2 textstring (HT, %d32-126) is what the formatter keeps as it is. */
    for (size_t k = 0; k < r->lines[i].len; k++) {
      unsigned char c = (unsigned char)r->lines[i].text[k];
      if (c != '\t' && (c < 32 || c > 126))
        return;
    }
    tlen += r->lines[i].len + 1;
  }
  char *text = malloc(tlen + 1), *out = malloc(tlen * 2 + REPLY_FORMAT_SLACK);
  struct smtp_reply *again = malloc(sizeof *again);
  if (text == NULL || out == NULL || again == NULL)
    goto out;
  size_t at = 0;
  for (size_t i = 0; i < lines; i++) {
    memcpy(text + at, r->lines[i].text, r->lines[i].len);
    at += r->lines[i].len;
    text[at++] = '\n';
  }
  text[at - 1] = '\0';
  int n = smtp_reply_format(out, tlen * 2 + REPLY_FORMAT_SLACK, r->code, NULL, text);
  FUZZ_CHECK(n > 0, "formatter refused the lines of a well-formed %d reply", r->code);
  ssize_t m = smtp_reply_parse(out, (size_t)n, again);
  FUZZ_CHECK(m == n && again->defects == 0 && again->code == r->code && again->nlines == lines,
             "parse -> format -> parse changed a %d reply of %zu lines", r->code, lines);
  for (size_t i = 0; i < lines; i++)
    FUZZ_CHECK(again->lines[i].len == r->lines[i].len &&
                   memcmp(again->lines[i].text, r->lines[i].text, r->lines[i].len) == 0,
               "parse -> format -> parse changed line %zu", i);
out:
  free(text);
  free(out);
  free(again);
}

/* reply_check_format - the whole input as reply text: the output is always well formed. */
static void reply_check_format(const uint8_t *data, size_t size) {
  if (size < 2)
    return;
  /* The first two octets choose a valid code (RFC 5321 4.2: 2-5, 0-5, 0-9) and whether
   * an enhanced code (RFC 3463, same class) goes in. */
  static const char *const enhanced_of[] = {"2.0.0", NULL, "4.0.0", "5.0.0"};
  int code = (2 + data[0] % 4) * 100 + (data[1] % 6) * 10 + (data[0] / 4) % 10;
  const char *enhanced = (data[1] & 0x80) ? enhanced_of[data[0] % 4] : NULL;
  char *text = malloc(size - 1), *out = malloc(size * 4 + REPLY_FORMAT_SLACK);
  struct smtp_reply *r = malloc(sizeof *r);
  if (text == NULL || out == NULL || r == NULL)
    goto out;
  memcpy(text, data + 2, size - 2);
  text[size - 2] = '\0'; /* the formatter takes a C string: it ends at the first NUL */
  int n = smtp_reply_format(out, size * 4 + REPLY_FORMAT_SLACK, code, enhanced, text);
  FUZZ_CHECK(n > 0, "formatter refused plain text for code %d", code);
  ssize_t m = smtp_reply_parse(out, (size_t)n, r);
  FUZZ_CHECK(m == n, "formatted reply parsed to %zd of %d octets", m, n);
  /* "NNN" alone is the formatter's chosen form of a last line without text (4.2). */
  unsigned bad = r->defects & ~(unsigned)SMTP_REPLY_NO_TEXT_SEP;
  FUZZ_CHECK(bad == 0, "formatted reply has defects 0x%x (first: %s)", bad,
             smtp_reply_defect_text(bad & -bad));
  FUZZ_CHECK(r->code == code, "formatted %d parsed as %d", code, r->code);
  if (enhanced != NULL)
    FUZZ_CHECK(r->has_enhanced, "enhanced code %s lost", enhanced);
  /* Too small a buffer is -1, never a truncated reply. */
  FUZZ_CHECK(smtp_reply_format(out, (size_t)n - 1, code, enhanced, text) == -1,
             "formatter wrote %d octets into %d", n, n - 1);
out:
  free(text);
  free(out);
  free(r);
}

/* LLVMFuzzerTestOneInput - reply after reply as a client reads them, then the formatter. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  size_t pos = 0;
  struct smtp_reply *r = malloc(sizeof *r);
  if (r == NULL)
    return 0;
  while (pos < size) {
    ssize_t n = smtp_reply_parse(buf + pos, size - pos, r);
    if (n == -2)
      break;
    if (n == -1) {
      FUZZ_CHECK(r->raw >= buf + pos && r->raw_len <= size - (size_t)(r->raw - buf),
                 "-1 with an offending span outside the input");
      /* Skip the offending line as a client would, and go on. */
      const char *lf = memchr(buf + pos, '\n', size - pos);
      if (lf == NULL)
        break;
      pos = (size_t)(lf - buf) + 1;
      continue;
    }
    FUZZ_CHECK(n > 0 && (size_t)n <= size - pos, "parse returned %zd with %zu left", n, size - pos);
    reply_check_one(buf + pos, n, r);
    reply_check_defects(r);
    reply_check_keyword(buf + pos, n, r);
    reply_check_prefixes(buf + pos, n, r);
    reply_check_roundtrip(r);
    pos += (size_t)n;
  }
  free(r);
  reply_check_format(data, size);
  return 0;
}
