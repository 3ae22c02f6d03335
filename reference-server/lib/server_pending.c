/* server_pending.c - does the engine hold part of a line the client has not finished?
 * The daemon needs this for a per-line deadline (Postfix's smtpd_per_record_deadline):
 * a line that trickles in must end within a fixed time of its first octet. */
#include "server_private.h"

/* smtp_server_line_pending - octets of an unfinished command, SASL response or over-long
 * line are held (RFC 5321 2.3.8: only CRLF ends a line). */
bool smtp_server_line_pending(const struct smtp_server *s) {
  switch (s->mode) {
  case SERVER_MODE_COMMAND:
    return s->line_len > 0;
  case SERVER_MODE_SKIP:
    return true; /* inside a line past its limit, discarding up to its CRLF */
  case SERVER_MODE_AUTH:
    return s->sasl.octets > 0;
  default:
    return false;
  }
}
