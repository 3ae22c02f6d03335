/* listen_scenario.c - the scenario file format of `smtpcheck listen`: line-oriented
 * directives that choose the greeting, the replies and the EHLO keywords. */
#include "listen_scenario.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The largest scenario file read. */
#define SCENARIO_FILE_MAX (256u * 1024u)

static const char *const point_names[LP_COUNT] = {
    [LP_HELO] = "HELO",         [LP_EHLO] = "EHLO", [LP_MAIL] = "MAIL",
    [LP_RCPT] = "RCPT",         [LP_DATA] = "DATA", [LP_DATA_END] = "DATA-END",
    [LP_RSET] = "RSET",         [LP_NOOP] = "NOOP", [LP_QUIT] = "QUIT",
    [LP_VRFY] = "VRFY",         [LP_EXPN] = "EXPN", [LP_HELP] = "HELP",
    [LP_STARTTLS] = "STARTTLS", [LP_AUTH] = "AUTH", [LP_BDAT] = "BDAT",
    [LP_UNKNOWN] = "UNKNOWN",
};

/* listen_point_name - the scenario spelling of a point. */
const char *listen_point_name(enum listen_point p) {
  return p < LP_COUNT ? point_names[p] : "?";
}

/* listen_point_parse - a point by name (case-insensitive), -1 if none. */
int listen_point_parse(const char *s, size_t n) {
  for (int i = 0; i < LP_COUNT; i++)
    if (strlen(point_names[i]) == n && !strncasecmp(point_names[i], s, n))
      return i;
  return -1;
}

/* add_offer - append (or replace) an EHLO keyword; -1 when the table is full. */
static int add_offer(struct listen_scenario *s, const char *kw, size_t kwlen, const char *params,
                     size_t plen) {
  size_t i = 0;
  while (i < s->noffers &&
         !(strlen(s->offers[i].keyword) == kwlen && !strncasecmp(s->offers[i].keyword, kw, kwlen)))
    i++;
  if (i == s->noffers) {
    if (s->noffers == LISTEN_OFFERS_MAX)
      return -1;
    s->noffers++;
  }
  snprintf(s->offers[i].keyword, sizeof s->offers[i].keyword, "%.*s", (int)kwlen, kw);
  snprintf(s->offers[i].params, sizeof s->offers[i].params, "%.*s", (int)plen, params);
  for (char *p = s->offers[i].keyword; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  return 0;
}

/* listen_scenario_default - RFC 5321 3.1 greeting 220; the keywords most clients know. */
void listen_scenario_default(struct listen_scenario *s) {
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "default");
  s->greeting_code = 220;
  snprintf(s->greeting_text, sizeof s->greeting_text, "smtpcheck.invalid ESMTP smtpcheck listen");
  s->greeting_delay_ms = 100;
  s->reply_delay_ms = 20;
  s->split_delay_ms = 100;
  s->quit_delay_ms = -1;
  add_offer(s, "PIPELINING", 10, "", 0);
  add_offer(s, "8BITMIME", 8, "", 0);
  add_offer(s, "SIZE", 4, "10485760", 8);
  add_offer(s, "ENHANCEDSTATUSCODES", 19, "", 0);
  add_offer(s, "STARTTLS", 8, "", 0);
}

/* fail - format "FILE:LINE: message" into err and return -1. */
__attribute__((format(printf, 5, 6))) static int fail(char *err, size_t errlen, const char *file,
                                                      int line, const char *fmt, ...) {
  int n = snprintf(err, errlen, "%s:%d: ", file, line);
  if (n >= 0 && (size_t)n < errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* word - the next space-separated word of [*p, end); *p moves past it and the spaces. */
static size_t word(const char **p, const char *end, const char **w) {
  while (*p < end && (**p == ' ' || **p == '\t'))
    (*p)++;
  *w = *p;
  while (*p < end && **p != ' ' && **p != '\t')
    (*p)++;
  size_t n = (size_t)(*p - *w);
  while (*p < end && (**p == ' ' || **p == '\t'))
    (*p)++;
  return n;
}

/* number - a decimal in [lo, hi] from n octets; -1 if it is not one. */
static long number(const char *s, size_t n, long lo, long hi) {
  long v = 0;
  if (n == 0 || n > 9)
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v >= lo && v <= hi ? v : -1;
}

/* reply_text - copy TEXT turning "\n" into a line break and "\\" into '\'; -1 when it
 * does not fit or holds a control octet (a reply's text is printable US-ASCII, 4.2). */
static int reply_text(const char *p, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c == '\\' && i + 1 < n && (p[i + 1] == 'n' || p[i + 1] == '\\'))
      c = p[++i] == 'n' ? '\n' : '\\';
    else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
      return -1;
    if (o + 1 >= cap)
      return -1;
    out[o++] = c;
  }
  out[o] = '\0';
  return 0;
}

