/* smtp/base64.h - RFC 4648 section 4 base64, strict, without allocation (for AUTH). */
#ifndef SMTP_BASE64_H
#define SMTP_BASE64_H

#include <stddef.h>
#include <sys/types.h>

/* The octets smtp_base64_encode() writes for len input octets, NUL included. */
#define SMTP_BASE64_ENCODED_SIZE(len) (4 * (((len) + 2) / 3) + 1)
/* The most octets smtp_base64_decode() can produce from len input octets. */
#define SMTP_BASE64_DECODED_MAX(len) (3 * ((len) / 4))

/* smtp_base64_decode - decode in[0..len) into out (at most cap octets). Strict
 * (RFC 4648 3.1-3.5): the alphabet of section 4 only, no whitespace or line breaks, len a
 * multiple of 4, '=' only as the final one or two octets, and the unused bits before the
 * padding zero (a canonical encoding). Returns the octets written, or -1 on any invalid
 * input or when cap is too small. len 0 decodes to 0 octets. */
ssize_t smtp_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap);

/* smtp_base64_encode - encode in[0..len) into out, padded, NUL-terminated; out needs
 * SMTP_BASE64_ENCODED_SIZE(len) octets. Returns the length without the NUL. */
size_t smtp_base64_encode(const unsigned char *in, size_t len, char *out);

#endif
