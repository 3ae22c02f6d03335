/* expect.c - reply expectations: code patterns, alternatives, text, EHLO keywords. */
#include "expect.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wire.h"

/* expect_code - each pattern position is a digit that must be equal, or 'x'. */
bool expect_code(const char codes[][3], size_t ncodes, int code) {
  if (code < 100 || code > 999)
    return false;
  char digits[3] = {(char)('0' + code / 100), (char)('0' + code / 10 % 10),
                    (char)('0' + code % 10)};
  for (size_t i = 0; i < ncodes; i++) {
    bool ok = true;
    for (size_t k = 0; k < 3 && ok; k++)
      ok = codes[i][k] == 'x' || codes[i][k] == digits[k];
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

/* describe_codes - "250|251" into buf at pos; returns the new pos. */
static size_t describe_codes(const char codes[][3], size_t n, char *buf, size_t cap, size_t pos) {
  for (size_t i = 0; i < n && pos + 5 < cap; i++)
    pos += (size_t)snprintf(buf + pos, cap - pos, "%s%.3s", i ? "|" : "", codes[i]);
  return pos;
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
  pos = describe_codes(spec->codes, spec->ncodes, buf, cap, pos);
  if (spec->or_closed && pos + 8 < cap)
    pos += (size_t)snprintf(buf + pos, cap - pos, "|closed");
  if (spec->or_silence && pos + 24 < cap)
    snprintf(buf + pos, cap - pos, "|silence %g", (double)spec->silence_ms / 1000);
}

/* first_line - "CODE text" of the reply's first line, escaped and cut at 80 octets. */
static void first_line(const struct smtp_reply *r, char *got, size_t cap) {
  size_t first = r->nlines ? r->lines[0].len : 0;
  struct sbuf esc = {0};
  if (r->nlines)
    wire_escape(r->lines[0].text, first < 80 ? first : 80, &esc);
  snprintf(got, cap, "%03d %s%s", r->code, esc.p ? esc.p : "", first > 80 ? "..." : "");
  sbuf_free(&esc);
}

/* shape_holds - 1 if r has the shape, 0 with a reason ("what" names the expectation),
 * -1 if its text cannot be expanded. */
static int shape_holds(const struct reply_shape *sh, const struct smtp_reply *r,
                       const struct vars *v, const char *what, const char *got, char *reason,
                       size_t reasonlen) {
  if (sh->single_line && r->nlines != 1) {
    snprintf(reason, reasonlen, "expected %s as a single-line reply, got %zu lines (%s ...)", what,
             r->nlines, got);
    return 0;
  }
  if (!sh->text)
    return 1;
  struct sbuf needle = {0};
  char err[256];
  if (vars_expand(sh->text, sh->text_len, v, &needle, err, sizeof err) < 0) {
    snprintf(reason, reasonlen, "%s", err);
    sbuf_free(&needle);
    return -1;
  }
  int rc = 1;
  if (expect_text(r, needle.p ? needle.p : "", needle.len) == sh->text_absent) {
    struct sbuf n = {0};
    wire_escape(needle.p ? needle.p : "", needle.len < 80 ? needle.len : 80, &n);
    snprintf(reason, reasonlen, "expected %s with %s line containing \"%s\", got %s", what,
             sh->text_absent ? "no" : "a", n.p ? n.p : "", got);
    sbuf_free(&n);
    rc = 0;
  }
  sbuf_free(&needle);
  return rc;
}

/* expect_reply - the code first, then the shape, then the conditions that apply. */
int expect_reply(const struct reply_spec *spec, const struct smtp_reply *r, const struct vars *v,
                 char *reason, size_t reasonlen) {
  char want[96], got[160];
  expect_describe(spec, want, sizeof want);
  first_line(r, got, sizeof got);
  if (spec->kind == SPEC_CODES && !expect_code(spec->codes, spec->ncodes, r->code)) {
    snprintf(reason, reasonlen, "expected %s, got %s", want, got);
    return 0;
  }
  int rc = shape_holds(&spec->shape, r, v, want, got, reason, reasonlen);
  for (size_t i = 0; rc == 1 && i < spec->nconds; i++) {
    const struct reply_cond *c = &spec->conds[i];
    if (!expect_code(c->codes, c->ncodes, r->code))
      continue;
    char what[64];
    snprintf(what, sizeof what, "a ");
    describe_codes(c->codes, c->ncodes, what + 2, sizeof what - 2, 0);
    rc = shape_holds(&c->shape, r, v, what, got, reason, reasonlen);
  }
  return rc;
}

/* expect_ext_offered - KEYWORD, or KEYWORD=PARAM with PARAM among the line's words. */
bool expect_ext_offered(const struct smtp_reply *r, const char *spec) {
  const char *eq = strchr(spec, '=');
  char kw[80];
  size_t kl = eq ? (size_t)(eq - spec) : strlen(spec);
  if (kl >= sizeof kw)
    return false;
  memcpy(kw, spec, kl);
  kw[kl] = '\0';
  const char *params = NULL;
  size_t plen = 0;
  if (!smtp_reply_keyword(r, kw, &params, &plen))
    return false;
  if (!eq)
    return true;
  const char *want = eq + 1;
  size_t wl = strlen(want), i = 0;
  while (i < plen) {
    while (i < plen && (params[i] == ' ' || params[i] == '\t'))
      i++;
    size_t j = i;
    while (j < plen && params[j] != ' ' && params[j] != '\t')
      j++;
    if (j - i == wl && wl && strncasecmp(params + i, want, wl) == 0)
      return true;
    i = j;
  }
  return false;
}

/* expect_size_limit - RFC 1870 4: size-value is 1*20DIGIT; 0 means no fixed limit. */
bool expect_size_limit(const struct smtp_reply *r, char *buf, size_t cap) {
  const char *params = NULL;
  size_t plen = 0;
  if (!smtp_reply_keyword(r, "SIZE", &params, &plen))
    return false;
  size_t i = 0;
  while (i < plen && (params[i] == ' ' || params[i] == '\t'))
    i++;
  while (i < plen && params[i] == '0')
    i++;
  size_t j = i;
  while (j < plen && isdigit((unsigned char)params[j]))
    j++;
  if (j == i || j - i > 20 || j - i >= cap || (j < plen && params[j] != ' ' && params[j] != '\t'))
    return false;
  memcpy(buf, params + i, j - i);
  buf[j - i] = '\0';
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
