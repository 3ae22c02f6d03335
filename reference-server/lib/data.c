/* data.c - DATA transparency (RFC 5321 4.5.2), the end-of-data mark (4.1.1.4) and BDAT
 * chunk accounting (RFC 3030).
 *
 * The unstuffer ends the message ONLY on CRLF "." CRLF. Every other spelling
 * (LF.LF, CR.CR, CRLF.LF, LF.CRLF, CRLF.CR CRLF, ...) is content: treating any of them
 * as the end is what SMTP smuggling exploits (CVE-2023-51764/51765/51766). Bare CR and
 * bare LF are passed through as content and flagged; a bare LF does not start a new
 * line, so a dot after it is neither unstuffed nor an end mark. */
#include "smtp/data.h"

#include <string.h>

#include "parse_util.h"
#include "smtp/line.h"

/* Where the unstuffer is (the zero state is the start of the message, which counts as
 * the start of a line). */
enum unstuff_state {
  US_LINE_START = 0, /* just after CRLF */
  US_DOT,            /* "." at line start, held back */
  US_DOT_CR,         /* "." CR at line start, held back */
  US_MID,            /* inside a line */
  US_CR,             /* CR inside a line, held back */
  US_DONE,           /* the end mark was seen */
};

/* unstuff_emit - append one content octet and note its defects. */
static void unstuff_emit(struct smtp_unstuffer *u, char c, char *out, size_t *o) {
  unsigned char uc = (unsigned char)c;
  if (uc == '\0')
    u->defects |= SMTP_DATA_NUL;
  else if (uc >= 0x80)
    u->defects |= SMTP_DATA_8BIT;
  out[(*o)++] = c;
  u->total++;
}

/* unstuff_mid - one octet inside a line (also where held octets fall back to). */
static void unstuff_mid(struct smtp_unstuffer *u, char c, char *out, size_t *o) {
  if (c == '\r') {
    u->state = US_CR;
    return;
  }
  if (c == '\n')
    u->defects |= SMTP_DATA_BARE_LF; /* RFC 5321 2.3.8: only CRLF ends a line */
  unstuff_emit(u, c, out, o);
  u->state = US_MID;
}

/* unstuff_bare_cr - release a held CR that turned out not to start CRLF. */
static void unstuff_bare_cr(struct smtp_unstuffer *u, char *out, size_t *o) {
  u->defects |= SMTP_DATA_BARE_CR;
  unstuff_emit(u, '\r', out, o);
}

/* unstuff_run - the fast path inside a line: copy octets up to the next CR or LF at
 * once, eight at a time while no CR or LF is among them (loaded with memcpy, so no
 * alignment or aliasing assumption and never past in[len)). Returns how many were
 * copied. */
static size_t unstuff_run(struct smtp_unstuffer *u, const char *in, size_t len, char *out) {
  size_t n = 0;
  uint64_t nul = 0, high = 0;
  while (len - n >= 8) {
    uint64_t w;
    memcpy(&w, in + n, 8);
    if (pu_swar_zero(w ^ (PU_SWAR_ONES * '\r')) | pu_swar_zero(w ^ (PU_SWAR_ONES * '\n')))
      break;
    nul |= pu_swar_zero(w);
    high |= w;
    memcpy(out + n, &w, 8);
    n += 8;
  }
  while (n < len && in[n] != '\r' && in[n] != '\n') {
    unsigned char c = (unsigned char)in[n];
    nul |= (uint64_t)(c == 0);
    high |= c;
    out[n] = (char)c;
    n++;
  }
  if (nul)
    u->defects |= SMTP_DATA_NUL;
  if (high & PU_SWAR_HIGHS)
    u->defects |= SMTP_DATA_8BIT;
  u->total += n;
  u->line_len += n;
  /* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. */
  if (u->line_len > SMTP_TEXT_LINE_MAX)
    u->defects |= SMTP_DATA_LINE_TOO_LONG;
  return n;
}

/* unstuff_crlf - the common end of a line: the CR LF at in[0..2) while inside a line
 * is copied as content at once and the next line starts (the same steps as US_MID then
 * US_CR would take one octet at a time). */
static void unstuff_crlf(struct smtp_unstuffer *u, char *out) {
  /* RFC 5321 4.5.3.1.6: the CRLF counts towards the 1000 octets. */
  if (u->line_len + 2 > SMTP_TEXT_LINE_MAX)
    u->defects |= SMTP_DATA_LINE_TOO_LONG;
  out[0] = '\r';
  out[1] = '\n';
  u->total += 2;
  u->line_len = 0;
  u->state = US_LINE_START;
}

