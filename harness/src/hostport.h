/* hostport.h - HOST[:PORT] text: parsed from the command line, formatted from a socket
 * address. */
#ifndef SMTPCHECK_HOSTPORT_H
#define SMTPCHECK_HOSTPORT_H

#include <stddef.h>
#include <sys/socket.h>

/* hostport_parse - split "host", "host:port", "[v6]:port", "v6" into host and port
   (default_port when absent). The port is 1-65535 or a service name. Returns 0, or -1
   for a malformed string. */
int hostport_parse(const char *s, const char *default_port, char *host, size_t hostcap, char *port,
                   size_t portcap);

/* hostport_parse_listen - hostport_parse for an address to listen on: port 0 is valid
 * too (the kernel picks a free port). */
int hostport_parse_listen(const char *s, const char *default_port, char *host, size_t hostcap,
                          char *port, size_t portcap);

/* hostport_format - "1.2.3.4:25" or "[::1]:25" for a socket address ("?" if it has none). */
void hostport_format(const struct sockaddr *sa, socklen_t len, char *out, size_t cap);

#endif
