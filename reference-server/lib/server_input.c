/* server_input.c - framing of command lines, bounded and resynchronising.
 *
 * A line is never read past its CRLF: the bytes after it may be DATA content, a BDAT
 * chunk, or plaintext after STARTTLS that must never be consumed (RFC 3207 5). A partial
 * line is kept in s->work.line until its CRLF arrives, so the caller may feed any split.
 * SASL response lines are framed by server_sasl.c, which decodes them as they arrive. */
#include <string.h>

#include "server_private.h"

/* server_skip_begin - a line passed its limit: discard up to the next CRLF, then answer
 * once (Postfix's smtp_get with SMTP_GET_FLAG_SKIP). last: the last octet kept so far. */
void server_skip_begin(struct smtp_server *s, char last) {
  s->skip_cr = last == '\r';
  s->skip_in_auth = s->mode == SERVER_MODE_AUTH;
  s->line_len = 0;
  server_set_mode(s, SERVER_MODE_SKIP);
}

/* server_crlf_end - octets of buf[0..n) up to and including the first CRLF, counting a CR
 * already held at the end of the partial line; n if there is none. */
static size_t server_crlf_end(const struct smtp_server *s, const char *buf, size_t n) {
  if (n > 0 && s->line_len > 0 && s->work.line[s->line_len - 1] == '\r' && buf[0] == '\n')
    return 1;
  const char *p = buf;
  size_t left = n;
  while (left > 1) {
    const char *lf = memchr(p + 1, '\n', left - 1);
    if (lf == NULL)
      break;
    if (lf[-1] == '\r')
      return (size_t)(lf - buf) + 1;
    left -= (size_t)(lf - p);
    p = lf;
  }
  return n;
}

/* server_input_line - take octets toward one command line; run it when its CRLF arrives.
 * RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF. Returns octets
 * consumed (at least one when len > 0). */
size_t server_input_line(struct smtp_server *s, const char *buf, size_t len) {
  const size_t limit = SMTP_COMMAND_LINE_MAX;
  struct smtp_line line;

  if (s->line_len == 0) {
    /* Common case: the whole line is in the caller's buffer; no copy. */
    enum smtp_line_status st = smtp_line_find(buf, len, limit, &line);
    if (st == SMTP_LINE_COMPLETE) {
      server_command(s, &line);
      return line.consumed;
    }
    if (st == SMTP_LINE_TOO_LONG) {
      server_skip_begin(s, buf[limit - 1]);
      return limit;
    }
    memcpy(s->work.line, buf, len);
    s->line_len = len;
    return len;
  }

  size_t room = limit - s->line_len;
  size_t take = server_crlf_end(s, buf, len < room ? len : room);
  memcpy(s->work.line + s->line_len, buf, take);
  s->line_len += take;
  enum smtp_line_status st = smtp_line_find(s->work.line, s->line_len, limit, &line);
  if (st == SMTP_LINE_COMPLETE) {
    s->line_len = 0;
    server_command(s, &line);
  } else if (st == SMTP_LINE_TOO_LONG) {
    server_skip_begin(s, s->work.line[limit - 1]);
  }
  return take;
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
