/* gen_content.h - generated message content and DATA streams (RFC 5321 4.5.2
 * transparency, 4.1.1.4 end of data, 4.5.3.1.6 line length), including the smuggling
 * sequences of CVE-2023-51764/5/6 and other near misses. */
#ifndef SMTPCHECK_GEN_CONTENT_H
#define SMTPCHECK_GEN_CONTENT_H

#include "gen_buf.h"
#include "gen_rand.h"

/* gen_content - raw message content (not dot-stuffed): headers and a body whose lines
 * sometimes start with dots, and, with GEN_NEAR_MISS, bare CR/LF, NULs, 8-bit, long lines. */
void gen_content(struct gen_rand *r, struct gen_buf *b, unsigned flags);
/* gen_data_stream - what a client sends after 354: stuffed content and the end mark;
 * with GEN_NEAR_MISS sometimes a smuggling variant before (or instead of) the real end. */
void gen_data_stream(struct gen_rand *r, struct gen_buf *b, unsigned flags);
/* gen_smuggle - one of the fake end-of-data sequences public scanners use. */
const char *gen_smuggle(struct gen_rand *r, unsigned long *len);

#endif
