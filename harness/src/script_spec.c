/* script_spec.c - compile the reply spec of a `<` step (harness/suite/README.md). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"
#include "vars.h"

/* skip_space - advance past blanks. */
static size_t skip_space(const char *s, size_t n, size_t i) {
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  return i;
}

/* word_is - true if s[i..) starts with word w followed by a blank, '|', '~', '!' or the end. */
static bool word_is(const char *s, size_t n, size_t i, const char *w) {
  size_t wl = strlen(w);
  if (n - i < wl || strncmp(s + i, w, wl) != 0)
    return false;
  return i + wl == n || s[i + wl] == ' ' || s[i + wl] == '\t' || s[i + wl] == '|' ||
         s[i + wl] == '~' || s[i + wl] == '!';
}

/* parse_seconds - a positive decimal number of seconds (at most 3600) into ms. */
static int parse_seconds(const char *s, size_t n, long *ms) {
  char tmp[32];
  if (n == 0 || n >= sizeof tmp)
    return -1;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)tmp[i]) && tmp[i] != '.')
      return -1;
  char *end;
  double v = strtod(tmp, &end);
  if (*end || v <= 0 || v > 3600)
    return -1;
  *ms = (long)(v * 1000 + 0.5);
  return *ms > 0 ? 0 : -1;
}

/* code_pattern - one 3-character code pattern: [2-5] then digits or 'x'; RFC 5321 4.2
 * replies start with 2-5, so anything else could never match. */
static bool code_pattern(const char *s, size_t n) {
  if (n != 3 || s[0] < '2' || s[0] > '5')
    return false;
  for (size_t i = 1; i < 3; i++)
    if (!isdigit((unsigned char)s[i]) && s[i] != 'x' && s[i] != 'X')
      return false;
  return true;
}

/* token_end - the end of one alternative: at a blank, '|', '~', '!' or the end. */
static size_t token_end(const char *s, size_t n, size_t i) {
  while (i < n && s[i] != '|' && s[i] != ' ' && s[i] != '\t' && s[i] != '~' && s[i] != '!')
    i++;
  return i;
}

/* add_code - append one code pattern to codes[]; -1 with err when full. */
static int add_code(char codes[][3], size_t *ncodes, const char *s, char *err, size_t errlen) {
  if (*ncodes == SPEC_ALTS_MAX) {
    snprintf(err, errlen, "more than %d alternatives", SPEC_ALTS_MAX);
    return -1;
  }
  for (size_t k = 0; k < 3; k++)
    codes[*ncodes][k] = (char)tolower((unsigned char)s[k]);
  (*ncodes)++;
  return 0;
}

/* parse_alts - CODE|closed|silence N joined by '|' (closed and silence only when main);
 * returns the index after them, or -1 with err. */
static long parse_alts(const char *s, size_t n, size_t i, bool main, struct reply_spec *spec,
                       char codes[][3], size_t *ncodes, char *err, size_t errlen) {
  for (;;) {
    size_t j = token_end(s, n, i);
    if (main && j - i == 6 && !strncmp(s + i, "closed", 6)) {
      spec->or_closed = true;
    } else if (main && j - i == 7 && !strncmp(s + i, "silence", 7)) {
      size_t k = skip_space(s, n, j);
      j = token_end(s, n, k);
      if (spec->or_silence || parse_seconds(s + k, j - k, &spec->silence_ms) < 0) {
        snprintf(err, errlen, "silence needs a number of seconds (0 < N <= 3600), once");
        return -1;
      }
      spec->or_silence = true;
    } else if (code_pattern(s + i, j - i)) {
      if (add_code(codes, ncodes, s + i, err, errlen) < 0)
        return -1;
    } else {
      snprintf(err, errlen, "bad reply spec '%.*s' (expected a code like 250, 2xx, 25x%s)",
               (int)(j - i), s + i, main ? ", closed, any or silence N" : "");
      return -1;
    }
    i = skip_space(s, n, j);
    if (i < n && s[i] == '|') {
      i = skip_space(s, n, i + 1);
      continue;
    }
    return (long)i;
  }
}

/* parse_shape - [single-line] [~ TEXT | !~ TEXT] up to n; 0, or -1 with err. */
static int parse_shape(const char *s, size_t n, size_t i, struct reply_shape *shape, char *err,
                       size_t errlen) {
  if (word_is(s, n, i, "single-line")) {
    shape->single_line = true;
    i = skip_space(s, n, i + 11);
  }
  if (i == n)
    return 0;
  if (s[i] == '!' && i + 1 < n && s[i + 1] == '~') {
    shape->text_absent = true;
    i++;
  } else if (s[i] != '~') {
    snprintf(err, errlen,
             "unexpected '%.*s' after the reply spec (text goes after '~ ', a condition "
             "after ';')",
             (int)(n - i), s + i);
    return -1;
  }
  i = skip_space(s, n, i + 1);
  if (i == n) {
    snprintf(err, errlen, "'%s' needs a text to look for", shape->text_absent ? "!~" : "~");
    return -1;
  }
  unsigned uses = 0;
  if (vars_check(s + i, n - i, &uses, err, errlen) < 0)
    return -1;
  shape->text = malloc(n - i + 1);
  if (!shape->text) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(shape->text, s + i, n - i);
  shape->text[n - i] = '\0';
  shape->text_len = n - i;
  return 0;
}

