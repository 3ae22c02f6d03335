/* ipcount.h - concurrent sessions per client address (for --max-per-ip): an open
 * addressing hash table sized once, so accept() stays O(1) with thousands of sessions. */
#ifndef REFSMTPD_IPCOUNT_H
#define REFSMTPD_IPCOUNT_H

#include <stddef.h>
#include <sys/socket.h>

/* One client address (IPv4 as v4-mapped IPv6) and its session count. */
struct ipcount_slot {
  unsigned char addr[16];
  unsigned count; /* 0 = empty slot */
};

/* The table; capacity is a power of two at least twice the number of sessions. */
struct ipcount {
  struct ipcount_slot *slots;
  size_t mask;
  size_t used;
};

/* ipcount_init - room for max_sessions distinct addresses. 0 or -1. */
int ipcount_init(struct ipcount *t, size_t max_sessions);
/* ipcount_free - release the table. */
void ipcount_free(struct ipcount *t);
/* ipcount_key - the 16-octet key of a socket address. */
void ipcount_key(const struct sockaddr *sa, unsigned char key[16]);
/* ipcount_get - sessions currently counted for key. */
unsigned ipcount_get(const struct ipcount *t, const unsigned char key[16]);
/* ipcount_add - count one more session for key; returns the new count (0 if full). */
unsigned ipcount_add(struct ipcount *t, const unsigned char key[16]);
/* ipcount_remove - one session for key ended. */
void ipcount_remove(struct ipcount *t, const unsigned char key[16]);

#endif
