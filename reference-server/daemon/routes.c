/* routes.c - the --routes file and next-hop resolution. */
#include "routes.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

/* trim - strip trailing whitespace and line ending in place. */
static void trim(char *s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = '\0';
}

/* add_row - append one route (copies both strings). 0 or -1. */
static int add_row(struct routes *r, const char *domain, const char *hop) {
  struct route *grown = realloc(r->rows, (r->count + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  r->rows = grown;
  grown[r->count].domain = strdup(domain);
  grown[r->count].next_hop = strdup(hop);
  if (grown[r->count].domain == NULL || grown[r->count].next_hop == NULL) {
    free(grown[r->count].domain);
    free(grown[r->count].next_hop);
    return -1;
  }
  r->count++;
  return 0;
}

/* routes_load - read the routes file. */
int routes_load(struct routes *r, const char *path, const char *fallback, char *err,
                size_t errcap) {
  char line[1024];
  unsigned lineno = 0;
  FILE *f;
  int rc = -1;

  memset(r, 0, sizeof(*r));
  r->fallback = fallback;
  if (path == NULL)
    return 0;
  f = fopen(path, "re");
  if (f == NULL) {
    snprintf(err, errcap, "cannot read --routes %s: %s", path, strerror(errno));
    return -1;
  }
  while (fgets(line, sizeof(line), f) != NULL) {
    char *domain, *hop, *extra, *save = NULL;
    lineno++;
    trim(line);
    domain = strtok_r(line, " \t", &save);
    if (domain == NULL || domain[0] == '#')
      continue;
    hop = strtok_r(NULL, " \t", &save);
    extra = strtok_r(NULL, " \t", &save);
    /* RFC 5321 4.5.3.1.2: a domain is at most 255 octets. */
    if (hop == NULL || extra != NULL || strlen(domain) > 255 || strchr(domain, '@') != NULL ||
        host_port_valid(hop) != 0) {
      snprintf(err, errcap, "--routes %s line %u: expected 'domain HOST:PORT'", path, lineno);
      goto out;
    }
    if (add_row(r, domain, hop) != 0) {
      snprintf(err, errcap, "out of memory");
      goto out;
    }
  }
  if (ferror(f)) {
    snprintf(err, errcap, "cannot read --routes %s: %s", path, strerror(errno));
    goto out;
  }
  rc = 0;
out:
  fclose(f);
  if (rc != 0)
    routes_free(r);
  return rc;
}

/* routes_free - release the rows. */
void routes_free(struct routes *r) {
  for (size_t i = 0; i < r->count; i++) {
    free(r->rows[i].domain);
    free(r->rows[i].next_hop);
  }
  free(r->rows);
  r->rows = NULL;
  r->count = 0;
}

/* routes_next_hop - the route for a domain, the fallback, or NULL. */
const char *routes_next_hop(const struct routes *r, const char *domain, size_t len) {
  if (len > 1 && domain[len - 1] == '.')
    len--;
  for (size_t i = 0; i < r->count; i++) {
    const char *d = r->rows[i].domain;
    size_t dlen = strlen(d);
    if (dlen > 1 && d[dlen - 1] == '.')
      dlen--;
    /* RFC 5321 2.4: domain names are case-insensitive. */
    if (dlen == len && strncasecmp(d, domain, len) == 0)
      return r->rows[i].next_hop;
  }
  return r->fallback;
}

/* routes_resolve - "HOST:PORT" into a socket address. */
int routes_resolve(const char *next_hop, struct sockaddr_storage *ss, socklen_t *len, char *err,
                   size_t errcap) {
  char host[260];
  const char *colon = strrchr(next_hop, ':');
  struct addrinfo hints, *res = NULL;
  size_t hlen;
  int gai;

  if (colon == NULL || (hlen = (size_t)(colon - next_hop)) == 0 || hlen >= sizeof(host)) {
    snprintf(err, errcap, "'%s' is not HOST:PORT", next_hop);
    return -1;
  }
  if (next_hop[0] == '[' && hlen > 2 && next_hop[hlen - 1] == ']') {
    memcpy(host, next_hop + 1, hlen - 2);
    host[hlen - 2] = '\0';
  } else {
    memcpy(host, next_hop, hlen);
    host[hlen] = '\0';
  }
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  gai = getaddrinfo(host, colon + 1, &hints, &res);
  if (gai != 0 || res == NULL) {
    snprintf(err, errcap, "cannot resolve %s: %s", host, gai_strerror(gai));
    if (res != NULL)
      freeaddrinfo(res);
    return -1;
  }
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}
