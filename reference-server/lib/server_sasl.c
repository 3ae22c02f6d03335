/* server_sasl.c - a SASL response line (RFC 4954 4), framed and base64-decoded as its
 * octets arrive, so the session needs no 12288-octet line buffer: only the decoded
 * response (SERVER_SASL_DECODED_MAX octets) is kept.
 *
 * The framing is that of smtp_line_find() with a 12288-octet limit: only CRLF ends the
 * line, bare CR, bare LF and NUL are defects, and a line that has no CRLF within 12288
 * octets is skipped to its CRLF (server_input_skip) and answered 500 5.5.6. The decoding
 * is that of smtp_base64_decode(), one 4-octet quantum at a time: the same strings are
 * accepted whatever the split. What the line means is server_auth_response()'s business. */
#include <string.h>

#include "server_private.h"
#include "smtp/base64.h"

/* server_sasl_wipe - forget a decoded response: it may hold a password. */
void server_sasl_wipe(struct smtp_server *s) {
  if (s->sasl.dirty)
    explicit_bzero(s->work.sasl, sizeof s->work.sasl);
  explicit_bzero(s->sasl.quad, sizeof s->sasl.quad);
  s->sasl.dirty = false;
  s->sasl.len = 0;
}

/* server_sasl_begin - a new response line (or initial response) starts. It does not
 * wipe: an initial response may be sitting in s->work.line, and whatever an earlier
 * response left in work.sasl stays marked dirty until auth_end() wipes it. */
void server_sasl_begin(struct smtp_server *s) {
  bool dirty = s->sasl.dirty;
  memset(&s->sasl, 0, sizeof s->sasl);
  s->sasl.dirty = dirty;
}

/* sasl_quantum - decode the four octets held in quad[] (RFC 4648 4) and keep what fits. */
static void sasl_quantum(struct smtp_server *s) {
  struct server_sasl *x = &s->sasl;
  unsigned char out[3];
  /* Decoded as a last quantum ('=' allowed); sasl_char refuses anything after one. */
  ssize_t n = smtp_base64_decode(x->quad, sizeof x->quad, out, sizeof out);
  x->nquad = 0;
  if (n < 0) {
    x->invalid = true;
    return;
  }
  if (n < 3)
    x->padded = true;
  if (x->overflow || sizeof s->work.sasl - x->len < (size_t)n) {
    x->overflow = true;
  } else {
    memcpy(s->work.sasl + x->len, out, (size_t)n);
    x->len += (size_t)n;
    x->dirty = true;
  }
  explicit_bzero(out, sizeof out);
}

/* sasl_char - one octet of response text. Once the text cannot be base64 the rest is only
 * counted; a response too big to keep is still checked, so garbage gets 501, not 500. */
static void sasl_char(struct smtp_server *s, char c) {
  struct server_sasl *x = &s->sasl;
  if (x->chars++ == 0)
    x->first = c;
  if (c == '\0')
    x->defects |= SMTP_LINE_NUL;
  if (x->invalid)
    return;
  /* RFC 4648 3.3: padding ends the data; nothing may follow it. */
  if (x->padded) {
    x->invalid = true;
    return;
  }
  x->quad[x->nquad++] = c;
  if (x->nquad == sizeof x->quad)
    sasl_quantum(s);
}

/* server_sasl_take - n octets of response text without line framing (the initial
 * response of the AUTH command). p may point into s->work.line: see the work union. */
void server_sasl_take(struct smtp_server *s, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    sasl_char(s, p[i]);
}

/* server_sasl_input - octets of a response line: at its CRLF hand it to AUTH; past
 * 12288 octets without one, skip the rest (RFC 4954 4). Returns octets consumed, never
 * past the CRLF (what follows is the next command). */
size_t server_sasl_input(struct smtp_server *s, const char *buf, size_t len) {
  struct server_sasl *x = &s->sasl;
  for (size_t i = 0; i < len; i++) {
    char c = buf[i];
    if (x->cr && c == '\n') {
      server_auth_response(s);
      return i + 1;
    }
    /* RFC 5321 2.3.8: a CR not followed by LF is bare; an LF without CR too. */
    if (x->cr) {
      x->defects |= SMTP_LINE_BARE_CR;
      sasl_char(s, '\r');
    }
    x->cr = c == '\r';
    if (c == '\n')
      x->defects |= SMTP_LINE_BARE_LF;
    if (!x->cr)
      sasl_char(s, c);
    /* RFC 4954 4: the line with its CRLF fits in 12288 octets, or it is skipped. */
    if (++x->octets == SERVER_SASL_LINE_MAX) {
      server_skip_begin(s, c);
      return i + 1;
    }
  }
  return len;
}
