/* suite_embedded.h - the conformance suite scripts compiled into the binary. */
#ifndef SUITE_EMBEDDED_H
#define SUITE_EMBEDDED_H

/* One script file of harness/suite/, by its path relative to that folder. */
struct embedded_script {
  const char *name; /* e.g. "rfc5321/sequence.smtp" */
  const char *text; /* NUL-terminated contents */
  unsigned long len;
};

/* Every script, terminated by an entry whose name is NULL. */
extern const struct embedded_script smtpcheck_suite[];
extern const unsigned long smtpcheck_suite_count;

#endif
