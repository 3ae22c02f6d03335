/* runner_require.c - `require ext`, `require no-ext` and `require size-limit`, judged
 * against an EHLO reply, and the $size_limit variables taken from one. */
#include <stdio.h>
#include <string.h>

#include "expect.h"
#include "runner_session.h"

/* skip_for - make res a skip with a reason and the keyword the summary counts. */
static void skip_for(struct test_result *res, const char *why, const char *ext) {
  res->outcome = OUTCOME_SKIP;
  snprintf(res->reason, sizeof res->reason, "%s", why);
  snprintf(res->skip_ext, sizeof res->skip_ext, "%s", ext);
}

/* require_exts_met - see runner_session.h. */
bool require_exts_met(const struct script_test *t, const char *ehlo, size_t len, size_t from,
                      struct test_result *res) {
  struct smtp_reply r;
  bool parsed = len && smtp_reply_parse(ehlo, len, &r) > 0 && r.code == 250;
  char why[160];
  for (size_t k = 0; k < t->nexts; k++) {
    const char *kw = t->exts[k];
    if (!script_ext_due(t, from, kw))
      continue;
    bool listed = parsed && expect_ext_offered(&r, kw);
    if (t->exts_absent[k] && listed) {
      snprintf(why, sizeof why, "offered: %s (the test is for servers without it)", kw);
      skip_for(res, why, "");
      return false;
    }
    if (!t->exts_absent[k] && !listed) {
      snprintf(why, sizeof why, "not offered: %s", kw);
      skip_for(res, why, kw);
      return false;
    }
  }
  char digits[24];
  /* RFC 1870 4: SIZE with no value or 0 declares no fixed limit. */
  if ((t->requires & REQUIRE_SIZE_LIMIT) && script_ext_due(t, from, "SIZE") &&
      !(parsed && expect_size_limit(&r, digits, sizeof digits))) {
    skip_for(res, "not offered: SIZE with a nonzero limit (RFC 1870 4)", "SIZE limit");
    return false;
  }
  return true;
}

/* plus_one - the decimal string d + 1 into out (d is digits, no leading zero). */
static void plus_one(const char *d, char *out, size_t cap) {
  size_t n = strlen(d);
  if (n + 2 > cap) {
    out[0] = '\0';
    return;
  }
  memcpy(out + 1, d, n + 1);
  out[0] = '0';
  size_t i = n;
  while (i > 0 && out[i] == '9')
    out[i--] = '0';
  out[i]++;
  if (out[0] == '0')
    memmove(out, out + 1, n + 1);
}

/* session_set_size_limit - see runner_session.h. */
void session_set_size_limit(struct session *s, const char *ehlo, size_t len) {
  struct smtp_reply r;
  char digits[sizeof s->size_limit];
  if (!len || smtp_reply_parse(ehlo, len, &r) <= 0 || r.code != 250 ||
      !expect_size_limit(&r, digits, sizeof digits))
    return;
  memcpy(s->size_limit, digits, sizeof digits);
  plus_one(digits, s->size_over_limit, sizeof s->size_over_limit);
  s->vars.val[VAR_SIZE_LIMIT] = s->size_limit;
  s->vars.val[VAR_SIZE_OVER_LIMIT] = s->size_over_limit[0] ? s->size_over_limit : NULL;
}
