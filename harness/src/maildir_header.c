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

/* What the atom before a repetition operator is, as far as the empty string goes. */
enum ere_atom { ATOM_NONE, ATOM_SOLID, ATOM_EMPTYABLE };

/* One open group of a pattern: whether the alternative being read can match the empty
 * string so far, whether an earlier one could, and that before the last atom; what its
 * atoms so far cost regcomp (ere_check) and what the last one did. */
struct ere_group {
  bool alt_empty, any_empty, before_atom;
  unsigned long cost, atom_cost;
};

/* Everything ere_check keeps: the open groups (the pattern is at most
 * MAIL_HEADER_PATTERN_MAX octets, so at most half of that nested), the last atom, and the
 * cap on costs. */
struct ere_scan {
  struct ere_group g[MAIL_HEADER_PATTERN_MAX / 2 + 2];
  size_t depth;
  enum ere_atom prev;
  unsigned long cap;
};

/* The cost of one character, bracket expression or anchor, and of a group's own node. */
#define ERE_NODE_COST 8

/* ere_atom - an atom of the given cost was read: the current alternative can match the
 * empty string only if the atom can. */
static void ere_atom(struct ere_scan *s, enum ere_atom a, unsigned long cost) {
  struct ere_group *g = &s->g[s->depth];
  g->before_atom = g->alt_empty;
  g->alt_empty = g->alt_empty && a == ATOM_EMPTYABLE;
  if (cost > s->cap)
    cost = s->cap + 1;
  g->cost = g->cost + cost > s->cap ? s->cap + 1 : g->cost + cost;
  g->atom_cost = cost;
  s->prev = a;
}

/* ere_expand - the last atom is repeated {min,max}: glibc's regcomp copies it max times
 * (linear) and nests the max - min optional copies, whose closures cost it the square
 * (measured: a{1,1000} 6 ms, a{1,3000} 74 ms, a{1000} 0.1 ms). */
static void ere_expand(struct ere_scan *s, unsigned long min, unsigned long max) {
  struct ere_group *g = &s->g[s->depth];
  unsigned long c = g->atom_cost, k = max > min ? max - min : 0, cap = s->cap;
  if (max < 1)
    max = 1;
  unsigned long lin = c > cap / max ? cap + 1 : c * max;
  unsigned long sq = k > 0 && c / ERE_NODE_COST > cap / k / k ? cap + 1 : c / ERE_NODE_COST * k * k;
  unsigned long total = lin + sq > cap ? cap + 1 : lin + sq;
  unsigned long before = g->cost > c ? g->cost - c : 0; /* the cost without this atom */
  g->cost = before + total > cap ? cap + 1 : before + total;
  g->atom_cost = total;
}

/* ere_repeat - a repetition operator with lower bound min; false when it repeats an atom
 * that can match the empty string (glibc's regcomp is exponential over a few of those). */
static bool ere_repeat(struct ere_scan *s, unsigned long min) {
  if (s->prev == ATOM_EMPTYABLE)
    return false;
  if (s->prev == ATOM_SOLID && min == 0) {
    struct ere_group *g = &s->g[s->depth];
    g->alt_empty = g->before_atom; /* the atom may now be absent */
    s->prev = ATOM_EMPTYABLE;
  }
  return true;
}

/* ere_bracket - the end of the bracket expression at p (on its '['): past its ']', or
 * NULL when it has none (regcomp then says so). */
static const char *ere_bracket(const char *p) {
  const char *q = p + 1;
  if (*q == '^')
    q++;
  if (*q == ']')
    q++; /* a leading ']' is a member */
  while (*q && *q != ']') {
    if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
      char kind = q[1];
      q += 2;
      while (*q && !(*q == kind && q[1] == ']'))
        q++;
      if (!*q)
        return NULL;
      q += 2;
    } else {
      q++;
    }
  }
  return *q ? q + 1 : NULL;
}

/* ere_bound - a `{n}`, `{n,}`, `{,m}` or `{n,m}` at p: its end (past '}'), its lower
 * bound and its largest one (capped at cap + 1); NULL when p does not start one. */