/* parse_reply - "reply POINT N|* CODE [TEXT]". */
static int parse_reply(struct listen_scenario *s, const char *p, const char *end, const char *file,
                       int line, char *err, size_t errlen) {
  const char *w;
  size_t n = word(&p, end, &w);
  int point = listen_point_parse(w, n);
  if (point < 0)
    return fail(err, errlen, file, line,
                "unknown point '%.*s' (HELO EHLO MAIL RCPT DATA "
                "DATA-END RSET NOOP QUIT VRFY EXPN HELP STARTTLS AUTH BDAT UNKNOWN)",
                (int)n, w);
  n = word(&p, end, &w);
  long nth = n == 1 && *w == '*' ? 0 : number(w, n, 1, 100000);
  if (nth < 0)
    return fail(err, errlen, file, line, "reply needs a count (1, 2, ...) or '*', not '%.*s'",
                (int)n, w);
  n = word(&p, end, &w);
  long code = number(w, n, 200, 599);
  if (n != 3 || code < 0)
    return fail(err, errlen, file, line, "reply needs a code from 200 to 599, not '%.*s'", (int)n,
                w);
  if (s->nrules == LISTEN_RULES_MAX)
    return fail(err, errlen, file, line, "more than %d reply rules", LISTEN_RULES_MAX);
  struct listen_rule *r = &s->rules[s->nrules];
  r->point = (enum listen_point)point;
  r->nth = (unsigned)nth;
  r->code = (int)code;
  if (reply_text(p, (size_t)(end - p), r->text, sizeof r->text) < 0)
    return fail(err, errlen, file, line, "reply text too long or not printable ASCII");
  if (!r->text[0])
    snprintf(r->text, sizeof r->text, "smtpcheck listen scenario reply");
  s->nrules++;
  return 0;
}

/* parse_delay - "NAME-delay MS". */
static int parse_delay(long *out, const char *p, const char *end, const char *file, int line,
                       char *err, size_t errlen) {
  const char *w;
  size_t n = word(&p, end, &w);
  long v = number(w, n, 0, LISTEN_DELAY_MAX);
  if (v < 0 || p != end)
    return fail(err, errlen, file, line, "a delay is milliseconds from 0 to %d", LISTEN_DELAY_MAX);
  *out = v;
  return 0;
}

