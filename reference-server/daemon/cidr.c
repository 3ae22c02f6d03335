/* cidr.c - networks for --relay-from (IPv4 and IPv6, RFC 4632 prefix notation). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

/* cidr_parse - "10.0.0.0/8", "::1/128", or a bare address (full prefix). 0 or -1. */
int cidr_parse(const char *text, struct cidr *out) {
  char host[64];
  const char *slash = strchr(text, '/');
  size_t hlen = slash != NULL ? (size_t)(slash - text) : strlen(text);
  unsigned max;

  memset(out, 0, sizeof(*out));
  if (hlen == 0 || hlen >= sizeof(host))
    return -1;
  memcpy(host, text, hlen);
  host[hlen] = '\0';
  if (inet_pton(AF_INET, host, out->addr) == 1) {
    out->family = AF_INET;
    max = 32;
  } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
    out->family = AF_INET6;
    max = 128;
  } else {
    return -1;
  }
  out->prefix = max;
  if (slash != NULL) {
    char *end = NULL;
    unsigned long v;
    if (slash[1] < '0' || slash[1] > '9')
      return -1;
    v = strtoul(slash + 1, &end, 10);
    if (*end != '\0' || v > max)
      return -1;
    out->prefix = (unsigned)v;
  }
  return 0;
}

/* prefix_equal - the first bits bits of a and b agree. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits) {
  unsigned whole = bits / 8, rest = bits % 8;
  if (memcmp(a, b, whole) != 0)
    return false;
  if (rest == 0)
    return true;
  unsigned char mask = (unsigned char)(0xffu << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

/* cidr_match - is the socket address inside the network? */
bool cidr_match(const struct cidr *c, const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *sin = (const void *)sa;
    return c->family == AF_INET && prefix_equal((const void *)&sin->sin_addr, c->addr, c->prefix);
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const void *)sa;
    const unsigned char *a = sin6->sin6_addr.s6_addr;
    /* RFC 4291 2.5.5.2: a v4-mapped address is the IPv4 client on a dual-stack socket. */
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
      return c->family == AF_INET && prefix_equal(a + 12, c->addr, c->prefix);
    return c->family == AF_INET6 && prefix_equal(a, c->addr, c->prefix);
  }
  return false;
}

/* listen_addr_is_loopback - 127.0.0.0/8 (RFC 1122 3.2.1.3) or ::1 (RFC 4291 2.5.3). */
bool listen_addr_is_loopback(const struct listen_addr *a) {
  if (a->ss.ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const void *)&a->ss;
    return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
  }
  if (a->ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const void *)&a->ss;
    return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
  }
  return false;
}
