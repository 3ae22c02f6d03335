/* test_daemon_cidr.c - --relay-from networks: IPv4 and IPv6 prefixes, v4-mapped clients,
 * and the loopback test of --metrics. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "options.h"

/* v4 - a sockaddr_in for text. */
static struct sockaddr_in v4(const char *text) {
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  cr_assert_eq(inet_pton(AF_INET, text, &sin.sin_addr), 1);
  return sin;
}

/* v6 - a sockaddr_in6 for text. */
static struct sockaddr_in6 v6(const char *text) {
  struct sockaddr_in6 sin6;
  memset(&sin6, 0, sizeof(sin6));
  sin6.sin6_family = AF_INET6;
  cr_assert_eq(inet_pton(AF_INET6, text, &sin6.sin6_addr), 1);
  return sin6;
}

/* match - does network text contain address (v4 or v6 text)? */
static bool match(const char *net, const char *addr) {
  struct cidr c;
  cr_assert_eq(cidr_parse(net, &c), 0, "%s", net);
  if (strchr(addr, ':') != NULL) {
    struct sockaddr_in6 a = v6(addr);
    return cidr_match(&c, (struct sockaddr *)&a);
  }
  struct sockaddr_in a = v4(addr);
  return cidr_match(&c, (struct sockaddr *)&a);
}

Test(daemon_cidr, ipv4_prefixes_match_exactly_their_network) {
  cr_assert(match("10.0.0.0/8", "10.255.1.2"));
  cr_assert_not(match("10.0.0.0/8", "11.0.0.1"));
  cr_assert(match("192.168.1.128/25", "192.168.1.200"));
  cr_assert_not(match("192.168.1.128/25", "192.168.1.127"));
  cr_assert(match("127.0.0.1", "127.0.0.1"), "a bare address is a /32");
  cr_assert_not(match("127.0.0.1", "127.0.0.2"));
  cr_assert(match("0.0.0.0/0", "203.0.113.9"), "/0 matches everything");
}

Test(daemon_cidr, ipv6_prefixes_match_and_never_cross_families) {
  cr_assert(match("2001:db8::/32", "2001:db8:1::5"));
  cr_assert_not(match("2001:db8::/32", "2001:db9::5"));
  cr_assert(match("::1", "::1"));
  cr_assert_not(match("::1", "127.0.0.1"), "an IPv6 network never holds an IPv4 client");
  cr_assert_not(match("0.0.0.0/0", "2001:db8::1"), "nor the other way round");
}

Test(daemon_cidr, a_v4_mapped_client_counts_as_its_ipv4_address) {
  cr_assert(match("192.0.2.0/24", "::ffff:192.0.2.7"), "RFC 4291 2.5.5.2");
  cr_assert_not(match("192.0.2.0/24", "::ffff:198.51.100.7"));
}

Test(daemon_cidr, malformed_networks_are_refused) {
  static const char *const bad[] = {"",   "10.0.0.0/33", "::/129",         "10.0.0.0/", "10.0.0/8",
                                    "/8", "10.0.0.0/x",  "host.example/8", "1.2.3.4/-1"};
  struct cidr c;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    cr_assert_eq(cidr_parse(bad[i], &c), -1, "'%s' should be refused", bad[i]);
}

Test(daemon_cidr, only_127_slash_8_and_ipv6_loopback_are_loopback) {
  struct listen_addr a;
  cr_assert_eq(listen_addr_parse("127.0.0.1:9100", LISTEN_SMTP, &a), 0);
  cr_assert(listen_addr_is_loopback(&a));
  cr_assert_eq(listen_addr_parse("127.9.9.9:9100", LISTEN_SMTP, &a), 0);
  cr_assert(listen_addr_is_loopback(&a));
  cr_assert_eq(listen_addr_parse("[::1]:9100", LISTEN_SMTP, &a), 0);
  cr_assert(listen_addr_is_loopback(&a));
  cr_assert_eq(listen_addr_parse("0.0.0.0:9100", LISTEN_SMTP, &a), 0);
  cr_assert_not(listen_addr_is_loopback(&a));
  cr_assert_eq(listen_addr_parse("[::]:9100", LISTEN_SMTP, &a), 0);
  cr_assert_not(listen_addr_is_loopback(&a));
  cr_assert_eq(listen_addr_parse("192.0.2.1:9100", LISTEN_SMTP, &a), 0);
  cr_assert_not(listen_addr_is_loopback(&a));
}
