/* maildir_check.h - find what the server delivered: messages in a Maildir tree. */
#ifndef SMTPCHECK_MAILDIR_CHECK_H
#define SMTPCHECK_MAILDIR_CHECK_H

#include <stddef.h>

/* What one scan found among the messages containing the token. */
struct maildir_hits {
  long with_token;  /* messages containing the token */
  long with_needle; /* of those, messages also containing the needle */
};

/* maildir_scan - look at every file in a new/ or cur/ folder below dir (dir itself may be
 * one Maildir or a tree of them) for token and, when needle is not NULL, needle (octet
 * strings, case-sensitive). Returns 0, or -1 with a message in err when dir cannot be read. */
int maildir_scan(const char *dir, const char *token, size_t token_len, const char *needle,
                 size_t needle_len, struct maildir_hits *out, char *err, size_t errlen);

#endif
