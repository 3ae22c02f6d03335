/* dsn.h - delivery status notifications (RFC 3464): the bounce refsmtpd sends to the
 * reverse-path when relaying fails for good. Pure formatting, so tests pin every part. */
#ifndef REFSMTPD_DSN_H
#define REFSMTPD_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* One failed recipient. */
struct dsn_rcpt {
  const char *addr;   /* the forward-path, without brackets */
  const char *status; /* RFC 3463 "5.1.1" */
  const char *diag;   /* the remote reply ("550 5.1.1 No such user"), or our reason */
  bool smtp_diag;     /* diag is an SMTP reply (Diagnostic-Code: smtp; ...) */
};

/* What the report says. */
struct dsn_info {
  const char *reporting_mta; /* our host name */
  const char *sender;        /* the original reverse-path (the bounce's recipient) */
  const char *envelope_id;   /* our queue id of the original message */
  const char *boundary_id;   /* unique text for the MIME boundary and Message-ID */
  time_t arrival, now;
  const struct dsn_rcpt *rcpts;
  size_t nrcpts;
  const char *content; /* the original message; its header section is returned */
  size_t content_len;
};

/* dsn_status - the RFC 3463 status for a reply: its enhanced code when the first line
 * carries one of the same class, else X.0.0 from the reply class (4 or 5); "5.0.0" for
 * code 0. Writes into buf (at least 16 octets). */
void dsn_status(int code, const char *text, char *buf, size_t cap);

/* dsn_header_len - octets of content's header section, without the empty line that ends
 * it (all of content if it has no body). */
size_t dsn_header_len(const char *content, size_t len);

/* dsn_format - the whole bounce message (header fields and the multipart/report body),
 * CRLF line endings, malloc'd; *len gets its size. NULL if out of memory. */
char *dsn_format(const struct dsn_info *d, size_t *len);

#endif
