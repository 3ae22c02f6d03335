/* hostport.c - HOST[:PORT] as the command line writes it, and as messages show it. */
#include "hostport.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* copy_checked - copy n octets of s into dst (cap) with NUL; -1 if it does not fit. */
static int copy_checked(char *dst, size_t cap, const char *s, size_t n) {
  if (n + 1 > cap)
    return -1;
  memcpy(dst, s, n);
  dst[n] = '\0';
  return 0;
}

/* port_valid - a port is 1..65535 (0..65535 with zero_ok) in decimal, or a service name
 * ("smtp", "submission"). */
static int port_valid(const char *p, size_t n, bool zero_ok) {
  if (n == 0 || n > 32)
    return 0;
  int digits = 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)p[i];
    if (ch < '0' || ch > '9')
      digits = 0;
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          ch == '-'))
      return 0;
  }
  if (!digits)
    return p[0] != '-';
  if (n > 5)
    return 0;
  long v = strtol(p, NULL, 10);
  return v >= (zero_ok ? 0 : 1) && v <= 65535;
}

/* host_valid - no empty host, no white space or brackets inside a host name. */
static int host_valid(const char *h, size_t n) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)h[i];
    if (ch <= ' ' || ch == '[' || ch == ']' || ch == '/' || ch >= 0x7f)
      return 0;
  }
  return 1;
}

/* parse - split HOST[:PORT]; an IPv6 literal takes brackets to carry a port. */
static int parse(const char *s, const char *default_port, bool zero_ok, char *host, size_t hostcap,
                 char *port, size_t portcap) {
  if (!s || !host || !port || hostcap == 0 || portcap == 0)
    return -1;
  const char *h = s, *p = NULL;
  size_t hn, pn = 0;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close)
      return -1;
    h = s + 1;
    hn = (size_t)(close - h);
    if (close[1] == ':') {
      p = close + 2;
      pn = strlen(p);
      if (pn == 0)
        return -1;
    } else if (close[1] != '\0') {
      return -1;
    }
    if (hn == 0 || !strchr(h, ':') || (size_t)(strchr(h, ':') - h) > hn)
      return -1; /* brackets are only for IPv6 literals */
    for (size_t i = 0; i < hn; i++)
      if (!strchr("0123456789abcdefABCDEF:.%", h[i]) && !(h[i] >= 'g' && h[i] <= 'z'))
        return -1;
  } else {
    const char *colon = strchr(s, ':');
    if (colon && strchr(colon + 1, ':')) {
      hn = strlen(s); /* two or more colons: a bare IPv6 literal, no port */
      if (hn && s[hn - 1] == ':' && (hn < 2 || s[hn - 2] != ':'))
        return -1;
    } else if (colon) {
      hn = (size_t)(colon - s);
      p = colon + 1;
      pn = strlen(p);
      if (pn == 0)
        return -1;
    } else {
      hn = strlen(s);
    }
    if (!host_valid(h, hn))
      return -1;
  }
  if (!p) {
    if (!default_port)
      return -1;
    p = default_port;
    pn = strlen(p);
  }
  if (!port_valid(p, pn, zero_ok))
    return -1;
  if (copy_checked(host, hostcap, h, hn) < 0 || copy_checked(port, portcap, p, pn) < 0)
    return -1;
  return 0;
}

/* hostport_parse - a server to connect to: port 0 is not one. */
int hostport_parse(const char *s, const char *default_port, char *host, size_t hostcap, char *port,
                   size_t portcap) {
  return parse(s, default_port, false, host, hostcap, port, portcap);
}

/* hostport_parse_listen - an address to bind, where bind(2) reads port 0 as "any free
 * port". */
int hostport_parse_listen(const char *s, const char *default_port, char *host, size_t hostcap,
                          char *port, size_t portcap) {
  return parse(s, default_port, true, host, hostcap, port, portcap);
}

/* hostport_format - numeric host and port, brackets around an IPv6 address. */
void hostport_format(const struct sockaddr *sa, socklen_t len, char *out, size_t cap) {
  char h[INET6_ADDRSTRLEN + 24], s[16];
  if (getnameinfo(sa, len, h, sizeof h, s, sizeof s, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    snprintf(out, cap, "?");
    return;
  }
  if (sa->sa_family == AF_INET6)
    snprintf(out, cap, "[%s]:%s", h, s);
  else
    snprintf(out, cap, "%s:%s", h, s);
}