/* smtp_unstuff - RFC 5321 4.5.2: a line starting with "." loses that dot; 4.1.1.4: the
 * data ends with CRLF "." CRLF and nothing else. */
size_t smtp_unstuff(struct smtp_unstuffer *u, const char *in, size_t len, char *out,
                    size_t *out_len, bool *done) {
  size_t i = 0, o = 0;

  while (i < len && u->state != US_DONE) {
    /* A line that does not begin with "." is inside a line from its first octet:
     * US_LINE_START treats any other octet exactly as US_MID does. */
    if (u->state == US_LINE_START && in[i] != '.')
      u->state = US_MID;
    if (u->state == US_MID) {
      size_t n = unstuff_run(u, in + i, len - i, out + o);
      i += n;
      o += n;
      if (i == len)
        break;
      /* RFC 5321 2.3.8: CR LF ends the line; take both at once when both are here. */
      if (in[i] == '\r' && len - i >= 2 && in[i + 1] == '\n') {
        unstuff_crlf(u, out + o);
        i += 2;
        o += 2;
        continue;
      }
    }
    char c = in[i++];
    /* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. */
    if (++u->line_len > SMTP_TEXT_LINE_MAX)
      u->defects |= SMTP_DATA_LINE_TOO_LONG;
    switch ((enum unstuff_state)u->state) {
    case US_LINE_START:
      if (c == '.')
        u->state = US_DOT;
      else
        unstuff_mid(u, c, out, &o);
      break;
    case US_DOT:
      if (c == '\r') {
        u->state = US_DOT_CR;
      } else if (c == '.') {
        unstuff_emit(u, '.', out, &o); /* ".." -> "." */
        u->state = US_MID;
      } else {
        unstuff_mid(u, c, out, &o); /* "." then other text: the dot is deleted */
      }
      break;
    case US_DOT_CR:
      if (c == '\n') {
        u->state = US_DONE; /* CRLF "." CRLF */
        u->line_len = 0;
      } else {
        /* "." CR x: the dot is deleted (the line has other characters), the CR is bare. */
        unstuff_bare_cr(u, out, &o);
        unstuff_mid(u, c, out, &o);
      }
      break;
    case US_MID:
      unstuff_mid(u, c, out, &o);
      break;
    case US_CR:
      if (c == '\n') {
        unstuff_emit(u, '\r', out, &o);
        unstuff_emit(u, '\n', out, &o);
        u->state = US_LINE_START;
        u->line_len = 0;
      } else {
        unstuff_bare_cr(u, out, &o);
        unstuff_mid(u, c, out, &o);
      }
      break;
    case US_DONE:
      break;
    }
  }
  *out_len = o;
  *done = u->state == US_DONE;
  return i;
}

/* smtp_stuff - RFC 5321 4.5.2: double a "." that begins a line; lines end in CRLF. */
size_t smtp_stuff(struct smtp_stuffer *s, const char *in, size_t len, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    char c = in[i];
    if (c == '\n' && s->last != '\r') {
      out[o++] = '\r'; /* RFC 5321 2.3.8: a bare LF becomes CRLF */
    } else if (c == '.' && s->at_line_start == 0) {
      out[o++] = '.';
    }
    out[o++] = c;
    /* at_line_start is 0 "at line start" so that a zero-filled stuffer starts there. */
    s->at_line_start = c == '\n' ? 0 : 1;
    s->last = (unsigned char)c;
  }
  return o;
}

/* smtp_stuff_end - CRLF "." CRLF, sharing the CRLF that already ended the content. */
size_t smtp_stuff_end(const struct smtp_stuffer *s, char *out) {
  size_t o = 0;
  if (s->at_line_start != 0) {
    out[o++] = '\r';
    out[o++] = '\n';
  }
  out[o++] = '.';
  out[o++] = '\r';
  out[o++] = '\n';
  return o;
}

/* smtp_bdat_take - RFC 3030 2: a chunk is exactly chunk-size octets, whatever they are. */
size_t smtp_bdat_take(struct smtp_bdat *b, size_t available) {
  size_t n = available;
  if ((uint64_t)n > b->remaining)
    n = (size_t)b->remaining;
  b->remaining -= n;
  b->total += n;
  return n;
}
