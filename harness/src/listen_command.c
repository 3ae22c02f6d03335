/* listen_command.c - the listen engine's commands: judge each against what the client
 * had been told (replies, EHLO keywords, TLS), then answer as the scenario says. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "listen_session.h"
#include "smtp/address.h"
#include "smtp/command.h"
#include "smtp/ext.h"

/* point_of - the scenario point a verb arrives at. */
static enum listen_point point_of(enum smtp_verb v) {
  switch (v) {
  case SMTP_VERB_HELO:
    return LP_HELO;
  case SMTP_VERB_EHLO:
    return LP_EHLO;
  case SMTP_VERB_MAIL:
    return LP_MAIL;
  case SMTP_VERB_RCPT:
    return LP_RCPT;
  case SMTP_VERB_DATA:
    return LP_DATA;
  case SMTP_VERB_RSET:
    return LP_RSET;
  case SMTP_VERB_NOOP:
    return LP_NOOP;
  case SMTP_VERB_QUIT:
    return LP_QUIT;
  case SMTP_VERB_VRFY:
    return LP_VRFY;
  case SMTP_VERB_EXPN:
    return LP_EXPN;
  case SMTP_VERB_HELP:
    return LP_HELP;
  case SMTP_VERB_STARTTLS:
    return LP_STARTTLS;
  case SMTP_VERB_AUTH:
    return LP_AUTH;
  case SMTP_VERB_BDAT:
    return LP_BDAT;
  default:
    return LP_UNKNOWN;
  }
}

/* scan_verb - the verb of a line the strict parser refused (RFC 5321 2.4: any case). */
static enum smtp_verb scan_verb(const char *line, size_t len) {
  size_t n = 0;
  while (n < len && line[n] != ' ')
    n++;
  for (int v = 1; v < SMTP_VERB_COUNT; v++) {
    const char *name = smtp_verb_name((enum smtp_verb)v);
    if (strlen(name) == n && !strncasecmp(name, line, n))
      return (enum smtp_verb)v;
  }
  return SMTP_VERB_UNKNOWN;
}

/* offered_now - is keyword in effect: listed in the last successful EHLO reply (RFC 3207
 * 4.2: STARTTLS is not listed once TLS is on, nor without a certificate). */
static bool offered_now(const struct listen_session *s, const char *kw) {
  if (!s->ehlo_ok || !listen_scenario_offers(s->cfg.scenario, kw))
    return false;
  if (!strcasecmp(kw, "STARTTLS"))
    return s->cfg.tls_available && !s->tls;
  return true;
}

/* need_ext - RFC 5321 2.2.1 (and RFC 1869 4): an extension is used only when offered. */
static void need_ext(struct listen_session *s, const char *kw, const char *what, bool *bad) {
  if (offered_now(s, kw))
    return;
  listen_fail(&s->verdicts, LC_EXT_OFFERED, "used %s, but %s was not offered%s", what, kw,
              s->ehlo_ok ? "" : " (no successful EHLO)");
  *bad = true;
}

/* ext_check - every parameter and verb that belongs to an extension. */
static void ext_check(struct listen_session *s, enum smtp_verb v, const struct smtp_command *c,
                      bool parsed) {
  bool bad = false;
  if (v == SMTP_VERB_STARTTLS)
    need_ext(s, "STARTTLS", "STARTTLS", &bad);
  else if (v == SMTP_VERB_AUTH)
    need_ext(s, "AUTH", "AUTH", &bad);
  else if (v == SMTP_VERB_BDAT)
    need_ext(s, "CHUNKING", "BDAT", &bad);
  if (parsed && (v == SMTP_VERB_MAIL || v == SMTP_VERB_RCPT)) {
    if (c->has_size)
      need_ext(s, "SIZE", "SIZE=", &bad);
    if (c->body == SMTP_BODY_8BITMIME)
      need_ext(s, "8BITMIME", "BODY=8BITMIME", &bad);
    if (c->body == SMTP_BODY_BINARYMIME)
      need_ext(s, "BINARYMIME", "BODY=BINARYMIME", &bad);
    if (c->smtputf8)
      need_ext(s, "SMTPUTF8", "SMTPUTF8", &bad);
    if (c->ret || c->envid || c->notify || c->orcpt)
      need_ext(s, "DSN", "a DSN parameter", &bad);
    for (size_t i = 0; i < c->nparams; i++)
      if (c->params[i].key_len == 4 && !strncasecmp(c->params[i].key, "AUTH", 4))
        need_ext(s, "AUTH", "AUTH=", &bad);
  }
  if (!bad)
    listen_pass(&s->verdicts, LC_EXT_OFFERED);
}

