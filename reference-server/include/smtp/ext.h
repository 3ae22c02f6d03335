/* smtp/ext.h - the ESMTP extensions the reference implementation knows, as bits. */
#ifndef SMTP_EXT_H
#define SMTP_EXT_H

enum smtp_ext {
  SMTP_EXT_PIPELINING = 1u << 0,          /* RFC 2920 */
  SMTP_EXT_SIZE = 1u << 1,                /* RFC 1870 */
  SMTP_EXT_8BITMIME = 1u << 2,            /* RFC 6152 */
  SMTP_EXT_ENHANCEDSTATUSCODES = 1u << 3, /* RFC 2034 */
  SMTP_EXT_SMTPUTF8 = 1u << 4,            /* RFC 6531 */
  SMTP_EXT_CHUNKING = 1u << 5,            /* RFC 3030 */
  SMTP_EXT_BINARYMIME = 1u << 6,          /* RFC 3030 */
  SMTP_EXT_DSN = 1u << 7,                 /* RFC 3461 */
  SMTP_EXT_STARTTLS = 1u << 8,            /* RFC 3207 */
  SMTP_EXT_AUTH = 1u << 9,                /* RFC 4954 */
};

/* Every extension above. */
#define SMTP_EXT_ALL 0x3ffu

/* smtp_ext_from_keyword - the bit for an EHLO keyword (case-insensitive), 0 if unknown. */
unsigned smtp_ext_from_keyword(const char *kw, unsigned long len);

/* smtp_ext_name - the EHLO keyword of one bit ("PIPELINING"), NULL if not one bit. */
const char *smtp_ext_name(unsigned bit);

#endif
