/* options.h - refsmtpd's command line: parsed into one struct, validated, no globals. */
#ifndef REFSMTPD_OPTIONS_H
#define REFSMTPD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define REFSMTPD_MAX_LISTEN 16
#define REFSMTPD_MAX_DOMAINS 64
#define REFSMTPD_MAX_RELAY_FROM 32

/* How STARTTLS to the next hop is used when relaying. */
enum relay_tls_mode {
  RELAY_TLS_OPPORTUNISTIC = 0, /* when offered (RFC 3207, RFC 7435) */
  RELAY_TLS_REQUIRE,           /* fail the attempt (4xx-like, retried) if not offered */
  RELAY_TLS_NONE,              /* never */
  RELAY_TLS_VERIFY,            /* required, and the certificate must chain to a trusted CA
                                  and match the next hop's name or address (RFC 6125) */
};

/* One --relay-from network: an address and a prefix length. */
struct cidr {
  int family; /* AF_INET or AF_INET6 */
  unsigned char addr[16];
  unsigned prefix;
};

/* What a listening socket serves. */
enum listen_kind {
  LISTEN_SMTP = 0,   /* plain SMTP, STARTTLS when a certificate is configured */
  LISTEN_TLS,        /* RFC 8314 implicit TLS */
  LISTEN_SUBMISSION, /* RFC 6409 submission: MAIL needs AUTH */
};

/* One --listen* address. */
struct listen_addr {
  enum listen_kind kind;
  struct sockaddr_storage ss;
  socklen_t len;
  char text[64]; /* as given, for messages */
};

/* Everything the command line sets. Strings point into argv. */
struct refsmtpd_options {
  struct listen_addr listen[REFSMTPD_MAX_LISTEN];
  size_t nlisten;
  const char *domains[REFSMTPD_MAX_DOMAINS]; /* local domains (recipient policy) */
  size_t ndomains;
  const char *maildir;  /* NULL only with no_store */
  const char *hostname; /* NULL: gethostname() */
  uint64_t max_size;    /* RFC 1870 SIZE; 0 = no limit */
  unsigned max_recipients;
  unsigned timeout_command;  /* seconds, RFC 5321 4.5.3.2.7: 5 minutes */
  unsigned timeout_data;     /* seconds, RFC 5321 4.5.3.2.5-6: 3 minutes per block */
  unsigned command_deadline; /* seconds from a command line's first octet to its CRLF */
  unsigned timeout_tls;      /* seconds for a TLS handshake */
  unsigned max_sessions;
  unsigned max_per_ip; /* 0 = no limit */
  bool no_store;       /* accept and discard (benchmarks) */
  bool quiet;          /* no per-session log lines */
  const char *tls_cert, *tls_key;
  const char *auth_users;
  bool allow_plain_auth;
  /* Relaying (issue 7): who may relay, where the queue lives, where mail goes next. */
  struct cidr relay_from[REFSMTPD_MAX_RELAY_FROM];
  size_t nrelay_from;
  const char *queue;      /* queue directory; NULL: no relaying */
  const char *relay_host; /* "HOST:PORT" for every non-local domain without a route */
  const char *routes;     /* file of "domain HOST:PORT" lines */
  enum relay_tls_mode relay_tls;
  const char *relay_ca;          /* PEM CA bundle for verify; NULL: the system store */
  unsigned retry_min, retry_max; /* seconds between attempts (backoff doubles) */
  unsigned queue_lifetime;       /* seconds before a message bounces */
  unsigned max_relay_conns;      /* outbound connections at once */
  /* Live counters (issue 6): loopback HTTP endpoint, Prometheus text format. */
  struct listen_addr metrics;
  bool have_metrics;
  unsigned drain_timeout; /* seconds after SIGTERM before remaining sessions are cut */
};

/* How options_parse ended. */
enum options_result {
  OPTIONS_OK = 0,
  OPTIONS_HELP,  /* --help: print usage, exit 0 */
  OPTIONS_ERROR, /* err holds a message: print it and usage, exit 2 */
};

/* options_parse - fill *o from argv[1..argc-1] (defaults first); err gets a message. */
enum options_result options_parse(struct refsmtpd_options *o, int argc, char **argv, char *err,
                                  size_t errcap);

/* options_usage - print the usage text. */
void options_usage(FILE *f);

/* host_port_valid - "name:port" or "[v6]:port" with a port from 1 to 65535. 0 or -1. */
int host_port_valid(const char *text);
/* cidr_parse - "10.0.0.0/8", "::1/128", or a bare address (full prefix). 0 or -1. */
int cidr_parse(const char *text, struct cidr *out);
/* cidr_match - is the socket address inside the network? (v4-mapped IPv6 counts as IPv4) */
bool cidr_match(const struct cidr *c, const struct sockaddr *sa);
/* relay_tls_mode_parse - "opportunistic", "require", "none" or "verify". 0 or -1. */
int relay_tls_mode_parse(const char *text, enum relay_tls_mode *out);
/* listen_addr_is_loopback - 127.0.0.0/8 or ::1. */
bool listen_addr_is_loopback(const struct listen_addr *a);

/* listen_addr_parse - parse "1.2.3.4:25" or "[::1]:25" (numeric only). 0 or -1. */
int listen_addr_parse(const char *text, enum listen_kind kind, struct listen_addr *out);

#endif