/* reactions - what the client does after it has read a refusal (never judged for a
 * line sent before that reply was written: pipelining may do that, RFC 2920 3.1). */
static void reactions(struct listen_session *s, enum smtp_verb v, const char *line, size_t len) {
  int w = len > 60 ? 60 : (int)len;
  if (s->greeting_554) {
    /* RFC 5321 3.1: after a 554 opening the server waits for QUIT, 503 to the rest. */
    if (v == SMTP_VERB_QUIT)
      listen_pass(&s->verdicts, LC_GREETING_554);
    else
      listen_fail(&s->verdicts, LC_GREETING_554, "sent '%.*s' after a 554 greeting", w, line);
  }
  if (s->ehlo_refused) {
    /* RFC 5321 4.1.4 (RFC 1869 4.5): after a refused EHLO, HELO or QUIT. */
    if (v == SMTP_VERB_HELO || v == SMTP_VERB_QUIT)
      listen_pass(&s->verdicts, LC_EHLO_REFUSED);
    else if (v != SMTP_VERB_RSET)
      listen_fail(&s->verdicts, LC_EHLO_REFUSED, "sent '%.*s' after EHLO was refused", w, line);
    if (v != SMTP_VERB_RSET)
      s->ehlo_refused = false;
  }
  if (s->mail_refused) {
    if (v == SMTP_VERB_RCPT || v == SMTP_VERB_DATA || v == SMTP_VERB_BDAT)
      listen_fail(&s->verdicts, LC_MAIL_REFUSED, "sent '%.*s' after MAIL was refused", w, line);
    else
      listen_pass(&s->verdicts, LC_MAIL_REFUSED);
  }
  if (s->in_txn && s->rcpt_tried > 0 && s->rcpt_ok == 0 && v != SMTP_VERB_RCPT) {
    if (v == SMTP_VERB_DATA || v == SMTP_VERB_BDAT)
      listen_fail(&s->verdicts, LC_RCPT_REFUSED, "sent %s after every RCPT was refused",
                  smtp_verb_name(v));
    else
      listen_pass(&s->verdicts, LC_RCPT_REFUSED);
  }
  if (s->tls_fresh) {
    s->tls_fresh = false;
    if (v == SMTP_VERB_EHLO)
      listen_pass(&s->verdicts, LC_EHLO_AFTER_TLS);
    else
      listen_fail(&s->verdicts, LC_EHLO_AFTER_TLS, "sent '%.*s' first after the TLS handshake", w,
                  line);
  }
}

/* reset_txn - RFC 5321 4.1.1.5 / 4.1.4: RSET, EHLO, HELO end the transaction. */
static void reset_txn(struct listen_session *s) {
  s->in_txn = false;
  s->rcpt_tried = s->rcpt_ok = 0;
  s->mail_refused = false;
  s->body_8bit = false;
}

/* ehlo_text - the default EHLO reply: the host, then the scenario's keywords. */
static void ehlo_text(const struct listen_session *s, const char *arg, size_t len, char *buf,
                      size_t cap) {
  const struct listen_scenario *sc = s->cfg.scenario;
  size_t o = (size_t)snprintf(buf, cap, "%s greets %.*s", s->cfg.hostname,
                              (int)(len > 64 ? 64 : len), arg);
  for (size_t i = 0; i < sc->noffers && o < cap; i++) {
    if (!strcasecmp(sc->offers[i].keyword, "STARTTLS") && !(s->cfg.tls_available && !s->tls))
      continue;
    o += (size_t)snprintf(buf + o, cap - o, "\n%s%s%s", sc->offers[i].keyword,
                          sc->offers[i].params[0] ? " " : "", sc->offers[i].params);
  }
}

