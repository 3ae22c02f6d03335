/* ipcount.c - sessions per client address: linear probing with backward-shift delete. */
#include "ipcount.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ipcount_init - room for max_sessions distinct addresses. */
int ipcount_init(struct ipcount *t, size_t max_sessions) {
  size_t cap = 16;
  while (cap < 2 * max_sessions)
    cap *= 2;
  t->slots = calloc(cap, sizeof(*t->slots));
  t->mask = cap - 1;
  t->used = 0;
  return t->slots == NULL ? -1 : 0;
}

/* ipcount_free - release the table. */
void ipcount_free(struct ipcount *t) {
  free(t->slots);
  t->slots = NULL;
}

/* ipcount_key - the 16-octet key of a socket address (IPv4 as ::ffff:a.b.c.d). */
void ipcount_key(const struct sockaddr *sa, unsigned char key[16]) {
  memset(key, 0, 16);
  if (sa->sa_family == AF_INET6) {
    memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
  } else if (sa->sa_family == AF_INET) {
    key[10] = key[11] = 0xff;
    memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
  }
}

/* hash - FNV-1a over the key. */
static size_t hash(const unsigned char key[16]) {
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < 16; i++) {
    h ^= key[i];
    h *= 1099511628211ull;
  }
  return (size_t)(h ^ (h >> 32));
}

/* find - the slot holding key, or the empty slot where it would go. */
static size_t find(const struct ipcount *t, const unsigned char key[16]) {
  size_t i = hash(key) & t->mask;
  while (t->slots[i].count != 0 && memcmp(t->slots[i].addr, key, 16) != 0)
    i = (i + 1) & t->mask;
  return i;
}

/* ipcount_get - sessions currently counted for key. */
unsigned ipcount_get(const struct ipcount *t, const unsigned char key[16]) {
  return t->slots[find(t, key)].count;
}

/* ipcount_add - count one more session for key; returns the new count (0 if full). */
unsigned ipcount_add(struct ipcount *t, const unsigned char key[16]) {
  size_t i = find(t, key);
  if (t->slots[i].count == 0) {
    if (t->used + 1 > t->mask / 2 + 1)
      return 0;
    memcpy(t->slots[i].addr, key, 16);
    t->used++;
  }
  return ++t->slots[i].count;
}

/* ipcount_remove - one session for key ended; an emptied slot is deleted by shifting
 * later entries of its probe run back, so lookups never need tombstones. */
void ipcount_remove(struct ipcount *t, const unsigned char key[16]) {
  size_t i = find(t, key), j;
  if (t->slots[i].count == 0 || --t->slots[i].count > 0)
    return;
  t->used--;
  j = i;
  for (;;) {
    size_t home;
    j = (j + 1) & t->mask;
    if (t->slots[j].count == 0)
      break;
    home = hash(t->slots[j].addr) & t->mask;
    /* Move j back to i unless its home lies cyclically in (i, j]. */
    if ((i < j) ? (home > i && home <= j) : (home > i || home <= j))
      continue;
    t->slots[i] = t->slots[j];
    i = j;
  }
  t->slots[i].count = 0;
}
