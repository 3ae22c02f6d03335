/* log.c - refsmtpd's log lines: one write(2) per line to stderr, with a UTC timestamp. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* log_msg - one line to stderr, "refsmtpd: " after the time. */
void log_msg(const char *fmt, ...) {
  char line[1024];
  struct timeval tv;
  struct tm tm;
  size_t n;
  int m;
  va_list ap;

  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
  m = snprintf(line + n, sizeof(line) - n, ".%03ldZ refsmtpd: ", (long)(tv.tv_usec / 1000));
  if (m > 0)
    n += (size_t)m;
  va_start(ap, fmt);
  m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
  va_end(ap);
  if (m < 0)
    m = 0;
  n += (size_t)m;
  if (n > sizeof(line) - 2)
    n = sizeof(line) - 2;
  line[n++] = '\n';
  /* One write per line, so lines from a busy daemon never interleave mid-line. */
  if (write(STDERR_FILENO, line, n) < 0) {
    /* nothing sensible to do when stderr is gone */
  }
}

/* log_clean - copy peer-supplied text for a log line: non-printable octets become '?'. */
void log_clean(const char *in, size_t len, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 1 < cap; i++) {
    unsigned char c = (unsigned char)in[i];
    out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
  }
  out[o] = '\0';
}