/* hello - EHLO / HELO: RFC 5321 4.1.1.1. */
static void hello(struct listen_session *s, enum smtp_verb v, const char *arg, size_t arg_len,
                  bool parsed) {
  bool ehlo = v == SMTP_VERB_EHLO;
  if (!s->ever_hello) {
    s->ever_hello = true;
    if (ehlo)
      listen_pass(&s->verdicts, LC_EHLO_USED);
    else
      listen_fail(&s->verdicts, LC_EHLO_USED, "opened with HELO, not EHLO");
  }
  /* RFC 5321 4.1.1.1: the argument is the client's domain or an address literal. */
  if (parsed)
    listen_pass(&s->verdicts, LC_EHLO_DOMAIN);
  else
    listen_fail(&s->verdicts, LC_EHLO_DOMAIN,
                "%s argument '%.*s' is not a domain or address "
                "literal",
                ehlo ? "EHLO" : "HELO", (int)(arg_len > 60 ? 60 : arg_len), arg);
  reset_txn(s);
  if (s->greeting_554) {
    listen_reply(s, 503, "5.5.1 Bad sequence of commands");
    return;
  }
  char text[2048];
  int code;
  if (ehlo) {
    ehlo_text(s, arg, arg_len, text, sizeof text);
    code = listen_reply_point(s, LP_EHLO, 250, text);
  } else {
    snprintf(text, sizeof text, "%s", s->cfg.hostname);
    code = listen_reply_point(s, LP_HELO, 250, text);
  }
  bool ok = code >= 200 && code < 300;
  s->hello_ok = ok || s->hello_ok;
  if (ok) {
    s->ehlo_ok = ehlo;
    s->pipelining = ehlo && offered_now(s, "PIPELINING") &&
                    !listen_scenario_rule(s->cfg.scenario, LP_EHLO, s->counts[LP_EHLO]);
  }
  s->ehlo_refused = ehlo && code >= 500;
}

/* auth - RFC 4954 4: AUTH mechanism [initial-response]; PLAIN and LOGIN are played. */
static void auth(struct listen_session *s, const struct smtp_command *c, bool parsed) {
  /* RFC 4954 4 / RFC 8314: credentials go over a protected connection only. */
  if (s->tls)
    listen_pass(&s->verdicts, LC_AUTH_CLEAR);
  else
    listen_fail(&s->verdicts, LC_AUTH_CLEAR, "sent AUTH %.*s over a connection without TLS",
                parsed ? (int)c->auth_mech_len : 0, parsed ? c->auth_mech : "");
  if (!parsed) {
    listen_reply(s, 501, "5.5.2 Syntax: AUTH mechanism [initial-response]");
    return;
  }
  if (s->in_txn) {
    listen_reply(s, 503, "5.5.1 AUTH not allowed in a mail transaction");
    return;
  }
  bool plain = c->auth_mech_len == 5 && !strncasecmp(c->auth_mech, "PLAIN", 5);
  bool login = c->auth_mech_len == 5 && !strncasecmp(c->auth_mech, "LOGIN", 5);
  if (!plain && !login) {
    listen_reply(s, 504, "5.5.4 Unrecognized authentication type");
    return;
  }
  int prompts = (plain ? 1 : 2) - (c->auth_initial ? 1 : 0);
  if (prompts == 0) {
    listen_reply_point(s, LP_AUTH, 235, "2.7.0 Authentication successful");
    return;
  }
  s->state = LS_AUTH;
  s->auth_step = prompts - 1;
  listen_reply(s, 334, plain ? "" : prompts == 2 ? "VXNlcm5hbWU6" : "UGFzc3dvcmQ6");
}

/* listen_auth_line - one SASL response line (RFC 4954 4: "*" cancels with 501). */
void listen_auth_line(struct listen_session *s, const char *line, size_t len) {
  if (len == 1 && line[0] == '*') {
    s->state = LS_COMMAND;
    listen_reply(s, 501, "5.0.0 Authentication cancelled");
  } else if (s->auth_step > 0) {
    s->auth_step--;
    listen_reply(s, 334, "UGFzc3dvcmQ6");
  } else {
    s->state = LS_COMMAND;
    listen_reply_point(s, LP_AUTH, 235, "2.7.0 Authentication successful");
  }
}

/* mail_rcpt_data - the transaction commands, with the sequence a real server keeps
 * (RFC 5321 3.3, 4.1.4: 503 out of order; 554 for DATA with no valid recipient). */
