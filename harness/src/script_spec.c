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

/* word_is - true if s[i..) starts with word w followed by a blank, '|', '~' or the end. */
static bool word_is(const char *s, size_t n, size_t i, const char *w) {
  size_t wl = strlen(w);
  if (n - i < wl || strncmp(s + i, w, wl) != 0)
    return false;
  return i + wl == n || s[i + wl] == ' ' || s[i + wl] == '\t' || s[i + wl] == '|' ||
         s[i + wl] == '~';
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

/* script_parse_spec - CODES[|...] [~ TEXT] | any [~ TEXT] | closed | silence SECONDS. */
int script_parse_spec(const char *s, size_t n, struct reply_spec *spec, char *err, size_t errlen) {
  memset(spec, 0, sizeof *spec);
  size_t i = skip_space(s, n, 0);
  while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    n--;
  if (i == n) {
    snprintf(err, errlen, "'<' needs a reply spec (a code, 2xx, any, closed or silence N)");
    return -1;
  }
  if (word_is(s, n, i, "silence")) {
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
    for (;;) {
      size_t j = i;
      while (j < n && s[j] != '|' && s[j] != ' ' && s[j] != '\t' && s[j] != '~')
        j++;
      if (j - i == 6 && !strncmp(s + i, "closed", 6)) {
        spec->or_closed = true;
      } else if (code_pattern(s + i, j - i)) {
        if (spec->ncodes == SPEC_ALTS_MAX) {
          snprintf(err, errlen, "more than %d alternatives", SPEC_ALTS_MAX);
          return -1;
        }
        for (size_t k = 0; k < 3; k++)
          spec->codes[spec->ncodes][k] = (char)tolower((unsigned char)s[i + k]);
        spec->ncodes++;
      } else {
        snprintf(err, errlen,
                 "bad reply spec '%.*s' (expected a code like 250, 2xx, 25x, "
                 "closed, any or silence N)",
                 (int)(j - i), s + i);
        return -1;
      }
      i = skip_space(s, n, j);
      if (i < n && s[i] == '|') {
        i = skip_space(s, n, i + 1);
        continue;
      }
      break;
    }
    if (spec->ncodes == 0) {
      snprintf(err, errlen, "'closed' as an alternative needs a code beside it");
      return -1;
    }
  }
  if (i == n)
    return 0;
  if (s[i] != '~') {
    snprintf(err, errlen, "unexpected '%.*s' after the reply spec (text goes after '~ ')",
             (int)(n - i), s + i);
    return -1;
  }
  i = skip_space(s, n, i + 1);
  if (i == n) {
    snprintf(err, errlen, "'~' needs a text to look for");
    return -1;
  }
  unsigned uses = 0;
  if (vars_check(s + i, n - i, &uses, err, errlen) < 0)
    return -1;
  spec->text = malloc(n - i + 1);
  if (!spec->text) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(spec->text, s + i, n - i);
  spec->text[n - i] = '\0';
  spec->text_len = n - i;
  return 0;
}
