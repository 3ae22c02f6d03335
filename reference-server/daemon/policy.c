/* policy.c - recipient policy: local domains, bare postmaster, authenticated senders. */
#include "policy.h"

#include <strings.h>

/* policy_is_local - is this domain (as written in the path) one of ours? */
bool policy_is_local(const struct policy *p, const char *domain, size_t len) {
  /* A trailing dot names the same (absolute) domain. */
  if (len > 1 && domain[len - 1] == '.')
    len--;
  for (size_t i = 0; i < p->ndomains; i++) {
    const char *d = p->domains[i];
    size_t dlen = 0;
    while (d[dlen] != '\0')
      dlen++;
    if (dlen > 1 && d[dlen - 1] == '.')
      dlen--;
    /* RFC 5321 2.4: domain names are case-insensitive. */
    if (dlen == len && strncasecmp(d, domain, len) == 0)
      return true;
  }
  return false;
}

/* policy_rcpt - decide a RCPT: ACCEPT, or REJECT with reply filled (550 5.7.1). */
enum smtp_hook_status policy_rcpt(const struct policy *p, const struct smtp_path *rcpt,
                                  bool authenticated, struct smtp_hook_reply *reply) {
  /* RFC 5321 4.5.1: "postmaster" without a domain MUST be accepted. */
  if (rcpt->is_postmaster)
    return SMTP_HOOK_ACCEPT;
  if (rcpt->domain != NULL && policy_is_local(p, rcpt->domain, rcpt->domain_len))
    return SMTP_HOOK_ACCEPT;
  /* RFC 6409 / RFC 4954: an authenticated client may send anywhere (we store it locally;
   * relaying onwards is a later issue). */
  if (authenticated)
    return SMTP_HOOK_ACCEPT;
  /* RFC 5321 3.6.2 and 7.1: no open relay; RFC 3463 5.7.1 "delivery not authorized". */
  reply->code = 550;
  reply->enhanced = "5.7.1";
  reply->text = "Relaying denied";
  return SMTP_HOOK_REJECT;
}

/* policy_route - local, relayed or refused. */
enum rcpt_route policy_route(const struct policy *p, const struct smtp_path *rcpt, bool may_relay,
                             bool has_route, struct smtp_hook_reply *reply) {
  if (rcpt->is_postmaster)
    return RCPT_LOCAL;
  if (rcpt->domain != NULL && policy_is_local(p, rcpt->domain, rcpt->domain_len))
    return RCPT_LOCAL;
  /* RFC 5321 3.6.2 and 7.1: relay only for clients we know; no open relay. */
  if (!may_relay) {
    reply->code = 550;
    reply->enhanced = "5.7.1";
    reply->text = "Relaying denied";
    return RCPT_REFUSED;
  }
  /* RFC 3463 5.4.4: unable to route (no route line and no --relay-host). */
  if (!has_route) {
    reply->code = 550;
    reply->enhanced = "5.4.4";
    reply->text = "No route to that domain";
    return RCPT_REFUSED;
  }
  return RCPT_RELAY;
}