static const char *ere_bound(const char *p, unsigned long cap, unsigned long *min,
                             unsigned long *largest) {
  const char *e = p + 1;
  unsigned long v = 0;
  bool comma = false;
  if (!isdigit((unsigned char)*e) && *e != ',')
    return NULL;
  *min = 0;
  *largest = 0;
  for (; isdigit((unsigned char)*e) || *e == ','; e++) {
    if (*e == ',') {
      comma = true;
      v = 0;
      continue;
    }
    v = v > cap ? v : v * 10 + (unsigned long)(*e - '0');
    if (!comma)
      *min = v;
    *largest = v > *largest ? v : *largest;
  }
  return *e == '}' ? e + 1 : NULL;
}

/* ere_check - walk an extended regular expression (POSIX.1-2017 9.4) for what glibc's
 * regcomp and regexec cannot do in bounded time; NULL when fine, else the reason. Syntax
 * errors are left to regcomp. */
static const char *ere_check(const char *pattern, unsigned long cap) {
  struct ere_scan *s = calloc(1, sizeof *s);
  const char *why = NULL;
  if (!s)
    return "out of memory";
  s->g[0].alt_empty = true;
  s->cap = cap;
  for (const char *p = pattern; *p && !why;) {
    unsigned long min, largest;
    const char *end;
    switch (*p) {
    case '(':
      s->depth++;
      s->g[s->depth] = (struct ere_group){.alt_empty = true};
      s->prev = ATOM_NONE;
      p++;
      break;
    case ')':
      if (s->depth == 0) {
        ere_atom(s, ATOM_SOLID, ERE_NODE_COST); /* an unmatched ')' is an ordinary character */
      } else {
        const struct ere_group *g = &s->g[s->depth--];
        ere_atom(s, g->alt_empty || g->any_empty ? ATOM_EMPTYABLE : ATOM_SOLID,
                 g->cost + ERE_NODE_COST);
      }
      p++;
      break;
    case '|':
      s->g[s->depth].any_empty |= s->g[s->depth].alt_empty;
      s->g[s->depth].alt_empty = true;
      s->prev = ATOM_NONE;
      p++;
      break;
    case '^':
    case '$':
      ere_atom(s, ATOM_EMPTYABLE, ERE_NODE_COST); /* anchors match the empty string */
      p++;
      break;
    case '[':
      end = ere_bracket(p);
      ere_atom(s, ATOM_SOLID, ERE_NODE_COST);
      p = end ? end : p + strlen(p);
      break;
    case '\\':
      if (p[1] >= '1' && p[1] <= '9')
        why = "back-references (\\1 ... \\9) are not part of POSIX extended expressions";
      /* glibc's word anchors match the empty string; other escapes one character */
      ere_atom(s, p[1] && strchr("bB<>`'", p[1]) ? ATOM_EMPTYABLE : ATOM_SOLID, ERE_NODE_COST);
      p += p[1] ? 2 : 1;
      break;
    case '*':
    case '?':
    case '+':
      if (!ere_repeat(s, *p == '+'))
        why = "a repeated subexpression can match the empty string";
      p++;
      break;
    case '{':
      end = ere_bound(p, cap, &min, &largest);
      if (!end) {
        ere_atom(s, ATOM_SOLID, ERE_NODE_COST);
        p++;
        break;
      }
      if (s->prev != ATOM_NONE)
        ere_expand(s, min, largest);
      if (!ere_repeat(s, min))
        why = "a repeated subexpression can match the empty string";
      p = end;
      break;
    default:
      ere_atom(s, ATOM_SOLID, ERE_NODE_COST);
      p++;
    }
    if (s->depth > MAIL_HEADER_PATTERN_MAX / 2)
      break; /* cannot happen within the length limit */
  }
  /* groups left open are regcomp's error; their cost so far still counts */
  unsigned long cost = 0;
  for (size_t d = 0; d <= s->depth && d < sizeof s->g / sizeof s->g[0]; d++)
    cost = cost + s->g[d].cost > cap ? cap + 1 : cost + s->g[d].cost;
  if (!why && cost > cap)
    why = "its repetition bounds expand it too far for regcomp";
  free(s);
  return why;
}

/* mail_header_regcomp - see maildir_header.h. */
int mail_header_regcomp(regex_t *re, const char *pattern, char *err, size_t errlen) {
  if (strlen(pattern) > MAIL_HEADER_PATTERN_MAX) {
    snprintf(err, errlen, "longer than %d octets", MAIL_HEADER_PATTERN_MAX);
    return -1;
  }
  const char *why = ere_check(pattern, MAIL_HEADER_EXPANSION_MAX);
  if (why) {
    snprintf(err, errlen, "%s", why);
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
