/* vars.c - expand script templates: escapes, ${STR*N} repetition and $variables. */
#include "vars.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names as written in scripts, indexed by enum var_id. */
static const char *const var_names[VAR_COUNT] = {
    "ehlo",  "from",       "rcpt",        "foreign",    "user",
    "pass",  "auth_plain", "user_b64",    "pass_b64",   "host",
    "token", "rcpt_local", "rcpt_domain", "size_limit", "size_over_limit",
};

/* vars_name - a variable's script name. */
const char *vars_name(enum var_id id) {
  return (unsigned)id < VAR_COUNT ? var_names[id] : "?";
}

/* hexval - value of one hex digit, -1 if not one. */
static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* lookup - the variable named by s[0..n), or -1. */
static int lookup(const char *s, size_t n) {
  for (int i = 0; i < VAR_COUNT; i++)
    if (strlen(var_names[i]) == n && !memcmp(var_names[i], s, n))
      return i;
  return -1;
}

/* uses_of - the implicit requirement a variable brings. */
static unsigned uses_of(int id) {
  switch (id) {
  case VAR_FOREIGN:
    return VAR_USES_FOREIGN;
  case VAR_USER:
  case VAR_PASS:
  case VAR_AUTH_PLAIN:
  case VAR_USER_B64:
  case VAR_PASS_B64:
    return VAR_USES_AUTH;
  case VAR_RCPT_DOMAIN:
    return VAR_USES_DOMAIN;
  case VAR_SIZE_LIMIT:
  case VAR_SIZE_OVER_LIMIT:
    return VAR_USES_SIZE;
  default:
    return 0;
  }
}

/* Where one walk over a template writes: out may be NULL (checking only). */
struct walk {
  const struct vars *v;
  struct sbuf *out;
  size_t start; /* out->len when the walk began */
  unsigned uses;
  char *err;
  size_t errlen;
};

/* emit - append octets to the output, enforcing VARS_EXPAND_MAX. */
static int emit(struct walk *w, const void *data, size_t n) {
  if (!w->out)
    return 0;
  if (w->out->len - w->start + n > VARS_EXPAND_MAX) {
    snprintf(w->err, w->errlen, "expansion exceeds %u octets", VARS_EXPAND_MAX);
    return -1;
  }
  if (sbuf_append(w->out, data, n) < 0) {
    snprintf(w->err, w->errlen, "out of memory");
    return -1;
  }
  return 0;
}

/* escape - decode one escape at s[0]=='\\'; returns octets used, -1 on a bad escape. */
static int escape(const char *s, size_t n, char *octet, char *err, size_t errlen) {
  if (n < 2) {
    snprintf(err, errlen, "'\\' at the end of the text (write \\\\)");
    return -1;
  }
  switch (s[1]) {
  case 'r':
    *octet = '\r';
    return 2;
  case 'n':
    *octet = '\n';
    return 2;
  case 't':
    *octet = '\t';
    return 2;
  case '0':
    *octet = '\0';
    return 2;
  case '\\':
  case '$':
    *octet = s[1];
    return 2;
  case 'x':
    if (n >= 4 && hexval((unsigned char)s[2]) >= 0 && hexval((unsigned char)s[3]) >= 0) {
      *octet = (char)(hexval((unsigned char)s[2]) * 16 + hexval((unsigned char)s[3]));
      return 4;
    }
    snprintf(err, errlen, "\\x needs two hex digits");
    return -1;
  default:
    if (isprint((unsigned char)s[1]))
      snprintf(err, errlen, "unknown escape '\\%c'", s[1]);
    else
      snprintf(err, errlen, "unknown escape '\\\\x%02x'", (unsigned char)s[1]);
    return -1;
  }
}

/* escaped - decode the escape at s[0]=='\\' into w; octets used, or -1. */
static int escaped(struct walk *w, const char *s, size_t n) {
  char octet;
  int used = escape(s, n, &octet, w->err, w->errlen);
  if (used < 0 || emit(w, &octet, 1) < 0)
    return -1;
  return used;
}

/* plain - copy s up to the first octet in stops (or the end) into w; octets used, or -1. */
static int plain(struct walk *w, const char *s, size_t n, const char *stops) {
  size_t j = 0;
  while (j < n && !memchr(stops, s[j], strlen(stops)))
    j++;
  return emit(w, s, j) < 0 ? -1 : (int)j;
}

/* literal - decode text with escapes only (no variables) into w; -1 on a bad escape. */
static int literal(struct walk *w, const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    int used = s[i] == '\\' ? escaped(w, s + i, n - i) : plain(w, s + i, n - i, "\\");
    if (used < 0)
      return -1;
    i += (size_t)used;
  }
  return 0;
}

