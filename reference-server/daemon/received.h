/* received.h - count the Received: header fields of a message as its content streams in
 * (RFC 5321 6.3: more than 100 of them means a mail loop). Pure and resumable. */
#ifndef REFSMTPD_RECEIVED_H
#define REFSMTPD_RECEIVED_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 6.3: "a simple count of ... "Received:" headers ... more than 100 ... loop". */
#define RECEIVED_LOOP_LIMIT 100

/* Counter state; zero-fill before the first call. Fields other than count are private. */
struct received_counter {
  int state;
  size_t matched; /* octets of "received" matched on this line */
  unsigned count; /* Received: fields seen in the header section so far */
};

/* received_feed - scan len more octets of content (header section only; the body is
 * skipped once the empty line that ends the header is seen). */
void received_feed(struct received_counter *rc, const char *data, size_t len);

/* received_is_loop - more than RECEIVED_LOOP_LIMIT fields were seen. */
bool received_is_loop(const struct received_counter *rc);

#endif
