/* expect.h - judge a server reply against a script's reply spec. */
#ifndef SMTPCHECK_EXPECT_H
#define SMTPCHECK_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "script.h"
#include "smtp/reply.h"

/* expect_code - true if code matches one of the spec's code patterns (digits or 'x'). */
bool expect_code(const struct reply_spec *spec, int code);

/* expect_text - true if some line of r (code and separator included, line end not)
 * contains needle (ASCII case-insensitive; needle may hold any octet). */
bool expect_text(const struct smtp_reply *r, const char *needle, size_t n);

/* expect_reply - judge reply r against spec (SPEC_CODES or SPEC_ANY); needle is the
 * expanded `~ TEXT` (NULL when none). Returns true on a match; otherwise writes a reason
 * such as "expected 503, got 250" into reason. */
bool expect_reply(const struct reply_spec *spec, const struct smtp_reply *r, const char *needle,
                  size_t needle_len, char *reason, size_t reasonlen);

/* expect_describe - the spec as a script writes it: "250|251|closed", "any", ... */
void expect_describe(const struct reply_spec *spec, char *buf, size_t cap);

/* expect_keywords - the keywords of an EHLO reply (first word of every line but the
 * first), space-separated, into buf. */
void expect_keywords(const struct smtp_reply *r, char *buf, size_t cap);

#endif
