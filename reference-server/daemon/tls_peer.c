/* tls_peer.c - the identity a next hop's certificate must match (RFC 6125, RFC 7672 3.2.2:
 * the name the route gives, since refsmtpd does no MX lookup). */
#include "tls_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* name_valid - letters, digits, '-', '_' and '.', no empty label (RFC 1123 2.1 host names;
 * '_' is tolerated because routes name hosts, not only mail domains). */
static int name_valid(const char *s, size_t len) {
  size_t label = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '.') {
      if (label == 0)
        return -1;
      label = 0;
      continue;
    }
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '-' || ch == '_'))
      return -1;
    /* RFC 1035 2.3.4: a label is at most 63 octets. */
    if (++label > 63)
      return -1;
  }
  return label > 0 ? 0 : -1;
}

/* tls_peer_parse - the host of "HOST:PORT" as a name or an address. */
int tls_peer_parse(const char *next_hop, struct tls_peer *out) {
  const char *colon = strrchr(next_hop, ':');
  const char *host = next_hop;
  size_t hlen;
  unsigned char bin[sizeof(struct in6_addr)];

  memset(out, 0, sizeof(*out));
  if (colon == NULL || colon[1] == '\0')
    return -1;
  hlen = (size_t)(colon - next_hop);
  if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
    host++;
    hlen -= 2;
    if (hlen == 0 || hlen >= sizeof(out->host))
      return -1;
    memcpy(out->host, host, hlen);
    out->kind = TLS_PEER_IPV6;
    return inet_pton(AF_INET6, out->host, bin) == 1 ? 0 : -1;
  }
  if (hlen == 0 || hlen >= sizeof(out->host) || host[0] == '[')
    return -1;
  memcpy(out->host, host, hlen);
  if (inet_pton(AF_INET, out->host, bin) == 1) {
    out->kind = TLS_PEER_IPV4;
    return 0;
  }
  if (inet_pton(AF_INET6, out->host, bin) == 1) {
    out->kind = TLS_PEER_IPV6;
    return 0;
  }
  /* RFC 6066 3: the SNI host name carries no trailing dot; RFC 6125 6.4.1 compares
   * names without it too. */
  if (hlen > 1 && out->host[hlen - 1] == '.')
    out->host[--hlen] = '\0';
  out->kind = TLS_PEER_NAME;
  return name_valid(out->host, hlen);
}
