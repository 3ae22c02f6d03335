/* smtp/data.h - DATA transparency (RFC 5321 4.5.2) and BDAT chunk accounting (RFC 3030). */
#ifndef SMTP_DATA_H
#define SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defects seen in a DATA stream (bit flags). */
enum smtp_data_defect {
  SMTP_DATA_BARE_CR = 1u << 0,       /* CR not followed by LF */
  SMTP_DATA_BARE_LF = 1u << 1,       /* LF not preceded by CR */
  SMTP_DATA_NUL = 1u << 2,           /* NUL octet */
  SMTP_DATA_LINE_TOO_LONG = 1u << 3, /* a line over 1000 octets with CRLF (4.5.3.1.6) */
  SMTP_DATA_8BIT = 1u << 4,          /* an octet >= 0x80 */
};

/* Streaming dot-unstuffer. Zero-fill before use; fields are private. */
struct smtp_unstuffer {
  int state;        /* private */
  size_t line_len;  /* private: octets in the current line */
  unsigned defects; /* enum smtp_data_defect bits seen so far */
  uint64_t total;   /* octets of message content produced so far */
};

/* smtp_unstuff - consume DATA bytes from in, append the message content (dot-unstuffed,
 * CRLF kept, the final CRLF.CRLF removed except its first CRLF, which ends the last line)
 * to out. out must have room for len octets plus 2 (a CR held back from an earlier call
 * may be released). Sets *done and stops at the end-of-data mark, which is ONLY
 * CRLF "." CRLF (RFC 5321 4.1.1.4): LF.LF, CR.CR, CRLF.LF and the other smuggling
 * variants are content. The message start counts as following a CRLF.
 * Returns octets of in consumed; *out_len receives octets written. */
size_t smtp_unstuff(struct smtp_unstuffer *u, const char *in, size_t len, char *out,
                    size_t *out_len, bool *done);

/* Streaming dot-stuffer for clients. Zero-fill before use. */
struct smtp_stuffer {
  int at_line_start; /* private: 0 means "at line start" (zero-fill) */
  int last;          /* private */
};

/* smtp_stuff - copy message content to out, doubling a '.' that begins a line and
 * turning bare LF into CRLF. out needs room for 2*len octets. Returns octets written. */
size_t smtp_stuff(struct smtp_stuffer *s, const char *in, size_t len, char *out);

/* smtp_stuff_end - write the end-of-data mark: CRLF "." CRLF, or "." CRLF when the
 * content already ended in CRLF (or was empty). out needs 5 octets. Returns octets. */
size_t smtp_stuff_end(const struct smtp_stuffer *s, char *out);

/* BDAT chunk accounting (RFC 3030): octets still owed by the current chunk. */
struct smtp_bdat {
  uint64_t remaining; /* octets of the current chunk not yet received */
  bool last;          /* the current chunk was announced LAST */
  uint64_t total;     /* octets received across all chunks of the message */
};

/* smtp_bdat_take - given a buffer, how many octets belong to the current chunk. */
size_t smtp_bdat_take(struct smtp_bdat *b, size_t available);

#endif
