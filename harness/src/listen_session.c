/* listen_session.c - the listen engine's framing and timing: lines cut at LF (a missing
 * CR is noted, not refused), one command answered at a time, and octets that arrive
 * while a reply is unwritten marked early. */
#include "listen_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/line.h"
#include "smtp/reply.h"

/* listen_hash - FNV-1a 64 over n octets, continuing from h (0 starts a new hash). */
uint64_t listen_hash(const char *p, size_t n, uint64_t h) {
  if (h == 0)
    h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
  return h;
}

/* listen_session_note - a runner note ('*') in the transcript. */
void listen_session_note(struct listen_session *s, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0)
    transcript_add(&s->transcript, '*', buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* listen_reply - queue one reply; a multi-line reply is split before its last line so
 * that the caller can pause there (a client that does not read to the last line then
 * shows itself). RFC 5321 3.8: after a 421 the server closes the connection. */
void listen_reply(struct listen_session *s, int code, const char *text) {
  char buf[4096];
  int n = smtp_reply_format(buf, sizeof buf, code, NULL, text);
  if (n < 0)
    n = smtp_reply_format(buf, sizeof buf, code, NULL, "smtpcheck listen");
  sbuf_consume(&s->out, s->out.len);
  sbuf_append(&s->out, buf, (size_t)n);
  s->split_at = s->out.len;
  /* Bounded below: out is empty when the append above ran out of memory. */
  for (size_t i = s->out.len > 2 ? s->out.len - 2 : 0; i > 0; i--)
    if (s->out.p[i - 1] == '\n') {
      s->split_at = i;
      break;
    }
  s->reply_pending = true;
  s->first_sent = false;
  s->last_code = code;
  /* What is buffered now (the line being answered included, consumed after) was sent
   * before the client could read this reply. */
  s->early_upto = s->in.len;
  if (code == 421)
    s->after_reply = LW_CLOSE;
}

/* listen_reply_point - the scenario's reply for the nth arrival at p, else the default.
 * Returns the code given. */
int listen_reply_point(struct listen_session *s, enum listen_point p, int code, const char *text) {
  const struct listen_rule *r = listen_scenario_rule(s->cfg.scenario, p, s->counts[p]);
  if (r) {
    code = r->code;
    text = r->text;
  }
  listen_reply(s, code, text);
  return code;
}

/* group_ender - RFC 2920 3.1: "EHLO, DATA, VRFY, EXPN, TURN, QUIT, and NOOP ... can only
 * appear as the last command in a group"; RFC 3207 4 and RFC 4954 4 add STARTTLS and
 * AUTH (the client must see 220 or 334 before it goes on). HELO ends PIPELINING. */
static bool group_ender(int p) {
  return p < 0 || p == LP_EHLO || p == LP_HELO || p == LP_DATA || p == LP_VRFY || p == LP_EXPN ||
         p == LP_QUIT || p == LP_NOOP || p == LP_STARTTLS || p == LP_AUTH;
}

/* prev_name - what the client should have waited for, in words. */
static const char *prev_name(int p) {
  return p < 0 ? "the greeting" : listen_point_name((enum listen_point)p);
}

/* listen_judge_timing - was this line sent before the client could read the reply it
 * should have waited for? */
void listen_judge_timing(struct listen_session *s, const char *line, size_t len, bool early,
                         bool mid) {
  int w = len > 60 ? 60 : (int)len;
  if (s->prev < 0) {
    /* RFC 5321 3.1: the session starts with the server's opening message. */
    if (early) {
      listen_fail(&s->verdicts, LC_GREETING_WAIT, "sent '%.*s' before the greeting", w, line);
      listen_session_note(s, "the line above was sent before the greeting");
    } else {
      listen_pass(&s->verdicts, LC_GREETING_WAIT);
    }
    return;
  }
  bool ender = group_ender(s->prev);
  if (!early) {
    if (s->multiline_prev)
      listen_pass(&s->verdicts, LC_MULTILINE_WAIT);
    if (!s->pipelining)
      listen_pass(&s->verdicts, LC_PIPELINING_OFFERED);
    else if (ender)
      listen_pass(&s->verdicts, LC_PIPELINING_GROUPS);
    return;
  }
  if (s->pipelining && !ender)
    return; /* RFC 2920 3.1: MAIL, RCPT, RSET, message content may be grouped */
  if (mid) {
    /* RFC 5321 4.2.1: only the line with SP after the code ends a multi-line reply. */
    listen_fail(&s->verdicts, LC_MULTILINE_WAIT,
                "sent '%.*s' before the last line of the multi-line reply to %s", w, line,
                prev_name(s->prev));
    listen_session_note(s, "the line above was sent before the last line of the reply");
  } else if (!s->pipelining) {
    listen_fail(&s->verdicts, LC_PIPELINING_OFFERED,
                "sent '%.*s' before the reply to %s was written, and PIPELINING was not in "
                "effect",
                w, line, prev_name(s->prev));
    listen_session_note(s, "the line above was sent before the reply to %s", prev_name(s->prev));
  } else {
    listen_fail(&s->verdicts, LC_PIPELINING_GROUPS,
                "sent '%.*s' before the reply to %s, which must end a pipelined group", w, line,
                prev_name(s->prev));
    listen_session_note(s, "the line above was sent before the reply to %s", prev_name(s->prev));
  }
}

/* want - what the caller must do in the current state. */
static enum listen_want want(const struct listen_session *s) {
  return s->state == LS_CLOSED ? LW_CLOSE : s->state == LS_TLS ? LW_TLS : LW_READ;
}

/* consume - drop n octets of input, moving the early marks with them. */
static void consume(struct listen_session *s, size_t n) {
  sbuf_consume(&s->in, n);
  s->early_upto = s->early_upto > n ? s->early_upto - n : 0;
  s->mid_upto = s->mid_upto > n ? s->mid_upto - n : 0;
}

/* line_defects - bare CR, NUL and 8-bit octets inside a line (its CRLF excluded). */
static unsigned line_defects(const char *p, size_t n) {
  unsigned d = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '\r')
      d |= SMTP_LINE_BARE_CR;
    else if (c == '\0')
      d |= SMTP_LINE_NUL;
    else if (c >= 0x80)
      d |= SMTP_LINE_8BIT;
  }
  return d;
}

