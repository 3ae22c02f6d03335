/* gen_reply.h - generated server replies (RFC 5321 4.2) and EHLO replies, with near
 * misses (bare LF, mixed codes, bad separators, over-long lines, NULs). */
#ifndef SMTPCHECK_GEN_REPLY_H
#define SMTPCHECK_GEN_REPLY_H

#include "gen_buf.h"
#include "gen_rand.h"

/* gen_reply_code - append one reply with code, text, CRLF; sometimes multi-line, sometimes
 * (GEN_NEAR_MISS) malformed. */
void gen_reply_code(struct gen_rand *r, struct gen_buf *b, int code, unsigned flags);
/* gen_reply_ehlo - a 250 EHLO reply listing a random set of extensions. */
void gen_reply_ehlo(struct gen_rand *r, struct gen_buf *b, unsigned flags);
/* gen_reply - any reply: a plausible code for some command, or a malformed one. */
void gen_reply(struct gen_rand *r, struct gen_buf *b, unsigned flags);

#endif
