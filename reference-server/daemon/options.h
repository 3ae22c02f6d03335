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
  unsigned timeout_command; /* seconds, RFC 5321 4.5.3.2.7: 5 minutes */
  unsigned timeout_data;    /* seconds, RFC 5321 4.5.3.2.5-6: 3 minutes per block */
  unsigned timeout_tls;     /* seconds for a TLS handshake */
  unsigned max_sessions;
  unsigned max_per_ip; /* 0 = no limit */
  bool no_store;       /* accept and discard (benchmarks) */
  bool quiet;          /* no per-session log lines */
  const char *tls_cert, *tls_key;
  const char *auth_users;
  bool allow_plain_auth;
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

/* listen_addr_parse - parse "1.2.3.4:25" or "[::1]:25" (numeric only). 0 or -1. */
int listen_addr_parse(const char *text, enum listen_kind kind, struct listen_addr *out);

#endif