/* trim_end - n without trailing blanks. */
static size_t trim_end(const char *s, size_t n) {
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    n--;
  return n;
}

/* parse_main - the first clause: closed | silence N | any [shape] | alternatives [shape]. */
static int parse_main(const char *s, size_t n, struct reply_spec *spec, char *err, size_t errlen) {
  size_t i = skip_space(s, n, 0);
  if (i == n) {
    snprintf(err, errlen, "'<' needs a reply spec (a code, 2xx, any, closed or silence N)");
    return -1;
  }
  if (word_is(s, n, i, "silence") && memchr(s + i, '|', n - i) == NULL) {
    spec->kind = SPEC_SILENCE;
    i = skip_space(s, n, i + 7);
    if (parse_seconds(s + i, n - i, &spec->silence_ms) < 0) {
      snprintf(err, errlen, "silence needs a number of seconds (0 < N <= 3600)");
      return -1;
    }
    return 0;
  }
  if (word_is(s, n, i, "closed") && skip_space(s, n, i + 6) == n) {
    spec->kind = SPEC_CLOSED;
    return 0;
  }
  if (word_is(s, n, i, "any")) {
    spec->kind = SPEC_ANY;
    i = skip_space(s, n, i + 3);
  } else {
    spec->kind = SPEC_CODES;
    long j = parse_alts(s, n, i, true, spec, spec->codes, &spec->ncodes, err, errlen);
    if (j < 0)
      return -1;
    i = (size_t)j;
    if (spec->ncodes == 0) {
      snprintf(err, errlen, "'%s' as an alternative needs a code beside it",
               spec->or_silence ? "silence" : "closed");
      return -1;
    }
  }
  return parse_shape(s, n, i, &spec->shape, err, errlen);
}

/* parse_cond - one `CODES [single-line] [~ TEXT]` condition after a ';'. */
static int parse_cond(const char *s, size_t n, struct reply_spec *spec, char *err, size_t errlen) {
  if (spec->kind == SPEC_CLOSED || spec->kind == SPEC_SILENCE) {
    snprintf(err, errlen, "a condition (';') needs a reply to judge: not after closed or silence");
    return -1;
  }
  if (spec->nconds == SPEC_CONDS_MAX) {
    snprintf(err, errlen, "more than %d conditions", SPEC_CONDS_MAX);
    return -1;
  }
  struct reply_cond *c = &spec->conds[spec->nconds++];
  size_t i = skip_space(s, n, 0);
  if (i == n) {
    snprintf(err, errlen, "';' needs a condition: CODES then single-line, ~ TEXT or !~ TEXT");
    return -1;
  }
  long j = parse_alts(s, n, i, false, spec, c->codes, &c->ncodes, err, errlen);
  if (j < 0 || parse_shape(s, n, (size_t)j, &c->shape, err, errlen) < 0)
    return -1;
  if (!c->shape.single_line && !c->shape.text) {
    snprintf(err, errlen,
             "the condition '%.*s' checks nothing (add single-line, ~ TEXT or !~ TEXT)",
             (int)(n - i), s + i);
    return -1;
  }
  return 0;
}

/* script_parse_spec - MAIN (; CONDITION)*: clauses split at every ';' (write \x3b for a
 * semicolon in a text). */
int script_parse_spec(const char *s, size_t n, struct reply_spec *spec, char *err, size_t errlen) {
  memset(spec, 0, sizeof *spec);
  size_t start = 0;
  bool first = true;
  for (;;) {
    const char *semi = memchr(s + start, ';', n - start);
    size_t end = semi ? (size_t)(semi - s) : n;
    size_t len = trim_end(s + start, end - start);
    int rc = first ? parse_main(s + start, len, spec, err, errlen)
                   : parse_cond(s + start, len, spec, err, errlen);
    if (rc < 0) {
      script_spec_free(spec);
      return -1;
    }
    if (!semi)
      return 0;
    start = end + 1;
    first = false;
  }
}

/* script_spec_free - the texts of the shape and of every condition. */
void script_spec_free(struct reply_spec *spec) {
  free(spec->shape.text);
  spec->shape.text = NULL;
  for (size_t i = 0; i < spec->nconds; i++) {
    free(spec->conds[i].shape.text);
    spec->conds[i].shape.text = NULL;
  }
  spec->nconds = 0;
}
