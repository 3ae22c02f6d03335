/* maildir_header.h - header fields of a delivered message (RFC 5322 2.2): the topmost field
 * of a name, unfolded, and how many fields have that name. Messages are the octets of a
 * Maildir file: lines end in CRLF or in a bare LF (most delivery agents store LF). */
#ifndef SMTPCHECK_MAILDIR_HEADER_H
#define SMTPCHECK_MAILDIR_HEADER_H

#include <regex.h>
#include <stddef.h>

/* mail_header_value - the topmost field named `name` (ASCII case-insensitive, without the
 * ':') in the header section of msg: its body after the ':', unfolded (RFC 5322 2.2.3: a
 * line break before a blank is removed, the blank kept), leading and trailing blanks cut,
 * NUL-terminated in a malloc'd *value. Returns 1 when found, 0 when there is no such field
 * (*value NULL), -1 when out of memory. */
int mail_header_value(const char *msg, size_t n, const char *name, char **value);

/* mail_header_count - how many fields named `name` the header section of msg holds. */
long mail_header_count(const char *msg, size_t n, const char *name);

/* mail_header_name_ok - a field name as RFC 5322 3.6.8 allows (printable US-ASCII other
 * than ':', at most 76 octets: it must fit a 78-octet line with ": "). */
int mail_header_name_ok(const char *name, size_t n);

/* The longest `maildir header` pattern, and the most it may cost glibc's regcomp: 8 a
 * character, bracket expression, anchor or group; a repetition {n,m} of an atom of cost c
 * costs c * m (regcomp copies it m times) plus c / 8 * (m - n)^2 (the closures of the
 * nested optional copies). Beyond that regcomp takes milliseconds to seconds (a{1,1000}
 * 6 ms, a{1,32767} 5 s and then REG_ESPACE), which a script must not be able to ask for,
 * nor the script parser's fuzz target find (an iteration compiles each pattern 3 times). */
#define MAIL_HEADER_PATTERN_MAX 1000
#define MAIL_HEADER_EXPANSION_MAX 32768

/* mail_header_regcomp - compile a `maildir header` pattern: POSIX extended, ASCII case-
 * insensitive (RFC 5234 2.3: the grammars' literal strings are), no sub-matches, within the
 * limits above. Refused too: a repeated subexpression that can match the empty string
 * (`(a|)*`, `(b*)+`, `(^){2}`, `a**`: glibc's regcomp takes exponential time over a few of
 * them in a row), and back-references (`\1`: not in POSIX EREs; glibc's regexec takes
 * exponential time over some, CVE-2018-20796). 0, or -1 with the reason in err (re is then
 * not to be freed). */
int mail_header_regcomp(regex_t *re, const char *pattern, char *err, size_t errlen);

#endif
