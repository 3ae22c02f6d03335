/* runner_header.c - the `maildir header` steps: one header field of the delivered message
 * (the topmost of its name: the one the receiving server added, RFC 5321 4.4), unfolded
 * (RFC 5322 2.2.3), against a POSIX extended regular expression, or a count of fields. */
#include "runner_header.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maildir_header.h"
#include "sbuf.h"
#include "wire.h"

/* The most octets of a field's value quoted in a reason. */
#define HEADER_QUOTE_MAX 300

/* runner_step_is_header - see runner_header.h. */
bool runner_step_is_header(enum step_kind kind) {
  return kind == STEP_HEADER_MATCH || kind == STEP_HEADER_NO_MATCH || kind == STEP_HEADER_COUNT;
}

/* header_judge_init - see runner_header.h. */
int header_judge_init(struct header_judge *hj, const struct script_step *st, char *err,
                      size_t errlen) {
  memset(hj, 0, sizeof *hj);
  hj->st = st;
  if (st->kind == STEP_HEADER_COUNT)
    return 0;
  char msg[200];
  if (mail_header_regcomp(&hj->re, st->arg, msg, sizeof msg) < 0) {
    snprintf(err, errlen, "bad regular expression '%s': %s", st->arg, msg);
    return -1;
  }
  hj->has_re = true;
  return 0;
}

/* listed - the count is one of the step's alternatives. */
static bool listed(const struct script_step *st, long count) {
  for (size_t k = 0; k < st->ncounts; k++)
    if (st->counts[k] == count)
      return true;
  return false;
}

/* count_reason - why a field count failed: "expected 1|2 ... found 3". */
static void count_reason(struct header_judge *hj, long count) {
  const struct script_step *st = hj->st;
  char want[64] = "";
  size_t pos = 0;
  for (size_t k = 0; k < st->ncounts && pos + 24 < sizeof want; k++)
    pos += (size_t)snprintf(want + pos, sizeof want - pos, "%s%ld", k ? "|" : "", st->counts[k]);
  snprintf(hj->why, sizeof hj->why,
           "expected %s %s: field(s) in the header of the delivered message, found %ld", want,
           st->field, count);
}

/* match_reason - why a pattern step failed, quoting the unfolded value. */
static void match_reason(struct header_judge *hj, const char *value) {
  const struct script_step *st = hj->st;
  struct sbuf esc = {0};
  size_t len = strlen(value);
  wire_escape(value, len < HEADER_QUOTE_MAX ? len : HEADER_QUOTE_MAX, &esc);
  snprintf(hj->why, sizeof hj->why,
           "the first %s: field of the delivered message %s /%s/: \"%s%s\"", st->field,
           st->kind == STEP_HEADER_MATCH ? "does not match" : "matches", st->arg,
           esc.p ? esc.p : "", len > HEADER_QUOTE_MAX ? "..." : "");
  sbuf_free(&esc);
}

/* header_judge_message - see runner_header.h. */
bool header_judge_message(void *ctx, const char *msg, size_t len) {
  struct header_judge *hj = ctx;
  const struct script_step *st = hj->st;
  bool ok;
  if (st->kind == STEP_HEADER_COUNT) {
    long count = mail_header_count(msg, len, st->field);
    ok = listed(st, count);
    if (!ok && !hj->why[0])
      count_reason(hj, count);
    return ok;
  }
  char *value;
  int found = mail_header_value(msg, len, st->field, &value);
  if (found <= 0) {
    if (hj->why[0])
      return false;
    if (found < 0)
      snprintf(hj->why, sizeof hj->why, "out of memory");
    else
      snprintf(hj->why, sizeof hj->why, "the delivered message has no %s: field", st->field);
    return false;
  }
  /* The value is cut at a NUL octet, which no header field may hold (RFC 5322 2.2). */
  bool matches = regexec(&hj->re, value, 0, NULL, 0) == 0;
  ok = matches == (st->kind == STEP_HEADER_MATCH);
  if (!ok && !hj->why[0])
    match_reason(hj, value);
  free(value);
  return ok;
}

/* header_judge_free - see runner_header.h. */
void header_judge_free(struct header_judge *hj) {
  if (hj->has_re)
    regfree(&hj->re);
  hj->has_re = false;
}
