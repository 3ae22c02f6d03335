/* policy.h - which recipients refsmtpd accepts: local domains, postmaster, and anything
 * from an authenticated client; the rest is relaying, which we refuse. */
#ifndef REFSMTPD_POLICY_H
#define REFSMTPD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/address.h"
#include "smtp/server.h"

/* The local domains (compared case-insensitively, RFC 5321 2.4). */
struct policy {
  const char *const *domains;
  size_t ndomains;
};

/* policy_is_local - is this domain (as written in the path) one of ours? */
bool policy_is_local(const struct policy *p, const char *domain, size_t len);

/* policy_rcpt - decide a RCPT: ACCEPT, or REJECT with reply filled (550 5.7.1). */
enum smtp_hook_status policy_rcpt(const struct policy *p, const struct smtp_path *rcpt,
                                  bool authenticated, struct smtp_hook_reply *reply);

/* Where an accepted recipient goes. */
enum rcpt_route {
  RCPT_LOCAL = 0, /* our domain (or postmaster): the Maildir */
  RCPT_RELAY,     /* another domain, from a client allowed to relay: the queue */
  RCPT_REFUSED,   /* reply filled */
};

/* policy_route - like policy_rcpt, when relaying is configured: a non-local recipient
 * from a client that may relay (authenticated, or in a --relay-from network) is RELAY
 * when has_route says its domain has a next hop, else refused with 550 5.4.4. */
enum rcpt_route policy_route(const struct policy *p, const struct smtp_path *rcpt, bool may_relay,
                             bool has_route, struct smtp_hook_reply *reply);

#endif
