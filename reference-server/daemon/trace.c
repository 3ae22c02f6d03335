/* trace.c - format Return-Path: and Received: (RFC 5321 4.4, RFC 3848, RFC 5322 3.3). */
#include "trace.h"

#include <stdio.h>
#include <string.h>

/* trace_protocol - the RFC 3848 "with" keyword. */
const char *trace_protocol(bool esmtp, bool tls, bool auth) {
  if (!esmtp)
    return "SMTP";
  if (tls && auth)
    return "ESMTPSA";
  if (tls)
    return "ESMTPS";
  if (auth)
    return "ESMTPA";
  return "ESMTP";
}

/* clean - copy peer text, replacing what could break the header or its comments. */
static void clean(const char *in, char *out, size_t cap, const char *fallback) {
  size_t o = 0;
  if (in == NULL || in[0] == '\0')
    in = fallback;
  for (; *in != '\0' && o + 1 < cap; in++) {
    unsigned char c = (unsigned char)*in;
    bool bad = c <= ' ' || c >= 0x7f || c == '(' || c == ')' || c == ';' || c == '\\';
    out[o++] = bad ? '?' : (char)c;
  }
  out[o] = '\0';
}

/* clean_path - like clean, for a mailbox inside <>: '<' and '>' are replaced as well. */
static void clean_path(const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (; in != NULL && *in != '\0' && o + 1 < cap; in++) {
    unsigned char c = (unsigned char)*in;
    bool bad = c < ' ' || c >= 0x7f || c == '<' || c == '>';
    out[o++] = bad ? '?' : (char)c;
  }
  out[o] = '\0';
}

/* trace_format - write Return-Path: and the folded Received: field into buf. */
int trace_format(const struct trace_info *t, char *buf, size_t cap) {
  char helo[256], rp[300], rcpt[300], date[64];
  struct tm tm;
  int n;

  clean(t->helo, helo, sizeof(helo), "unknown");
  clean_path(t->reverse_path, rp, sizeof(rp));
  if (t->for_rcpt != NULL)
    clean_path(t->for_rcpt, rcpt, sizeof(rcpt));
  /* RFC 5322 3.3 date-time; strftime's %a/%b are English in the C locale we run in. */
  localtime_r(&t->date, &tm);
  if (strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
    return -1;
  /* RFC 5321 4.4: From-domain with TCP-info as an address literal, By-domain, "with"
   * protocol (RFC 3848), ID, an optional "for" (one recipient only, so the Bcc list stays
   * private), then "; " date-time. Continuation lines start with a tab (RFC 5322 2.2.3). */
  n = snprintf(buf, cap,
               "Return-Path: <%s>\r\n"
               "Received: from %s ([%s%s])\r\n"
               "\tby %s with %s id %s%s%s%s;\r\n"
               "\t%s\r\n",
               rp, helo, t->client_ipv6 ? "IPv6:" : "", t->client_ip, t->hostname,
               trace_protocol(t->esmtp, t->tls, t->auth), t->id,
               t->for_rcpt != NULL ? "\r\n\tfor <" : "", t->for_rcpt != NULL ? rcpt : "",
               t->for_rcpt != NULL ? ">" : "", date);
  if (n < 0 || (size_t)n >= cap)
    return -1;
  return n;
}
