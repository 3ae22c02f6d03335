/* routes.h - where relayed mail goes next: per-domain routes (--routes FILE, lines of
 * "domain HOST:PORT") and a default next hop (--relay-host HOST:PORT). No MX lookups. */
#ifndef REFSMTPD_ROUTES_H
#define REFSMTPD_ROUTES_H

#include <stddef.h>
#include <sys/socket.h>

/* One route line. */
struct route {
  char *domain;
  char *next_hop; /* "HOST:PORT" */
};

/* The routes file and the default. */
struct routes {
  struct route *rows;
  size_t count;
  const char *fallback; /* --relay-host, or NULL */
};

/* routes_load - read path (NULL: none); '#' comments and blank lines are skipped. -1 with a
 * message naming the file and line in err. */
int routes_load(struct routes *r, const char *path, const char *fallback, char *err, size_t errcap);
/* routes_free - release the rows. */
void routes_free(struct routes *r);
/* routes_next_hop - "HOST:PORT" for a domain (case-insensitive, trailing dot ignored),
 * the fallback when no line names it, or NULL when mail for it cannot be relayed. */
const char *routes_next_hop(const struct routes *r, const char *domain, size_t len);

/* routes_resolve - turn "HOST:PORT" (a name, an IPv4 address or "[IPv6]") into a socket
 * address (getaddrinfo: names come from /etc/hosts or DNS A/AAAA, never MX). 0, or -1
 * with a reason in err. */
int routes_resolve(const char *next_hop, struct sockaddr_storage *ss, socklen_t *len, char *err,
                   size_t errcap);

#endif
