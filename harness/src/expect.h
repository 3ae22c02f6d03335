/* expect.h - judge a server reply against a script's reply spec. */
#ifndef SMTPCHECK_EXPECT_H
#define SMTPCHECK_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "script.h"
#include "smtp/reply.h"
#include "vars.h"

/* expect_code - true if code matches one of ncodes code patterns (digits or 'x'). */
bool expect_code(const char codes[][3], size_t ncodes, int code);

/* expect_text - true if some line of r (code and separator included, line end not)
 * contains needle (ASCII case-insensitive; needle may hold any octet). */
bool expect_text(const struct smtp_reply *r, const char *needle, size_t n);

/* expect_reply - judge reply r against spec (SPEC_CODES or SPEC_ANY): its code, its shape
 * (single-line, ~ / !~ TEXT, templates expanded with v) and every condition whose codes
 * match. Returns 1 on a match, 0 with a reason such as "expected 503, got 250" in reason,
 * or -1 when a template cannot be expanded (the reason says why). */
int expect_reply(const struct reply_spec *spec, const struct smtp_reply *r, const struct vars *v,
                 char *reason, size_t reasonlen);

/* expect_ext_offered - true if an EHLO reply lists spec, a keyword ("AUTH") or a keyword
 * and one of its parameters ("AUTH=PLAIN": PLAIN is a word after AUTH on that line). */
bool expect_ext_offered(const struct smtp_reply *r, const char *spec);

/* expect_size_limit - the nonzero SIZE value an EHLO reply advertises (RFC 1870 4:
 * "SIZE" [SP size-value]) as digits into buf; false if none (no SIZE, no value, 0). */
bool expect_size_limit(const struct smtp_reply *r, char *buf, size_t cap);

/* expect_describe - the spec as a script writes it: "250|251|closed", "any", ... */
void expect_describe(const struct reply_spec *spec, char *buf, size_t cap);

/* expect_keywords - the keywords of an EHLO reply (first word of every line but the
 * first), space-separated, into buf. */
void expect_keywords(const struct smtp_reply *r, char *buf, size_t cap);

#endif