/* command_line_checks - RFC 5321 2.3.8 line ends and 4.5.3.1.4 length of a command. */
static void command_line_checks(struct listen_session *s, const char *line, size_t len, bool crlf,
                                unsigned defects) {
  int w = len > 60 ? 60 : (int)len;
  if (!crlf)
    listen_fail(&s->verdicts, LC_COMMAND_CRLF, "the command '%.*s' ends in LF without CR", w, line);
  else if (defects & SMTP_LINE_BARE_CR)
    listen_fail(&s->verdicts, LC_COMMAND_CRLF, "a bare CR inside the command '%.*s'", w, line);
  else
    listen_pass(&s->verdicts, LC_COMMAND_CRLF);
  if (len + 2 > SMTP_COMMAND_LINE_MAX)
    listen_fail(&s->verdicts, LC_COMMAND_LENGTH, "a command line of %zu octets with CRLF", len + 2);
  else
    listen_pass(&s->verdicts, LC_COMMAND_LENGTH);
}

/* overlong - a line with no LF within LISTEN_LINE_HARD_MAX: note it, skip to its end. */
static void overlong(struct listen_session *s) {
  if (s->state == LS_DATA)
    listen_fail(&s->verdicts, LC_DATA_LINE_LENGTH, "a message line of more than %u octets",
                LISTEN_LINE_HARD_MAX);
  else
    listen_fail(&s->verdicts, LC_COMMAND_LENGTH, "a command line of more than %u octets",
                LISTEN_LINE_HARD_MAX);
  transcript_add(&s->transcript, 'C', s->in.p, s->in.len);
  listen_session_note(s, "line longer than %u octets: skipped to its end", LISTEN_LINE_HARD_MAX);
  consume(s, s->in.len);
  s->skipping = true;
}

