/* maildir_header.c - find, count and unfold header fields of a delivered message
 * (RFC 5322 2.2, 2.2.3). */
#include "maildir_header.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One header field as it lies in the message: its name and its raw body (after the ':'
 * up to the end of its last continuation line, line ends inside it). */
struct field {
  const char *name;
  size_t name_len;
  const char *body;
  size_t body_len;
};

/* line_end - the end of the line starting at i (its '\n', or n) and its length without
 * the line ending (a CR before the LF is part of the ending). */
static size_t line_end(const char *msg, size_t n, size_t i, size_t *content) {
  const char *lf = memchr(msg + i, '\n', n - i);
  size_t e = lf ? (size_t)(lf - msg) : n;
  *content = e - i;
  if (lf && *content && msg[e - 1] == '\r')
    (*content)--;
  return e;
}

/* is_blank - RFC 5234 WSP. */
static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

/* next_field - the field starting at *pos, or false at the end of the header section (the
 * empty line, or the end of msg). Lines that are neither a field nor a continuation (no
 * ':') are passed over: they are not fields of any name. */
static bool next_field(const char *msg, size_t n, size_t *pos, struct field *f) {
  while (*pos < n) {
    size_t content, start = *pos;
    size_t e = line_end(msg, n, start, &content);
    if (content == 0)
      return false; /* RFC 5322 2.1: an empty line ends the header section */
    *pos = e < n ? e + 1 : n;
    const char *colon = memchr(msg + start, ':', content);
    if (is_blank(msg[start]) || !colon)
      continue; /* a continuation with no field before it, or not a field */
    /* RFC 5322 2.2.3: a line that starts with a blank continues the field. */
    size_t last_end = start + content;
    while (*pos < n && is_blank(msg[*pos])) {
      size_t c;
      size_t ce = line_end(msg, n, *pos, &c);
      last_end = *pos + c;
      *pos = ce < n ? ce + 1 : n;
    }
    f->name = msg + start;
    f->name_len = (size_t)(colon - (msg + start));
    while (f->name_len && is_blank(f->name[f->name_len - 1]))
      f->name_len--; /* RFC 5322 4.5: obsolete blanks before the ':' */
    f->body = colon + 1;
    f->body_len = last_end - (size_t)(colon + 1 - msg);
    return true;
  }
  return false;
}

/* name_is - the field's name is `name`, ASCII case-insensitive (RFC 5322 1.2.2). */
static bool name_is(const struct field *f, const char *name) {
  size_t l = strlen(name);
  return f->name_len == l && !strncasecmp(f->name, name, l);
}

/* unfold - the body without its line breaks (RFC 5322 2.2.3) and without leading and
 * trailing blanks, NUL-terminated; NULL when out of memory. */
static char *unfold(const struct field *f) {
  char *v = malloc(f->body_len + 1);
  if (!v)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < f->body_len; i++) {
    char c = f->body[i];
    if (c == '\n' || (c == '\r' && i + 1 < f->body_len && f->body[i + 1] == '\n'))
      continue;
    if (o == 0 && is_blank(c))
      continue;
    v[o++] = c;
  }
  while (o && is_blank(v[o - 1]))
    o--;
  v[o] = '\0';
  return v;
}

/* mail_header_value - see maildir_header.h. */
int mail_header_value(const char *msg, size_t n, const char *name, char **value) {
  struct field f;
  size_t pos = 0;
  *value = NULL;
  while (next_field(msg, n, &pos, &f)) {
    if (!name_is(&f, name))
      continue;
    *value = unfold(&f);
    return *value ? 1 : -1;
  }
  return 0;
}

/* mail_header_count - see maildir_header.h. */
long mail_header_count(const char *msg, size_t n, const char *name) {
  struct field f;
  size_t pos = 0;
  long count = 0;
  while (next_field(msg, n, &pos, &f))
    if (name_is(&f, name))
      count++;
  return count;
}

/* mail_header_name_ok - see maildir_header.h. */
int mail_header_name_ok(const char *name, size_t n) {
  if (n == 0 || n > 76)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    /* RFC 5322 3.6.8: ftext = %d33-57 / %d59-126 */
    if (c < 33 || c > 126 || c == ':')
      return 0;
  }
  return 1;
}

/* repeat_weight - the product of the largest bound of every `{n}`, `{n,}`, `{,m}` or `{n,m}` in the
 * pattern, capped at cap + 1: glibc's regcomp expands bounded repetitions, so nested large
 * bounds cost seconds and gigabytes (`a{1,32767}`: 5 s, then REG_ESPACE). */
static unsigned long repeat_weight(const char *pattern, unsigned long cap) {
  unsigned long weight = 1;
  for (const char *q = pattern; *q; q++) {
    if (*q != '{' || !(isdigit((unsigned char)q[1]) || q[1] == ','))
      continue;
    unsigned long largest = 0, v = 0;
    const char *e = q + 1;
    for (; isdigit((unsigned char)*e) || *e == ','; e++) {
      v = *e == ',' ? 0 : (v > cap ? v : v * 10 + (unsigned long)(*e - '0'));
      largest = v > largest ? v : largest;
    }
    if (*e != '}')
      continue;
    weight *= largest > 1 ? largest : 1;
    if (weight > cap)
      return cap + 1;
  }
  return weight;
}

/* mail_header_regcomp - see maildir_header.h. */
int mail_header_regcomp(regex_t *re, const char *pattern, char *err, size_t errlen) {
  if (strlen(pattern) > MAIL_HEADER_PATTERN_MAX) {
    snprintf(err, errlen, "longer than %d octets", MAIL_HEADER_PATTERN_MAX);
    return -1;
  }
  if (repeat_weight(pattern, MAIL_HEADER_REPEAT_MAX) > MAIL_HEADER_REPEAT_MAX) {
    snprintf(err, errlen, "the repetition bounds multiply to over %d", MAIL_HEADER_REPEAT_MAX);
    return -1;
  }
  int rc = regcomp(re, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB);
  if (rc == 0)
    return 0;
  char msg[200];
  regerror(rc, re, msg, sizeof msg);
  snprintf(err, errlen, "%s", msg);
  return -1;
}