/* parse_line - one directive (comments and blank lines already removed). */
static int parse_line(struct listen_scenario *s, const char *p, const char *end, const char *file,
                      int line, char *err, size_t errlen) {
  const char *w;
  size_t n = word(&p, end, &w);
#define IS(lit) (n == sizeof lit - 1 && !strncasecmp(w, lit, n))
  if (IS("reply"))
    return parse_reply(s, p, end, file, line, err, errlen);
  if (IS("greeting")) {
    const char *c;
    size_t cn = word(&p, end, &c);
    long code = number(c, cn, 200, 599);
    if (cn != 3 || code < 0)
      return fail(err, errlen, file, line, "greeting needs a code from 200 to 599");
    s->greeting_code = (int)code;
    if (p < end && reply_text(p, (size_t)(end - p), s->greeting_text, sizeof s->greeting_text) < 0)
      return fail(err, errlen, file, line, "greeting text too long or not printable ASCII");
    return 0;
  }
  if (IS("greeting-delay"))
    return parse_delay(&s->greeting_delay_ms, p, end, file, line, err, errlen);
  if (IS("reply-delay"))
    return parse_delay(&s->reply_delay_ms, p, end, file, line, err, errlen);
  if (IS("split-delay"))
    return parse_delay(&s->split_delay_ms, p, end, file, line, err, errlen);
  if (IS("quit-delay"))
    return parse_delay(&s->quit_delay_ms, p, end, file, line, err, errlen);
  if (IS("offer") || IS("no-offer")) {
    bool offer = IS("offer");
    const char *kw;
    size_t kn = word(&p, end, &kw);
    if (kn == 0 || kn >= sizeof s->offers[0].keyword)
      return fail(err, errlen, file, line, "%s needs an EHLO keyword",
                  offer ? "offer" : "no-offer");
    for (size_t i = 0; i < kn; i++)
      if (!isalnum((unsigned char)kw[i]) && kw[i] != '-')
        return fail(err, errlen, file, line, "'%.*s' is not an EHLO keyword (RFC 5321 4.1.1.1)",
                    (int)kn, kw);
    if (!offer) {
      for (size_t i = 0; i < s->noffers; i++)
        if (strlen(s->offers[i].keyword) == kn && !strncasecmp(s->offers[i].keyword, kw, kn)) {
          memmove(&s->offers[i], &s->offers[i + 1], (s->noffers - i - 1) * sizeof s->offers[0]);
          s->noffers--;
          break;
        }
      return 0;
    }
    if ((size_t)(end - p) >= sizeof s->offers[0].params)
      return fail(err, errlen, file, line, "EHLO parameters too long");
    for (const char *q = p; q < end; q++)
      if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
        return fail(err, errlen, file, line, "EHLO parameters must be printable ASCII");
    if (add_offer(s, kw, kn, p, (size_t)(end - p)) < 0)
      return fail(err, errlen, file, line, "more than %d EHLO keywords", LISTEN_OFFERS_MAX);
    return 0;
  }
#undef IS
  return fail(err, errlen, file, line, "unknown directive '%.*s'", (int)n, w);
}

/* listen_scenario_parse - every line; '#' starts a comment line. */
int listen_scenario_parse(const char *file, const char *text, size_t len, struct listen_scenario *s,
                          char *err, size_t errlen) {
  const char *p = text, *end = text + len;
  int line = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    line++;
    const char *a = p, *b = le;
    while (a < b && (*a == ' ' || *a == '\t'))
      a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
      b--;
    if (memchr(a, '\0', (size_t)(b - a)))
      return fail(err, errlen, file, line, "NUL octet");
    if (a < b && *a != '#' && parse_line(s, a, b, file, line, err, errlen) < 0)
      return -1;
    p = nl ? nl + 1 : end;
  }
  return 0;
}

/* scenario_name - the base name of path without ".scn". */
static void scenario_name(const char *path, char *out, size_t cap) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 4 && !strcmp(base + n - 4, ".scn"))
    n -= 4;
  snprintf(out, cap, "%.*s", (int)n, base);
}

/* listen_scenario_load - read the file (bounded) and parse it over the defaults. */
int listen_scenario_load(const char *path, struct listen_scenario *s, char *err, size_t errlen) {
  int rc = -1;
  char *buf = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot read scenario %s: %s", path, strerror(errno));
    goto out;
  }
  buf = malloc(SCENARIO_FILE_MAX + 1);
  if (!buf) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  size_t n = fread(buf, 1, SCENARIO_FILE_MAX + 1, f);
  if (ferror(f) || n > SCENARIO_FILE_MAX) {
    snprintf(err, errlen, "cannot read scenario %s: %s", path,
             ferror(f) ? strerror(errno) : "larger than 256 KiB");
    goto out;
  }
  listen_scenario_default(s);
  scenario_name(path, s->name, sizeof s->name);
  rc = listen_scenario_parse(path, buf, n, s, err, errlen);
out:
  free(buf);
  if (f)
    fclose(f);
  return rc;
}

/* listen_scenario_rule - a counted rule for exactly nth first, else an every-time rule. */
const struct listen_rule *listen_scenario_rule(const struct listen_scenario *s,
                                               enum listen_point point, unsigned nth) {
  const struct listen_rule *every = NULL;
  for (size_t i = 0; i < s->nrules; i++) {
    const struct listen_rule *r = &s->rules[i];
    if (r->point != point)
      continue;
    if (r->nth == nth)
      return r;
    if (r->nth == 0 && !every)
      every = r;
  }
  return every;
}

/* listen_scenario_offers - keyword lookup in the EHLO list. */
bool listen_scenario_offers(const struct listen_scenario *s, const char *keyword) {
  for (size_t i = 0; i < s->noffers; i++)
    if (!strcasecmp(s->offers[i].keyword, keyword))
      return true;
  return false;
}