/* tls_probe - after a refused STARTTLS: a TLS record (content type 22, version 3.x) in
 * place of a command means the client started the handshake anyway. */
static bool tls_probe(struct listen_session *s) {
  s->tls_probe = false;
  if (s->in.len >= 2 && (unsigned char)s->in.p[0] == 0x16 && s->in.p[1] == 0x03) {
    listen_fail(&s->verdicts, LC_STARTTLS_REFUSED,
                "started a TLS handshake after STARTTLS was refused");
    transcript_add(&s->transcript, 'C', s->in.p, s->in.len);
    listen_session_note(s, "TLS handshake octets after a refused STARTTLS: closing");
    consume(s, s->in.len);
    s->state = LS_CLOSED;
    s->server_closed = true;
    return true;
  }
  listen_pass(&s->verdicts, LC_STARTTLS_REFUSED);
  return false;
}

/* process - handle buffered lines until a reply must be written first. */
static void process(struct listen_session *s) {
  while (!s->reply_pending && s->in.len > 0 &&
         (s->state == LS_COMMAND || s->state == LS_DATA || s->state == LS_AUTH ||
          s->state == LS_BDAT)) {
    if (s->state == LS_BDAT) {
      consume(s, listen_data_octets(s, s->in.p, s->in.len));
      continue;
    }
    char *nl = memchr(s->in.p, '\n', s->in.len);
    if (s->skipping) {
      size_t n = nl ? (size_t)(nl - s->in.p) + 1 : s->in.len;
      consume(s, n);
      s->skipping = !nl;
      continue;
    }
    if (s->tls_probe && s->state == LS_COMMAND && tls_probe(s))
      return;
    if (!nl) {
      if (s->in.len > LISTEN_LINE_HARD_MAX)
        overlong(s);
      return;
    }
    size_t total = (size_t)(nl - s->in.p) + 1;
    bool crlf = total >= 2 && nl[-1] == '\r';
    size_t len = total - 1 - (crlf ? 1 : 0);
    bool early = s->early_upto > 0, mid = s->mid_upto > 0;
    /* The line is used in place (nothing below touches s->in), then consumed. */
    const char *line = s->in.p;
    unsigned defects = line_defects(line, len);
    if (s->state == LS_DATA) {
      listen_data_line(s, line, len, crlf, defects, early, mid);
    } else {
      transcript_add(&s->transcript, 'C', line, total);
      if (s->state == LS_AUTH) {
        listen_auth_line(s, line, len);
      } else {
        command_line_checks(s, line, len, crlf, defects);
        listen_command(s, line, len, early, mid);
      }
    }
    consume(s, total);
  }
}

/* listen_session_init - the greeting (RFC 5321 3.1: 220, or 554 / 421) is pending. */
int listen_session_init(struct listen_session *s, const struct listen_session_config *cfg) {
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  s->state = LS_GREETING;
  s->prev = -1;
  s->after_reply = LW_READ;
  const struct listen_scenario *sc = cfg->scenario;
  s->greeting_554 = sc->greeting_code == 554;
  listen_reply(s, sc->greeting_code, sc->greeting_text);
  if (sc->greeting_code != 220 && sc->greeting_code != 554)
    s->after_reply = LW_CLOSE; /* 421 and anything else: say it and close */
  return 0;
}

/* listen_session_feed - buffer, mark early octets, process. */
enum listen_want listen_session_feed(struct listen_session *s, const char *p, size_t n) {
  if (s->state == LS_CLOSED || s->state == LS_TLS || n == 0)
    return want(s);
  if (s->in.len + n > LISTEN_INPUT_MAX || sbuf_append(&s->in, p, n) < 0) {
    listen_session_note(s, "more than %u octets sent without reading the replies: closing",
                        LISTEN_INPUT_MAX);
    listen_fail(&s->verdicts, s->pipelining ? LC_PIPELINING_GROUPS : LC_PIPELINING_OFFERED,
                "sent more than %u octets without reading the replies", LISTEN_INPUT_MAX);
    s->state = LS_CLOSED;
    s->server_closed = true;
    return want(s);
  }
  if (s->reply_pending) {
    s->early_upto = s->in.len;
    if (s->first_sent)
      s->mid_upto = s->in.len;
  }
  process(s);
  return want(s);
}

