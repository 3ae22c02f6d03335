/* trace.h - the header lines the final delivery adds (RFC 5321 4.4): Return-Path: and
 * Received:. Pure formatting, so tests can pin every byte. */
#ifndef REFSMTPD_TRACE_H
#define REFSMTPD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* What the trace lines say about one transaction. */
struct trace_info {
  const char *reverse_path; /* MAIL FROM address without brackets, "" for <> */
  const char *helo;         /* HELO/EHLO argument, "" if none */
  const char *client_ip;    /* numeric, without brackets */
  bool client_ipv6;
  const char *hostname;  /* our name */
  bool esmtp, tls, auth; /* protocol: SMTP/ESMTP + S + A (RFC 3848) */
  const char *id;        /* our message id */
  const char *for_rcpt;  /* the recipient when there is exactly one, else NULL */
  time_t date;
};

/* trace_protocol - the RFC 3848 "with" keyword: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA. */
const char *trace_protocol(bool esmtp, bool tls, bool auth);

/* trace_format - write "Return-Path: <...>" CRLF and the folded Received: field into buf,
 * NUL-terminated. Octets outside printable US-ASCII in peer-supplied text are replaced
 * by '?', so the client cannot forge header lines. Returns the length or -1 if cap is
 * too small. */
int trace_format(const struct trace_info *t, char *buf, size_t cap);

#endif
