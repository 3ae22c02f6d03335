/* maildir_check.h - find what the server delivered: messages in a Maildir tree. */
#ifndef SMTPCHECK_MAILDIR_CHECK_H
#define SMTPCHECK_MAILDIR_CHECK_H

#include <stdbool.h>
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

/* maildir_judge - decide one message that contains the token (its octets, the first
 * 32 MiB of a larger file): true when it counts in with_needle. */
typedef bool (*maildir_judge)(void *ctx, const char *msg, size_t len);

/* maildir_scan_judge - like maildir_scan, but with_needle counts the messages with the
 * token for which judge(ctx, ...) is true. */
int maildir_scan_judge(const char *dir, const char *token, size_t token_len, maildir_judge judge,
                       void *ctx, struct maildir_hits *out, char *err, size_t errlen);

#endif