/* listen_session_chunk - the greeting waits greeting_delay_ms, a reply reply_delay_ms (the
 * reply to QUIT quit_delay_ms when the scenario sets it), the last line of a multi-line
 * reply split_delay_ms more. */
bool listen_session_chunk(const struct listen_session *s, const char **p, size_t *n,
                          long *delay_ms) {
  const struct listen_scenario *sc = s->cfg.scenario;
  if (!s->reply_pending)
    return false;
  if (!s->first_sent) {
    *p = s->out.p;
    *n = s->split_at;
    *delay_ms = s->state == LS_GREETING                        ? sc->greeting_delay_ms
                : s->prev == LP_QUIT && sc->quit_delay_ms >= 0 ? sc->quit_delay_ms
                                                               : sc->reply_delay_ms;
  } else {
    *p = s->out.p + s->split_at;
    *n = s->out.len - s->split_at;
    *delay_ms = sc->split_delay_ms;
  }
  return true;
}

/* start_tls_state - RFC 3207 4.2: plaintext after the STARTTLS line is never used. */
static void start_tls_state(struct listen_session *s) {
  if (s->in.len > 0) {
    listen_fail(&s->verdicts, s->pipelining ? LC_PIPELINING_GROUPS : LC_PIPELINING_OFFERED,
                "sent %zu octets after STARTTLS before the 220 reply", s->in.len);
    transcript_add(&s->transcript, 'C', s->in.p, s->in.len);
    listen_session_note(s, "plaintext after STARTTLS discarded (RFC 3207 4.2)");
    consume(s, s->in.len);
  }
  s->state = LS_TLS;
}

/* listen_session_chunk_written - finish the reply when its last chunk is out. */
enum listen_want listen_session_chunk_written(struct listen_session *s) {
  if (!s->reply_pending)
    return want(s);
  if (!s->first_sent && s->split_at < s->out.len) {
    s->first_sent = true;
    return want(s);
  }
  transcript_add(&s->transcript, 'S', s->out.p, s->out.len);
  s->multiline_prev = s->split_at < s->out.len;
  sbuf_consume(&s->out, s->out.len);
  s->reply_pending = false;
  s->first_sent = false;
  if (s->state == LS_GREETING)
    s->state = LS_COMMAND;
  enum listen_want next = s->after_reply;
  s->after_reply = LW_READ;
  if (next == LW_CLOSE) {
    if (s->quit_seen) {
      listen_pass(&s->verdicts, LC_QUIT_SENT);
      listen_pass(&s->verdicts, LC_QUIT_WAIT);
    }
    s->state = LS_CLOSED;
    s->server_closed = true;
    return want(s);
  }
  if (next == LW_TLS) {
    start_tls_state(s);
    return want(s);
  }
  process(s);
  return want(s);
}

/* listen_session_tls_done - RFC 3207 4.2: both sides forget the pre-TLS dialogue. */
enum listen_want listen_session_tls_done(struct listen_session *s, bool ok, const char *detail) {
  if (!ok) {
    listen_session_note(s, "TLS handshake failed: %s", detail ? detail : "");
    s->state = LS_CLOSED;
    s->server_closed = true;
    return want(s);
  }
  listen_session_note(s, "TLS started: %s", detail ? detail : "");
  s->tls = true;
  s->tls_fresh = true;
  s->hello_ok = s->ehlo_ok = s->pipelining = s->in_txn = false;
  s->mail_refused = s->data_refused = false;
  s->multiline_prev = false;
  s->prev = LP_STARTTLS;
  s->early_upto = s->mid_upto = 0;
  s->state = LS_COMMAND;
  process(s);
  return want(s);
}

