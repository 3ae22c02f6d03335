/* server_reply.c - the engine's one reply helper and its one state-change function.
 *
 * Enhanced status codes (RFC 2034, RFC 3463): when the configuration offers
 * ENHANCEDSTATUSCODES, every reply carries one except the greeting and the HELO/EHLO
 * replies (RFC 2034 3 exempts those) and 3xx intermediate replies (RFC 3463 2: the class
 * is 2, 4 or 5 only). The codes are sent whether the client said EHLO or HELO, as
 * Postfix does: they are plain reply text to a client that does not know them. When the
 * extension is not offered no enhanced code is sent at all (RFC 2034 3 defines them as
 * the behaviour of a server that advertises the extension). */
#include <stdio.h>
#include <string.h>

#include "server_private.h"
#include "smtp/reply.h"

/* Printable names of the modes, for traces. */
static const char *const server_mode_names[SERVER_MODE_COUNT] = {
    [SERVER_MODE_COMMAND] = "COMMAND",
    [SERVER_MODE_SKIP] = "SKIP",
    [SERVER_MODE_DATA] = "DATA",
    [SERVER_MODE_BDAT] = "BDAT",
    [SERVER_MODE_BDAT_DISCARD] = "BDAT_DISCARD",
    [SERVER_MODE_AUTH] = "AUTH",
    [SERVER_MODE_PENDING] = "PENDING",
    [SERVER_MODE_STARTTLS] = "STARTTLS",
    [SERVER_MODE_CLOSING] = "CLOSING",
};

/* server_mode_name - the trace name of a mode. */
const char *server_mode_name(enum server_mode mode) {
  return (unsigned)mode < SERVER_MODE_COUNT ? server_mode_names[mode] : "?";
}

/* server_set_mode - the only place the mode changes; CLOSING is final. */
void server_set_mode(struct smtp_server *s, enum server_mode mode) {
  enum server_mode old = s->mode;
  if (old == mode || old == SERVER_MODE_CLOSING)
    return;
  s->mode = mode;
  if (s->trace != NULL)
    s->trace(s->trace_ctx, server_mode_name(old), server_mode_name(mode));
}

/* server_output_free - octets the output buffer can still take (after compaction). */
size_t server_output_free(const struct smtp_server *s) {
  return SERVER_OUTPUT_CAP - (s->out_len - s->out_head);
}

/* server_output_compact - move unsent output to the front so appends see all free room. */
static void server_output_compact(struct smtp_server *s) {
  if (s->out_head == 0)
    return;
  memmove(s->out, s->out + s->out_head, s->out_len - s->out_head);
  s->out_len -= s->out_head;
  s->out_head = 0;
}

/* server_format_continue - RFC 4954 4: continue-req = "334" SP [base64] CRLF. Its own
 * shape: the SP stays when the challenge is empty (smtp_reply_format() writes a textless
 * last line as "334" alone, which clients such as Go's net/textproto refuse). The
 * challenges are the engine's own base64 constants. Returns octets, -1 if cap is short. */
static int server_format_continue(char *buf, size_t cap, const char *challenge) {
  size_t n = challenge != NULL ? strlen(challenge) : 0;
  if (cap < 4 + n + 2)
    return -1;
  memcpy(buf, "334 ", 4);
  if (n > 0)
    memcpy(buf + 4, challenge, n);
  memcpy(buf + 4 + n, "\r\n", 2);
  return (int)(4 + n + 2);
}

/* server_format - append one formatted reply; no policy, no counting. */
static int server_format(struct smtp_server *s, int code, const char *enhanced, const char *text) {
  server_output_compact(s);
  if (enhanced != NULL && !(s->cfg->extensions & SMTP_EXT_ENHANCEDSTATUSCODES))
    enhanced = NULL;
  /* RFC 3463 2: an enhanced code's class is 2, 4 or 5; 3xx replies carry none. */
  if (code / 100 == 3)
    enhanced = NULL;
  int n;
  if (code == 334)
    n = server_format_continue(s->out + s->out_len, SERVER_OUTPUT_CAP - s->out_len, text);
  else
    n = smtp_reply_format(s->out + s->out_len, SERVER_OUTPUT_CAP - s->out_len, code, enhanced,
                          text);
  if (n < 0) {
    /* Cannot happen while feed keeps SERVER_STEP_ROOM free; if it does, a session that
     * cannot answer must not go on reading. */
    server_set_mode(s, SERVER_MODE_CLOSING);
    return -1;
  }
  s->out_len += (size_t)n;
  return 0;
}

/* server_count - reply statistics and the consecutive-error counter. */
static void server_count(struct smtp_server *s, int code) {
  switch (code / 100) {
  case 2:
    s->stats.replies_2xx++;
    s->errors = 0;
    break;
  case 3:
    s->stats.replies_3xx++;
    s->errors = 0;
    break;
  case 4:
    s->stats.replies_4xx++;
    break;
  default:
    s->stats.replies_5xx++;
    s->errors++;
    break;
  }
}

