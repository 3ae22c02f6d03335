/* dsn.c - RFC 3464 multipart/report bounces with message/delivery-status and the
 * original header section as text/rfc822-headers (RFC 6522). */
#include "dsn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Field bodies we copy from peers are cut to this (RFC 5322 2.1.1: lines <= 998). */
#define DSN_TEXT_MAX 400

/* dsn_status - the RFC 3463 status for a reply. */
void dsn_status(int code, const char *text, char *buf, size_t cap) {
  int cls = code / 100, a = 0, b = 0, c = 0, n = 0;
  if (cls != 4 && cls != 5)
    cls = 5;
  /* RFC 3463 2: class.subject.detail, class matching the reply's first digit. */
  if (text != NULL && sscanf(text, "%1d.%3d.%3d%n", &a, &b, &c, &n) == 3 && n > 0 && a == cls &&
      (text[n] == '\0' || text[n] == ' ')) {
    snprintf(buf, cap, "%d.%d.%d", a, b, c);
    return;
  }
  snprintf(buf, cap, "%d.0.0", cls);
}

/* dsn_header_len - the header section's length, without the empty line. */
size_t dsn_header_len(const char *content, size_t len) {
  if (len >= 2 && content[0] == '\r' && content[1] == '\n')
    return 0;
  for (size_t i = 0; i + 3 < len; i++)
    if (memcmp(content + i, "\r\n\r\n", 4) == 0)
      return i + 2;
  return len;
}

/* put_clean - write text as one header field body: printable ASCII only, bounded. */
static void put_clean(FILE *f, const char *s) {
  size_t n = 0;
  for (; s != NULL && *s != '\0' && n < DSN_TEXT_MAX; s++, n++) {
    unsigned char c = (unsigned char)*s;
    fputc(c < ' ' || c >= 0x7f ? '?' : c, f);
  }
}

/* put_date - RFC 5322 3.3 date-time. */
static void put_date(FILE *f, time_t t) {
  char date[64];
  struct tm tm;
  localtime_r(&t, &tm);
  if (strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) > 0)
    fputs(date, f);
}

/* put_headers - the bounce's own header section. */
static void put_headers(FILE *f, const struct dsn_info *d) {
  fprintf(f, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", d->reporting_mta);
  fputs("To: <", f);
  put_clean(f, d->sender);
  fputs(">\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: ", f);
  put_date(f, d->now);
  fprintf(f, "\r\nMessage-ID: <%s@%s>\r\n", d->boundary_id, d->reporting_mta);
  /* RFC 3834 5: automatic responses say so, so that no one answers them in turn. */
  fputs("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n", f);
  fprintf(f,
          "Content-Type: multipart/report; report-type=delivery-status;\r\n"
          "\tboundary=\"%s/%s\"\r\n\r\n",
          d->boundary_id, d->reporting_mta);
  fputs("This is a MIME-encapsulated message (RFC 3464 delivery status notification).\r\n\r\n", f);
}

/* put_human - the text/plain part a person reads. */
static void put_human(FILE *f, const struct dsn_info *d, const char *boundary) {
  fprintf(f, "--%s\r\nContent-Description: Notification\r\n", boundary);
  fputs("Content-Type: text/plain; charset=us-ascii\r\n\r\n", f);
  fprintf(f, "This is the mail system at host %s.\r\n\r\n", d->reporting_mta);
  fputs("Your message could not be delivered to one or more recipients.\r\n\r\n", f);
  for (size_t i = 0; i < d->nrcpts; i++) {
    fputs("<", f);
    put_clean(f, d->rcpts[i].addr);
    fputs(">: ", f);
    put_clean(f, d->rcpts[i].diag);
    fputs("\r\n", f);
  }
  fputs("\r\n", f);
}

/* put_status - the message/delivery-status part (RFC 3464 2.2, 2.3). */
static void put_status(FILE *f, const struct dsn_info *d, const char *boundary) {
  fprintf(f, "--%s\r\nContent-Description: Delivery report\r\n", boundary);
  fputs("Content-Type: message/delivery-status\r\n\r\n", f);
  /* Per-message fields (2.2): Reporting-MTA is required. */
  fprintf(f, "Reporting-MTA: dns; %s\r\n", d->reporting_mta);
  fputs("X-Refsmtpd-Queue-ID: ", f);
  put_clean(f, d->envelope_id);
  fputs("\r\nArrival-Date: ", f);
  put_date(f, d->arrival);
  fputs("\r\n", f);
  /* Per-recipient fields (2.3): Final-Recipient, Action and Status are required. */
  for (size_t i = 0; i < d->nrcpts; i++) {
    const struct dsn_rcpt *r = &d->rcpts[i];
    fputs("\r\nFinal-Recipient: rfc822; ", f);
    put_clean(f, r->addr);
    fputs("\r\nAction: failed\r\nStatus: ", f);
    put_clean(f, r->status);
    fputs("\r\n", f);
    if (r->diag != NULL && r->diag[0] != '\0') {
      fputs(r->smtp_diag ? "Diagnostic-Code: smtp; " : "Diagnostic-Code: X-refsmtpd; ", f);
      put_clean(f, r->diag);
      fputs("\r\n", f);
    }
    fputs("Last-Attempt-Date: ", f);
    put_date(f, d->now);
    fputs("\r\n", f);
  }
  fputs("\r\n", f);
}

/* put_original - the original header section as text/rfc822-headers (RFC 6522 3). */
static void put_original(FILE *f, const struct dsn_info *d, const char *boundary) {
  size_t n = dsn_header_len(d->content, d->content_len);
  fprintf(f, "--%s\r\nContent-Description: Undelivered Message Headers\r\n", boundary);
  fputs("Content-Type: text/rfc822-headers\r\n\r\n", f);
  fwrite(d->content, 1, n, f);
  if (n < 2 || d->content[n - 2] != '\r' || d->content[n - 1] != '\n')
    fputs("\r\n", f);
  fprintf(f, "\r\n--%s--\r\n", boundary);
}

/* dsn_format - the whole bounce. */
char *dsn_format(const struct dsn_info *d, size_t *len) {
  char *buf = NULL, boundary[400];
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);

  if (f == NULL)
    return NULL;
  snprintf(boundary, sizeof(boundary), "%s/%s", d->boundary_id, d->reporting_mta);
  put_headers(f, d);
  put_human(f, d, boundary);
  put_status(f, d, boundary);
  put_original(f, d, boundary);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  *len = size;
  return buf;
}
