/* send_message.c - the message `smtpcheck send` sends: read, CRLF-normalised, headers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sbuf.h"
#include "send_session.h"

/* The default message when none is given and standard input is a terminal. */
static const char default_body[] = "This is a test message sent by smtpcheck send.\r\n";

/* read_all - the whole of f into b. */
static int read_all(FILE *f, struct sbuf *b) {
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    if (sbuf_append(b, buf, n) < 0)
      return -1;
  return ferror(f) ? -1 : 0;
}

/* send_has_header - RFC 5322 2.2: a field is a name of printable ASCII but ':' and SP,
 * then ':'. A message "has headers" when its first line is such a field. */
bool send_has_header(const char *content, size_t len) {
  size_t i = 0;
  while (i < len && content[i] > ' ' && content[i] < 0x7f && content[i] != ':')
    i++;
  return i > 0 && i < len && content[i] == ':';
}

/* add_headers - RFC 5322 3.6: Date and From are required; To, Subject and Message-ID
 * are what a reader expects. Then the blank line that ends the header section. */
static int add_headers(struct sbuf *b, const struct send_options *o) {
  char date[64];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  /* RFC 5322 3.3: "Tue, 03 Oct 2023 12:00:00 +0200" (English names, whatever the locale). */
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  long off = tm.tm_gmtoff / 60;
  snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday],
           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
           off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
  const char *domain = strchr(o->ehlo, '@') ? "smtpcheck.invalid" : o->ehlo;
  if (sbuf_appendf(b, "Date: %s\r\n", date) < 0 ||
      sbuf_appendf(b, "From: <%s>\r\n", o->from[0] ? o->from : "MAILER-DAEMON") < 0)
    return -1;
  for (size_t i = 0; i < o->nrcpts; i++)
    if (sbuf_appendf(b, "%s<%s>%s", i == 0 ? "To: " : " ", o->rcpts[i],
                     i + 1 < o->nrcpts ? ",\r\n" : "\r\n") < 0)
      return -1;
  if (sbuf_appendf(b, "Subject: test %s\r\n", date) < 0 ||
      sbuf_appendf(b, "Message-ID: <%lld.%ld@%s>\r\n", (long long)now, (long)getpid(), domain) < 0)
    return -1;
  return sbuf_append(b, "\r\n", 2);
}

/* add_crlf - copy raw into b with every bare LF made CRLF (RFC 5321 2.3.8). */
static int add_crlf(struct sbuf *b, const char *raw, size_t len) {
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (raw[i] != '\n' || (i > 0 && raw[i - 1] == '\r'))
      continue;
    if (sbuf_append(b, raw + start, i - start) < 0 || sbuf_append(b, "\r\n", 2) < 0)
      return -1;
    start = i + 1;
  }
  return sbuf_append(b, raw + start, len - start);
}

/* send_load_content - file, stdin or the default body; CRLF-normalised and ended;
 * headers if asked. */
int send_load_content(const struct send_options *o, char **out, size_t *len, char *err,
                      size_t errlen) {
  struct sbuf raw = {0}, msg = {0};
  int rc = -1;
  bool from_stdin = !o->data_file || !strcmp(o->data_file, "-");
  if (from_stdin && !o->data_file && isatty(STDIN_FILENO)) {
    if (sbuf_append(&raw, default_body, sizeof default_body - 1) < 0)
      goto nomem;
  } else if (from_stdin) {
    if (read_all(stdin, &raw) < 0) {
      snprintf(err, errlen, "cannot read the message from standard input: %s", strerror(errno));
      goto out;
    }
  } else {
    FILE *f = fopen(o->data_file, "rb");
    if (!f) {
      snprintf(err, errlen, "cannot open %s: %s", o->data_file, strerror(errno));
      goto out;
    }
    int r = read_all(f, &raw);
    int e = errno;
    fclose(f);
    if (r < 0) {
      snprintf(err, errlen, "cannot read %s: %s", o->data_file, strerror(e));
      goto out;
    }
  }
  bool auto_headers = o->header_auto || (!o->data_file && from_stdin && isatty(STDIN_FILENO));
  if (auto_headers && !send_has_header(raw.p ? raw.p : "", raw.len) && add_headers(&msg, o) < 0)
    goto nomem;
  if (add_crlf(&msg, raw.p ? raw.p : "", raw.len) < 0 || sbuf_reserve(&msg, 0) < 0)
    goto nomem;
  /* RFC 5322 2.1: every line ends in CRLF, the last one too (DATA and BDAT then agree). */
  if (msg.len > 0 && (msg.len < 2 || memcmp(msg.p + msg.len - 2, "\r\n", 2) != 0) &&
      sbuf_append(&msg, "\r\n", 2) < 0)
    goto nomem;
  *out = msg.p;
  *len = msg.len;
  msg.p = NULL;
  rc = 0;
  goto out;
nomem:
  snprintf(err, errlen, "out of memory reading the message");
out:
  sbuf_free(&raw);
  sbuf_free(&msg);
  return rc;
}