/* server_reply - queue one reply (the engine's only way to answer) and apply max_errors. */
int server_reply(struct smtp_server *s, int code, const char *enhanced, const char *text) {
  if (s->mode == SERVER_MODE_CLOSING)
    return -1;
  if (server_format(s, code, enhanced, text) != 0)
    return -1;
  server_count(s, code);
  if (code >= 500 && s->errors >= s->max_errors)
    server_close(s, "4.7.0", "Error: too many errors");
  return 0;
}

/* server_refuse - a check function's refusal: queue the reply and say "stop" (-1). */
int server_refuse(struct smtp_server *s, int code, const char *enhanced, const char *text) {
  server_reply(s, code, enhanced, text);
  return -1;
}

/* server_close - queue "421 <enhanced> hostname text", end any transaction, and close
 * (RFC 5321 3.8: 421 is how a server ends a session it will not continue). */
void server_close(struct smtp_server *s, const char *enhanced, const char *text) {
  char buf[SERVER_TEXT_MAX];
  if (s->mode == SERVER_MODE_CLOSING)
    return;
  server_txn_reset(s);
  s->pending = SERVER_PENDING_NONE;
  snprintf(buf, sizeof buf, "%s %s", s->hostname, text);
  if (server_format(s, 421, enhanced, buf) == 0)
    s->stats.replies_4xx++;
  server_set_mode(s, SERVER_MODE_CLOSING);
}

/* server_enhanced_valid - RFC 3463 2: class "." subject "." detail, the class matching
 * the reply code's first digit, subject and detail of one to three digits. */
static bool server_enhanced_valid(const char *e, int code) {
  if (e == NULL || e[0] != (char)('0' + code / 100) || e[1] != '.')
    return false;
  size_t i = 2;
  for (int part = 0; part < 2; part++) {
    size_t digits = 0;
    while (e[i] >= '0' && e[i] <= '9' && digits < 4) {
      i++;
      digits++;
    }
    if (digits == 0 || digits > 3)
      return false;
    if (part == 0 && e[i++] != '.')
      return false;
  }
  return e[i] == '\0';
}

/* The most lines a hook's reply may have: keeps any reply within SERVER_STEP_ROOM. */
#define SERVER_HOOK_LINES_MAX 8

/* server_hook_text - copy a hook's reply text, keeping up to SERVER_HOOK_LINES_MAX lines
 * ('\n' separated) and turning other control octets (and further '\n') into spaces, so a
 * daemon's text cannot break the reply format or overflow the room a step may use. */
static void server_hook_text(const char *text, char *buf, size_t cap) {
  size_t i = 0;
  unsigned lines = 1;
  for (; text[i] != '\0' && i + 1 < cap; i++) {
    unsigned char c = (unsigned char)text[i];
    bool keep_lf = c == '\n' && lines < SERVER_HOOK_LINES_MAX;
    if (keep_lf)
      lines++;
    buf[i] = ((c < 0x20 && !keep_lf) || c == 0x7f) ? ' ' : (char)c;
  }
  buf[i] = '\0';
}

/* server_reply_hook - answer with a hook's reply when it is valid for its verdict (2xx for
 * accept, 4xx/5xx for reject) and a well-formed code (RFC 5321 4.2: the second digit is
 * 0-5, so 299 or 460 are not replies), else with the engine's default reply. */
int server_reply_hook(struct smtp_server *s, const struct smtp_hook_reply *r, bool accept,
                      int def_code, const char *def_enhanced, const char *def_text) {
  char buf[SERVER_TEXT_MAX];
  bool valid = r != NULL && (r->code / 10) % 10 <= 5 &&
               (accept ? (r->code >= 200 && r->code <= 299) : (r->code >= 400 && r->code <= 599));
  if (!valid)
    return server_reply(s, def_code, def_enhanced, def_text);
  const char *text = def_text;
  if (r->text != NULL) {
    server_hook_text(r->text, buf, sizeof buf);
    text = buf;
  }
  /* A missing or malformed enhanced code: the default one when the class matches, else
   * the class's generic code (RFC 3463 3.1, "X.0.0"). */
  static const char *const generic[] = {"2.0.0", "4.0.0", "5.0.0"};
  const char *enhanced = r->enhanced;
  if (!server_enhanced_valid(enhanced, r->code)) {
    if (r->code / 100 == def_code / 100 && def_enhanced != NULL)
      enhanced = def_enhanced;
    else
      enhanced = generic[r->code / 100 == 2 ? 0 : r->code / 100 == 4 ? 1 : 2];
  }
  return server_reply(s, r->code, enhanced, text);
}
