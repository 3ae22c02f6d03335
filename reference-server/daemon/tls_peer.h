/* tls_peer.h - who a next hop must prove to be: the host part of its "HOST:PORT", as a
 * DNS name (checked against the certificate's DNS names, sent as SNI) or as an IP
 * address (checked against its IP address entries, never sent as SNI). */
#ifndef REFSMTPD_TLS_PEER_H
#define REFSMTPD_TLS_PEER_H

/* What the host part of a next hop is. */
enum tls_peer_kind {
  TLS_PEER_NAME = 0, /* a DNS name: RFC 6125 6.4 reference identifier, RFC 6066 3 SNI */
  TLS_PEER_IPV4,     /* "192.0.2.1" */
  TLS_PEER_IPV6,     /* "[2001:db8::1]" (or bare) */
};

/* The identity to check; host has no brackets, no port and no trailing dot. */
struct tls_peer {
  enum tls_peer_kind kind;
  char host[256];
};

/* tls_peer_parse - split "HOST:PORT" (HOST a name, IPv4 or "[IPv6]") into the identity
 * to verify. -1 when there is no port, the host is empty or too long, brackets hold no
 * IPv6 address, or a name has an octet outside letters, digits, '-', '_' and '.'. */
int tls_peer_parse(const char *next_hop, struct tls_peer *out);

#endif
