/* relay.h - private to relay.c, relay_conn.c and bounce.c: the pieces of one delivery
 * attempt and what the scheduler does with its outcome. */
#ifndef REFSMTPD_RELAY_H
#define REFSMTPD_RELAY_H

#include <stddef.h>

#include "daemon.h"

/* relay_conn_start - connect to next_hop for recipients idx[0..n-1] of e (the content is
 * read from the queue file). Returns the connection, or NULL with a reason in err (the
 * attempt failed before any SMTP: a temporary failure). */
struct relay_conn *relay_conn_start(struct daemon *d, struct queue_entry *e, const char *next_hop,
                                    const size_t *idx, size_t n, char *err, size_t errcap);
/* relay_conn_free - close the socket and release everything (the entry is not touched). */
void relay_conn_free(struct relay_conn *c);

/* relay_conn_finished - the attempt is over (engine DONE/FAILED, connection lost or
 * timed out; c->error says why when not DONE): decide every recipient of it. */
void relay_conn_finished(struct relay_conn *c);

/* relay_set_diag - remember a recipient's last reply or error text (copied, cleaned). */
void relay_set_diag(struct queue_rcpt *r, int code, const char *text, size_t len, bool smtp);

#endif