/* listen_session_eof - RFC 5321 4.1.1.10: the client "MUST NOT intentionally close the
 * transmission channel until it sends a QUIT command, and it SHOULD wait until it
 * receives the reply". */
void listen_session_eof(struct listen_session *s, const char *why) {
  if (s->state == LS_CLOSED && s->server_closed)
    return;
  listen_session_note(s, "%s", why ? why : "the client closed the connection");
  if (s->quit_seen) {
    listen_pass(&s->verdicts, LC_QUIT_SENT);
    if (s->reply_pending)
      listen_fail(&s->verdicts, LC_QUIT_WAIT, "closed the connection before the reply to QUIT");
    else
      listen_pass(&s->verdicts, LC_QUIT_WAIT);
  } else if (s->state == LS_DATA) {
    listen_fail(&s->verdicts, LC_QUIT_SENT,
                "closed the connection inside the message data, without QUIT");
  } else if (!s->greeting_554 || s->commands > 0) {
    listen_fail(&s->verdicts, LC_QUIT_SENT, "closed the connection without QUIT");
  } else {
    listen_fail(&s->verdicts, LC_QUIT_SENT,
                "closed the connection after the 554 greeting without QUIT");
  }
  s->state = LS_CLOSED;
}

/* Why each check may go unexercised (the skip reason in the report). */
static const char *const unexercised[LC_COUNT] = {
    [LC_GREETING_WAIT] = "the client sent no command",
    [LC_GREETING_554] = "the greeting was not 554",
    [LC_HELLO_FIRST] = "the client sent no MAIL",
    [LC_EHLO_USED] = "the client sent no EHLO or HELO",
    [LC_EHLO_DOMAIN] = "the client sent no EHLO or HELO",
    [LC_EHLO_REFUSED] = "EHLO was not refused",
    [LC_COMMAND_SYNTAX] = "the client sent no command",
    [LC_COMMAND_CRLF] = "the client sent no command",
    [LC_COMMAND_LENGTH] = "the client sent no command",
    [LC_EXT_OFFERED] = "the client sent no command",
    [LC_PIPELINING_OFFERED] = "PIPELINING was in effect whenever the client waited",
    [LC_PIPELINING_GROUPS] = "PIPELINING was not in effect after a group-ending command",
    [LC_MULTILINE_WAIT] = "no multi-line reply was followed by a command",
    [LC_MAIL_REFUSED] = "no MAIL was refused",
    [LC_RCPT_REFUSED] = "no transaction had every RCPT refused",
    [LC_DATA_REFUSED] = "DATA was always answered 354",
    [LC_NO_REPEAT_5XX] = "nothing was refused with 5yz before the client went on",
    [LC_DATA_CRLF] = "no message was sent",
    [LC_DATA_LINE_LENGTH] = "no message was sent",
    [LC_DOT_STUFFING] = "no message line started with '.'",
    [LC_DATA_8BIT] = "no message held 8-bit octets",
    [LC_STARTTLS_REFUSED] = "STARTTLS was not refused",
    [LC_EHLO_AFTER_TLS] = "no TLS handshake took place",
    [LC_AUTH_CLEAR] = "the client did not authenticate",
    [LC_QUIT_SENT] = "the server closed the connection first",
    [LC_QUIT_WAIT] = "the client sent no QUIT",
};

/* listen_session_finish - a skip reason for every check still unseen. */
void listen_session_finish(struct listen_session *s) {
  for (int c = 0; c < LC_COUNT; c++)
    listen_not_exercised(&s->verdicts, (enum listen_check)c, unexercised[c]);
}

/* listen_session_free - buffers and transcript entries. */
void listen_session_free(struct listen_session *s) {
  sbuf_free(&s->in);
  sbuf_free(&s->out);
  sbuf_free(&s->msg);
  sbuf_free(&s->raw);
  for (size_t i = 0; i < s->transcript.nentries; i++)
    free(s->transcript.entries[i].data);
  free(s->transcript.entries);
  s->transcript.entries = NULL;
  s->transcript.nentries = 0;
}