static int transaction(struct listen_session *s, enum smtp_verb v, const struct smtp_command *c,
                       bool parsed) {
  int code;
  if (s->greeting_554) {
    listen_reply(s, 503, "5.5.1 Bad sequence of commands");
    return 503;
  }
  switch (v) {
  case SMTP_VERB_MAIL:
    if (!s->hello_ok || s->in_txn) {
      listen_reply(s, 503, s->in_txn ? "5.5.1 Nested MAIL command" : "5.5.1 Send EHLO first");
      s->mail_refused = true;
      return 503;
    }
    code = listen_reply_point(s, LP_MAIL, 250, "2.1.0 Sender ok");
    s->mail_refused = code >= 400;
    if (code < 400) {
      s->in_txn = true;
      s->rcpt_tried = s->rcpt_ok = 0;
      s->body_8bit = parsed && (c->body == SMTP_BODY_8BITMIME || c->body == SMTP_BODY_BINARYMIME);
    }
    return code;
  case SMTP_VERB_RCPT:
    if (!s->in_txn) {
      listen_reply(s, 503, "5.5.1 Need MAIL before RCPT");
      return 503;
    }
    s->rcpt_tried++;
    code = listen_reply_point(s, LP_RCPT, 250, "2.1.5 Recipient ok");
    if (code < 400)
      s->rcpt_ok++;
    return code;
  default: /* DATA */
    if (!s->in_txn || s->rcpt_ok == 0) {
      code = s->in_txn ? 554 : 503;
      listen_reply(s, code, s->in_txn ? "5.5.1 No valid recipients" : "5.5.1 Need MAIL first");
    } else {
      code = listen_reply_point(s, LP_DATA, 354, "End data with <CR><LF>.<CR><LF>");
    }
    s->data_refused = code != 354;
    if (code == 354) {
      s->state = LS_DATA;
      s->data_first = true;
      s->msg_8bit = false;
      s->msg_hash = 0;
      sbuf_consume(&s->msg, s->msg.len);
      sbuf_consume(&s->raw, s->raw.len);
      s->msg_dropped = s->raw_dropped = 0;
    }
    return code;
  }
}

/* bdat - RFC 3030 2: the chunk octets follow at once; the reply comes after them. */
static void bdat(struct listen_session *s, const struct smtp_command *c, bool parsed) {
  if (!parsed) {
    listen_reply(s, 501, "5.5.4 Syntax: BDAT chunk-size [LAST]");
    return;
  }
  if (s->bdat_left == 0 && s->msg.len == 0) {
    sbuf_consume(&s->raw, s->raw.len);
    s->msg_dropped = s->raw_dropped = 0;
    s->msg_hash = 0;
  }
  s->bdat_left = c->bdat_size;
  s->bdat_last = c->bdat_last;
  s->state = LS_BDAT;
  if (s->bdat_left == 0)
    listen_data_octets(s, "", 0);
}

/* other - the commands outside a transaction. */
static int other(struct listen_session *s, enum smtp_verb v) {
  switch (v) {
  case SMTP_VERB_RSET:
    reset_txn(s);
    return listen_reply_point(s, LP_RSET, 250, "2.0.0 Ok");
  case SMTP_VERB_NOOP:
    return listen_reply_point(s, LP_NOOP, 250, "2.0.0 Ok");
  case SMTP_VERB_VRFY:
    return listen_reply_point(s, LP_VRFY, 252, "2.5.0 Cannot VRFY user");
  case SMTP_VERB_EXPN:
    return listen_reply_point(s, LP_EXPN, 502, "5.5.1 EXPN not implemented");
  case SMTP_VERB_HELP:
    return listen_reply_point(s, LP_HELP, 214, "2.0.0 smtpcheck listen: see RFC 5321");
  case SMTP_VERB_QUIT: {
    s->quit_seen = true;
    int code = listen_reply_point(s, LP_QUIT, 221, "2.0.0 Bye");
    s->after_reply = LW_CLOSE; /* RFC 5321 4.1.1.10: 221, then close */
    return code;
  }
  case SMTP_VERB_STARTTLS: {
    int code;
    if (s->tls) {
      listen_reply(s, 503, "5.5.1 TLS already active");
      code = 503;
    } else if (!s->cfg.tls_available) {
      listen_reply(s, 454, "4.7.0 TLS not available");
      code = 454;
    } else {
      code = listen_reply_point(s, LP_STARTTLS, 220, "2.0.0 Ready to start TLS");
    }
    if (code == 220) {
      s->after_reply = LW_TLS;
    } else {
      s->starttls_refused = true;
      s->tls_probe = true;
    }
    return code;
  }
  default:
    return listen_reply_point(s, LP_UNKNOWN, 500, "5.5.2 Command unrecognized");
  }
}

