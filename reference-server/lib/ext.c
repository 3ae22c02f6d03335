/* ext.c - EHLO keywords of the extensions libsmtp knows. */
#include "smtp/ext.h"

#include <stddef.h>
#include <strings.h>

/* One extension: its bit and EHLO keyword. */
struct ext_name {
  unsigned bit;
  const char *keyword;
};

static const struct ext_name ext_names[] = {
    {SMTP_EXT_PIPELINING, "PIPELINING"}, {SMTP_EXT_SIZE, "SIZE"},
    {SMTP_EXT_8BITMIME, "8BITMIME"},     {SMTP_EXT_ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES"},
    {SMTP_EXT_SMTPUTF8, "SMTPUTF8"},     {SMTP_EXT_CHUNKING, "CHUNKING"},
    {SMTP_EXT_BINARYMIME, "BINARYMIME"}, {SMTP_EXT_DSN, "DSN"},
    {SMTP_EXT_STARTTLS, "STARTTLS"},     {SMTP_EXT_AUTH, "AUTH"},
};

/* smtp_ext_from_keyword - RFC 5321 4.1.1.1: EHLO keywords are case-insensitive. */
unsigned smtp_ext_from_keyword(const char *kw, unsigned long len) {
  for (size_t i = 0; i < sizeof ext_names / sizeof ext_names[0]; i++) {
    const char *name = ext_names[i].keyword;
    size_t n = 0;
    while (name[n])
      n++;
    if (n == len && strncasecmp(kw, name, len) == 0)
      return ext_names[i].bit;
  }
  return 0;
}

/* smtp_ext_name - the keyword for exactly one bit. */
const char *smtp_ext_name(unsigned bit) {
  for (size_t i = 0; i < sizeof ext_names / sizeof ext_names[0]; i++)
    if (ext_names[i].bit == bit)
      return ext_names[i].keyword;
  return NULL;
}