/* variable - expand the variable id into w (or note its use when checking). */
static int variable(struct walk *w, int id) {
  w->uses |= uses_of(id);
  if (!w->v)
    return 0;
  const char *val = w->v->val[id];
  if (!val) {
    snprintf(w->err, w->errlen, "$%s has no value", var_names[id]);
    return -1;
  }
  return emit(w, val, strlen(val));
}

/* braced - s points after "${": a ${STR*N} or ${name}; returns octets used after
 * the "${", or -1. STR ends at the first '*' followed by digits and '}'. */
static int braced(struct walk *w, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '*') {
      size_t j = i + 1;
      unsigned long count = 0;
      for (; j < n && isdigit((unsigned char)s[j]); j++)
        if (count <= VARS_EXPAND_MAX)
          count = count * 10 + (unsigned long)(s[j] - '0');
      if (j > i + 1 && j < n && s[j] == '}') {
        if (count > VARS_EXPAND_MAX) {
          snprintf(w->err, w->errlen, "repetition count over %u", VARS_EXPAND_MAX);
          return -1;
        }
        /* Decode STR once, then copy it count times. */
        struct sbuf one = {0};
        struct walk sub = *w;
        sub.out = &one;
        sub.start = 0;
        int rc = literal(&sub, s, i);
        if (rc == 0 && i == 0) {
          snprintf(w->err, w->errlen, "empty string in ${STR*N}");
          rc = -1;
        }
        if (rc == 0 && w->out && one.len * count > VARS_EXPAND_MAX) {
          snprintf(w->err, w->errlen, "expansion exceeds %u octets", VARS_EXPAND_MAX);
          rc = -1;
        }
        for (unsigned long k = 0; rc == 0 && w->out && k < count; k++)
          rc = emit(w, one.p, one.len);
        sbuf_free(&one);
        return rc < 0 ? -1 : (int)(j + 1);
      }
    }
    if (s[i] == '}') {
      int id = lookup(s, i);
      if (id < 0) {
        snprintf(w->err, w->errlen, "unknown variable '${%.*s}'", (int)i, s);
        return -1;
      }
      return variable(w, id) < 0 ? -1 : (int)(i + 1);
    }
  }
  snprintf(w->err, w->errlen, "'${' without a closing '}' (${name} or ${STR*N})");
  return -1;
}

/* walk - the one pass shared by checking and expanding. */
static int walk(struct walk *w, const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (s[i] == '\\') {
      int used = escaped(w, s + i, n - i);
      if (used < 0)
        return -1;
      i += (size_t)used;
    } else if (s[i] == '$') {
      if (i + 1 < n && s[i + 1] == '{') {
        int used = braced(w, s + i + 2, n - i - 2);
        if (used < 0)
          return -1;
        i += 2 + (size_t)used;
        continue;
      }
      size_t j = i + 1;
      while (j < n && (islower((unsigned char)s[j]) || s[j] == '_' ||
                       (j > i + 1 && isdigit((unsigned char)s[j]))))
        j++;
      if (j == i + 1) {
        snprintf(w->err, w->errlen, "'$' not followed by a variable name (write \\$)");
        return -1;
      }
      int id = lookup(s + i + 1, j - i - 1);
      if (id < 0) {
        snprintf(w->err, w->errlen, "unknown variable '$%.*s'", (int)(j - i - 1), s + i + 1);
        return -1;
      }
      if (variable(w, id) < 0)
        return -1;
      i = j;
    } else {
      int used = plain(w, s + i, n - i, "\\$");
      if (used < 0)
        return -1;
      i += (size_t)used;
    }
  }
  return 0;
}

/* vars_check - validate a template and report the variables it needs. */
int vars_check(const char *tmpl, size_t len, unsigned *uses, char *err, size_t errlen) {
  struct walk w = {.err = err, .errlen = errlen};
  if (walk(&w, tmpl, len) < 0)
    return -1;
  *uses |= w.uses;
  return 0;
}

/* vars_expand - append a template's expansion to out. */
int vars_expand(const char *tmpl, size_t len, const struct vars *v, struct sbuf *out, char *err,
                size_t errlen) {
  struct walk w = {.v = v, .out = out, .start = out->len, .err = err, .errlen = errlen};
  return walk(&w, tmpl, len);
}

/* vars_base64 - RFC 4648 4 base64 with padding. */
int vars_base64(const void *data, size_t n, struct sbuf *out) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)p[i + 1] << 8;
    if (i + 2 < n)
      v |= p[i + 2];
    char q[4] = {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
                 i + 1 < n ? alphabet[(v >> 6) & 63] : '=', i + 2 < n ? alphabet[v & 63] : '='};
    if (sbuf_append(out, q, 4) < 0)
      return -1;
  }
  return 0;
}
