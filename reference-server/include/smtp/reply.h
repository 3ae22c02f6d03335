/* smtp/reply.h - RFC 5321 4.2 reply formatter and an exacting reply parser. */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The most lines the parser indexes in one reply (later lines are still consumed). */
#define SMTP_REPLY_LINES_MAX 64

/* Defects the parser reports; a reply with defects is still returned when delimitable. */
enum smtp_reply_defect {
  SMTP_REPLY_BARE_LF = 1u << 0,        /* a line ended in LF without CR (2.3.8) */
  SMTP_REPLY_BARE_CR = 1u << 1,        /* a CR not followed by LF inside a line */
  SMTP_REPLY_MIXED_CODES = 1u << 2,    /* lines of one reply carry different codes (4.2.1) */
  SMTP_REPLY_BAD_SEPARATOR = 1u << 3,  /* 4th octet neither '-' nor SP (nor end of line) (4.2) */
  SMTP_REPLY_LINE_TOO_LONG = 1u << 4,  /* a line over 512 octets with CRLF (4.5.3.1.5) */
  SMTP_REPLY_BAD_CODE = 1u << 5,       /* not 3 digits, or first digit not 2-5 (4.2) */
  SMTP_REPLY_NUL = 1u << 6,            /* a NUL octet */
  SMTP_REPLY_8BIT = 1u << 7,           /* an octet >= 0x80 in the text */
  SMTP_REPLY_NO_TEXT_SEP = 1u << 8,    /* "250" alone with no SP: tolerated by 4.2, noted */
  SMTP_REPLY_TOO_MANY_LINES = 1u << 9, /* more than SMTP_REPLY_LINES_MAX lines */
};

/* One reply line: text after the "NNN-" / "NNN " prefix, without line ending. */
struct smtp_reply_line {
  const char *text;
  size_t len;
};

/* A parsed reply: pointers into the caller's buffer. */
struct smtp_reply {
  int code;         /* e.g. 250; the first line's code */
  unsigned defects; /* enum smtp_reply_defect bits */
  size_t nlines;    /* lines seen (may exceed SMTP_REPLY_LINES_MAX) */
  struct smtp_reply_line lines[SMTP_REPLY_LINES_MAX];
  const char *raw; /* the whole reply as received, line endings included */
  size_t raw_len;
  /* RFC 3463 enhanced code at the start of the first line's text, when present. */
  bool has_enhanced;
  int enh_class, enh_subject, enh_detail;
};

/* smtp_reply_parse - parse one (possibly multi-line) reply at the start of buf.
 * Returns octets consumed; -2 if more input is needed; -1 if the bytes cannot be a
 * reply at all (then *out->raw/raw_len spans the offending line so a caller can skip it).
 * A lone LF is accepted as a line end but flagged SMTP_REPLY_BARE_LF. A line is limited
 * to 4096 octets before -1; longer than 512 is flagged. */
ssize_t smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *out);

/* smtp_reply_format - write a reply into buf: code, optional enhanced code ("2.1.0" or
 * NULL), and text whose '\n' characters separate lines (each emitted as its own
 * "NNN-"/"NNN " line, CRLF-terminated, each under 512 octets). Returns octets written,
 * or -1 if it does not fit in cap. */
int smtp_reply_format(char *buf, size_t cap, int code, const char *enhanced, const char *text);

/* smtp_reply_keyword - true if an EHLO reply lists keyword kw (case-insensitive), and
 * then *params and *params_len give the rest of that line after the keyword (may be empty). */
bool smtp_reply_keyword(const struct smtp_reply *r, const char *kw, const char **params,
                        size_t *params_len);

/* smtp_reply_defect_text - a short English description of one defect bit. */
const char *smtp_reply_defect_text(unsigned defect);

#endif
