/* server_input.c - framing of command lines, bounded and resynchronising.
 *
 * A line is never read past its CRLF: the bytes after it may be DATA content, a BDAT
 * chunk, or plaintext after STARTTLS that must never be consumed (RFC 3207 5). A partial
 * line is kept in s->work.line until its CRLF arrives, so the caller may feed any split.
 * SASL response lines are framed by server_sasl.c, which decodes them as they arrive. */
#include <string.h>

#include "server_private.h"

/* server_line_reset - forget the partial command line and what its scan learnt. */
void server_line_reset(struct smtp_server *s) {
  s->line_len = 0;
  s->line_defects = 0;
  s->line_cr = false;
}

/* server_skip_begin - a line passed its limit: discard up to the next CRLF, then answer
 * once (Postfix's smtp_get with SMTP_GET_FLAG_SKIP). last: the last octet kept so far. */
void server_skip_begin(struct smtp_server *s, char last) {
  s->skip_cr = last == '\r';
  s->skip_in_auth = s->mode == SERVER_MODE_AUTH;
  server_line_reset(s);
  server_set_mode(s, SERVER_MODE_SKIP);
}

/* line_scan - scan octets that continue the held line, carrying its defects and a CR
 * held at its end across calls (the framing of smtp_line_find(), resumable). RFC 5321
 * 2.3.8: only CRLF ends a line; bare CR, bare LF and NUL are defects kept inside it.
 * Returns the octets of buf[0..n) up to and including the LF of a CRLF, or 0 if the
 * line does not end within them. */
static size_t line_scan(struct smtp_server *s, const char *buf, size_t n) {
  unsigned defects = s->line_defects;
  bool cr = s->line_cr;
  size_t end = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (cr && c == '\n') {
      end = i + 1;
      break;
    }
    if (cr)
      defects |= SMTP_LINE_BARE_CR;
    if (c == '\0')
      defects |= SMTP_LINE_NUL;
    else if (c >= 0x80)
      defects |= SMTP_LINE_8BIT;
    else if (c == '\n')
      defects |= SMTP_LINE_BARE_LF;
    cr = c == '\r';
  }
  s->line_defects = defects;
  s->line_cr = cr;
  return end;
}

/* input_line_start - the first octets of a line. Common case: the whole line is in the
 * caller's buffer, framed by smtp_line_find() and run without a copy. Otherwise the
 * octets are held with what the scan learnt, so later writes resume after them. */
static size_t input_line_start(struct smtp_server *s, const char *buf, size_t len) {
  const size_t limit = SMTP_COMMAND_LINE_MAX;
  struct smtp_line line;
  enum smtp_line_status st = smtp_line_find(buf, len, limit, &line);
  if (st == SMTP_LINE_COMPLETE) {
    server_command(s, &line);
    return line.consumed;
  }
  if (st == SMTP_LINE_TOO_LONG) {
    server_skip_begin(s, buf[limit - 1]);
    return limit;
  }
  /* PARTIAL: len < limit octets, no CRLF among them; a CR at the end is not judged yet
   * (smtp_line_find() leaves it unmarked, as line_scan() does). */
  memcpy(s->work.line, buf, len);
  s->line_len = len;
  s->line_defects = line.defects;
  s->line_cr = len > 0 && buf[len - 1] == '\r';
  return len;
}

/* server_input_line - take octets toward one command line; run it when its CRLF arrives.
 * RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF. Only octets not
 * seen before are scanned, whatever the split. Returns octets consumed (at least one
 * when len > 0), never past the CRLF: what follows may be content or, after STARTTLS,
 * plaintext that must not be read (RFC 3207 5). */
size_t server_input_line(struct smtp_server *s, const char *buf, size_t len) {
  const size_t limit = SMTP_COMMAND_LINE_MAX;
  if (s->line_len == 0)
    return input_line_start(s, buf, len);
  size_t room = limit - s->line_len;
  size_t n = len < room ? len : room;
  size_t end = line_scan(s, buf, n);

  if (end > 0) {
    struct smtp_line line = {.data = s->work.line, .defects = s->line_defects};
    memcpy(s->work.line + s->line_len, buf, end);
    line.consumed = s->line_len + end;
    line.len = line.consumed - 2;
    server_line_reset(s);
    server_command(s, &line);
    return end;
  }
  memcpy(s->work.line + s->line_len, buf, n);
  s->line_len += n;
  if (s->line_len == limit)
    server_skip_begin(s, s->work.line[limit - 1]);
  return n;
}

/* server_input_skip - discard the rest of an over-long line; at its CRLF answer it with
 * 500 5.5.2 (RFC 5321 4.5.3.1.4), or end the AUTH exchange with 500 5.5.6 (RFC 4954 6). */
size_t server_input_skip(struct smtp_server *s, const char *buf, size_t len) {
  size_t n = smtp_line_skip(buf, len, &s->skip_cr);
  if (n == 0)
    return len;
  if (s->skip_in_auth) {
    server_set_mode(s, SERVER_MODE_AUTH);
    server_auth_too_long(s);
    return n;
  }
  server_set_mode(s, SERVER_MODE_COMMAND);
  s->stats.commands++;
  server_reply(s, 500, "5.5.2", "Error: command line too long");
  return n;
}
