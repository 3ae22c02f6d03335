/* send_session.h - `smtpcheck send`: the message to send and one session that sends it. */
#ifndef SMTPCHECK_SEND_SESSION_H
#define SMTPCHECK_SEND_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "smtp/client.h"

/* Everything `send` was told on the command line. */
struct send_options {
  const char *host, *port; /* from --server HOST[:PORT] */
  const char *from;        /* "" for the null reverse-path */
  const char *const *rcpts;
  size_t nrcpts;
  const char *ehlo;
  const char *data_file; /* NULL or "-": standard input */
  bool header_auto;
  bool verbose;      /* transcript on stdout */
  bool implicit_tls; /* --tls: TLS from the first octet (RFC 8314) */
  enum smtp_client_tls starttls;
  const char *auth_user, *auth_pass;
  bool tls_verify;
  const char *ca_file;
  int timeout_ms; /* per connect, read, write and handshake */
  size_t count;   /* copies of the message, in one session */
  bool pipelining, chunking;
};

/* send_load_content - read the message (file or stdin), turn bare LF into CRLF, and with
 * header_auto add Date/From/To/Subject/Message-ID when it has no header. The result is
 * malloc'ed in *out. Returns 0, or -1 with a message in err. */
int send_load_content(const struct send_options *o, char **out, size_t *len, char *err,
                      size_t errlen);

/* send_has_header - does the content start with a header field (RFC 5322 2.2)? */
bool send_has_header(const char *content, size_t len);

/* send_run - connect, run the client engine over the connection, report.
 * Returns EXIT_OK (all delivered), EXIT_FINDING (refused or failed), EXIT_UNREACHABLE. */
int send_run(const struct send_options *o, const char *content, size_t len);

#endif
