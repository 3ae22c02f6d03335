/* gen_grammar.h - RFC 5321 command grammar (4.1, 4.1.2 paths, ESMTP parameters) as a
 * generator: well-formed pieces most of the time, near misses when asked. Shared by
 * `smtpcheck gen` and the custom mutator (targets/mutator.c). */
#ifndef SMTPCHECK_GEN_GRAMMAR_H
#define SMTPCHECK_GEN_GRAMMAR_H

#include <stdbool.h>

#include "gen_buf.h"
#include "gen_rand.h"

/* Generation flags. */
enum gen_flag {
  GEN_NEAR_MISS = 1u << 0,    /* sometimes break a rule: long lines, bad params, CR/LF, NUL */
  GEN_UTF8 = 1u << 1,         /* RFC 6531 addresses allowed */
  GEN_NO_PATH_NULL = 1u << 2, /* never "<>" */
  GEN_PATH_RCPT = 1u << 3,    /* a forward-path: bare <postmaster> allowed (RFC 5321 4.5.1) */
};

/* The verbs the generator knows, upper case, including an unknown one. */
extern const char *const gen_verbs[];
extern const unsigned gen_verb_count;

/* gen_domain - a domain or address literal (RFC 5321 4.1.2, 4.1.3). */
void gen_domain(struct gen_rand *r, struct gen_buf *b, unsigned flags);
/* gen_path - "<...>": mailbox, null, postmaster, source route; near misses when asked. */
void gen_path(struct gen_rand *r, struct gen_buf *b, unsigned flags);
/* gen_argument - the argument part of a command of verb (index into gen_verbs), with the
 * leading separator (" FROM:<...> SIZE=1", " example.org", "" ...). */
void gen_argument(struct gen_rand *r, struct gen_buf *b, unsigned verb, unsigned flags);
/* gen_command - one command line without CRLF: any verb, any parameter. */
void gen_command(struct gen_rand *r, struct gen_buf *b, unsigned flags);
/* gen_command_verb - one command line of the given verb (index into gen_verbs). */
void gen_command_verb(struct gen_rand *r, struct gen_buf *b, unsigned verb, unsigned flags);
/* gen_verb_index - the gen_verbs index of an upper/lower case verb name, or -1. */
int gen_verb_index(const char *name, unsigned long len);
/* gen_near_miss_line - corrupt the line b[start..] in one of the ways RFC 5321 forbids. */
void gen_near_miss_line(struct gen_rand *r, struct gen_buf *b, unsigned long start);

#endif
