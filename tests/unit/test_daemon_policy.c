/* test_daemon_policy.c - recipient policy: local domains, postmaster, no open relay. */
#include <criterion/criterion.h>
#include <string.h>

#include "policy.h"

static const char *const domains[] = {"test.example", "Other.Example."};
static const struct policy pol = {domains, 2};

/* path - a parsed-looking path for local@domain (domain NULL for bare postmaster). */
static struct smtp_path path(const char *local, const char *domain) {
  struct smtp_path p;
  memset(&p, 0, sizeof(p));
  p.local = local;
  p.local_len = strlen(local);
  if (domain != NULL) {
    p.domain = domain;
    p.domain_len = strlen(domain);
    p.domain_kind = SMTP_DOMAIN_NAME;
  } else {
    p.is_postmaster = true;
  }
  return p;
}

Test(daemon_policy, local_domains_are_accepted_in_any_case_and_with_a_trailing_dot) {
  struct smtp_hook_reply r = {0};
  struct smtp_path p = path("bob", "TEST.example");
  cr_assert_eq(policy_rcpt(&pol, &p, false, &r), SMTP_HOOK_ACCEPT);
  p = path("bob", "other.example");
  cr_assert_eq(policy_rcpt(&pol, &p, false, &r), SMTP_HOOK_ACCEPT);
  p = path("bob", "test.example.");
  cr_assert_eq(policy_rcpt(&pol, &p, false, &r), SMTP_HOOK_ACCEPT);
}

Test(daemon_policy, bare_postmaster_is_accepted) {
  struct smtp_hook_reply r = {0};
  struct smtp_path p = path("PostMaster", NULL);
  cr_assert_eq(policy_rcpt(&pol, &p, false, &r), SMTP_HOOK_ACCEPT, "RFC 5321 4.5.1");
}

Test(daemon_policy, other_domains_are_relaying_and_get_550_5_7_1) {
  struct smtp_hook_reply r = {0};
  struct smtp_path p = path("bob", "elsewhere.example");
  cr_assert_eq(policy_rcpt(&pol, &p, false, &r), SMTP_HOOK_REJECT);
  cr_assert_eq(r.code, 550);
  cr_assert_str_eq(r.enhanced, "5.7.1");
  p = path("bob", "sub.test.example");
  cr_assert_eq(policy_rcpt(&pol, &p, false, &r), SMTP_HOOK_REJECT, "subdomains are not ours");
  p = path("postmaster", "elsewhere.example");
  cr_assert_eq(policy_rcpt(&pol, &p, false, &r), SMTP_HOOK_REJECT);
  p = path("bob", "test.exampl");
  cr_assert_eq(policy_rcpt(&pol, &p, false, &r), SMTP_HOOK_REJECT, "prefix is not a match");
}

Test(daemon_policy, authenticated_clients_may_send_to_any_domain) {
  struct smtp_hook_reply r = {0};
  struct smtp_path p = path("bob", "elsewhere.example");
  cr_assert_eq(policy_rcpt(&pol, &p, true, &r), SMTP_HOOK_ACCEPT);
}

Test(daemon_policy, with_a_queue_remote_recipients_are_relayed_only_for_clients_that_may) {
  struct smtp_hook_reply r = {0};
  struct smtp_path p = path("bob", "far.example");
  cr_assert_eq(policy_route(&pol, &p, true, true, &r), RCPT_RELAY);
  cr_assert_eq(policy_route(&pol, &p, false, true, &r), RCPT_REFUSED,
               "RFC 5321 7.1: no open relay");
  cr_assert_eq(r.code, 550);
  cr_assert_str_eq(r.enhanced, "5.7.1");
  memset(&r, 0, sizeof(r));
  cr_assert_eq(policy_route(&pol, &p, true, false, &r), RCPT_REFUSED, "no next hop");
  cr_assert_eq(r.code, 550);
  cr_assert_str_eq(r.enhanced, "5.4.4");
  p = path("bob", "Test.Example");
  cr_assert_eq(policy_route(&pol, &p, false, false, &r), RCPT_LOCAL, "our domain stays local");
  cr_assert_eq(policy_route(&pol, &p, true, true, &r), RCPT_LOCAL, "even for a relay client");
  p = path("postmaster", NULL);
  cr_assert_eq(policy_route(&pol, &p, false, false, &r), RCPT_LOCAL, "RFC 5321 4.5.1");
}