/* remember_refused - keep the hash of a command refused with 5yz. */
static void remember_refused(struct listen_session *s, uint64_t h) {
  if (s->nrefused < LISTEN_REFUSED_MAX)
    s->refused[s->nrefused++] = h;
}

/* repeated - RFC 5321 4.2.1: after 5yz "the SMTP client SHOULD NOT repeat the exact
 * request (in the same sequence)". */
static void repeated(struct listen_session *s, uint64_t h, const char *line, size_t len) {
  if (s->nrefused == 0)
    return;
  for (size_t i = 0; i < s->nrefused; i++)
    if (s->refused[i] == h) {
      listen_fail(&s->verdicts, LC_NO_REPEAT_5XX, "sent '%.*s' again after it was refused with 5yz",
                  (int)(len > 60 ? 60 : len), line);
      return;
    }
  listen_pass(&s->verdicts, LC_NO_REPEAT_5XX);
}

/* listen_command - one command line (without its line end). */
void listen_command(struct listen_session *s, const char *line, size_t len, bool early, bool mid) {
  struct smtp_command c;
  struct smtp_command_error err;
  bool parsed = smtp_command_parse(line, len, SMTP_EXT_ALL, &c, &err) == 0;
  enum smtp_verb v = parsed ? c.verb : scan_verb(line, len);
  enum listen_point p = point_of(v);
  uint64_t h = listen_hash(line, len, 0);
  s->commands++;
  s->counts[p]++;
  listen_judge_timing(s, line, len, early, mid);
  if (s->data_refused) {
    /* RFC 2920 3.1: a client that pipelined DATA must not send the content unless 354. */
    s->data_refused = false;
    if (v == SMTP_VERB_UNKNOWN)
      listen_fail(&s->verdicts, LC_DATA_REFUSED,
                  "sent '%.*s' (message content?) after DATA was refused",
                  (int)(len > 60 ? 60 : len), line);
    else
      listen_pass(&s->verdicts, LC_DATA_REFUSED);
  }
  if (!early) {
    reactions(s, v, line, len);
    repeated(s, h, line, len);
  }
  if (v == SMTP_VERB_MAIL) {
    /* RFC 5321 4.1.4: "A session that will contain mail transactions MUST first be
     * initialized by the use of the EHLO command" (HELO for older clients). */
    if (s->hello_ok)
      listen_pass(&s->verdicts, LC_HELLO_FIRST);
    else
      listen_fail(&s->verdicts, LC_HELLO_FIRST, "sent MAIL before a successful EHLO or HELO%s",
                  s->tls ? " in the TLS session" : "");
  }
  /* RFC 5321 4.1: the command grammar (the EHLO argument is judged by ehlo-domain). */
  int w = len > 60 ? 60 : (int)len;
  if (v == SMTP_VERB_UNKNOWN)
    listen_fail(&s->verdicts, LC_COMMAND_SYNTAX, "'%.*s' is not an SMTP command", w, line);
  else if (parsed)
    listen_pass(&s->verdicts, LC_COMMAND_SYNTAX);
  else if (v != SMTP_VERB_HELO && v != SMTP_VERB_EHLO)
    listen_fail(&s->verdicts, LC_COMMAND_SYNTAX, "'%.*s': %d %s %s", w, line, err.code,
                err.enhanced, err.text);
  ext_check(s, v, &c, parsed);
  s->last_code = 0;
  switch (v) {
  case SMTP_VERB_HELO:
  case SMTP_VERB_EHLO: {
    const char *arg = len > 5 ? line + 5 : "";
    hello(s, v, arg, len > 5 ? len - 5 : 0, parsed);
    break;
  }
  case SMTP_VERB_MAIL:
  case SMTP_VERB_RCPT:
  case SMTP_VERB_DATA:
    transaction(s, v, &c, parsed);
    break;
  case SMTP_VERB_AUTH:
    auth(s, &c, parsed);
    break;
  case SMTP_VERB_BDAT:
    bdat(s, &c, parsed);
    break;
  default:
    other(s, v);
  }
  if (s->last_code >= 500)
    remember_refused(s, h);
  s->prev = (int)p;
}
