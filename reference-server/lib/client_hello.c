/* client_hello.c - client engine: greeting, EHLO/HELO, extensions and STARTTLS. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client_session.h"
#include "smtp/ext.h"
#include "smtp/reply.h"

/* reply_class - the first digit of a reply code: 2 success, 3 go on, 4/5 failure. */
static int reply_class(const struct smtp_reply *r) {
  return r->code / 100;
}

/* note_auth_mechanisms - RFC 4954 3: "AUTH" is followed by mechanism names. */
static void note_auth_mechanisms(struct smtp_client *c, const char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    while (i < n && p[i] == ' ')
      i++;
    size_t start = i;
    while (i < n && p[i] != ' ')
      i++;
    size_t len = i - start;
    if (len == 5 && strncasecmp(p + start, "PLAIN", 5) == 0)
      c->auth_plain = true;
    else if (len == 5 && strncasecmp(p + start, "LOGIN", 5) == 0)
      c->auth_login = true;
  }
}

/* parse_ehlo - RFC 5321 4.1.1.1: lines after the first are "keyword [params]". */
static void parse_ehlo(struct smtp_client *c, const struct smtp_reply *r) {
  size_t n = r->nlines < SMTP_REPLY_LINES_MAX ? r->nlines : SMTP_REPLY_LINES_MAX;
  c->offers = 0;
  c->auth_plain = c->auth_login = false;
  for (size_t i = 1; i < n; i++) {
    const char *t = r->lines[i].text;
    size_t len = r->lines[i].len, kw = 0;
    while (kw < len && t[kw] != ' ' && t[kw] != '=')
      kw++;
    unsigned bit = smtp_ext_from_keyword(t, kw);
    c->offers |= bit;
    if (bit == SMTP_EXT_AUTH && kw < len) /* "AUTH PLAIN" and the old "AUTH=PLAIN" */
      note_auth_mechanisms(c, t + kw + 1, len - kw - 1);
  }
}

/* smtpc_send_ehlo - RFC 5321 4.1.1.1: EHLO with our domain or address literal. */
void smtpc_send_ehlo(struct smtp_client *c) {
  smtpc_emit(c, SMTP_STEP_EHLO, "EHLO %s", c->cfg.ehlo);
}

/* smtpc_on_greeting - RFC 5321 3.1: 220 opens the session; 554 means only QUIT works. */
void smtpc_on_greeting(struct smtp_client *c, const struct smtp_reply *r) {
  if (r->code == 220) {
    smtpc_send_ehlo(c);
    return;
  }
  smtpc_abort(c, SMTP_STEP_GREETING, r->code, "server greeting was %d, not 220", r->code);
}

/* smtpc_on_ehlo - 250 lists extensions; RFC 5321 3.2: on 5xx fall back to HELO. */
void smtpc_on_ehlo(struct smtp_client *c, const struct smtp_reply *r) {
  if (reply_class(r) == 2) {
    parse_ehlo(c, r);
    smtpc_after_hello(c);
    return;
  }
  if (reply_class(r) == 5) {
    c->offers = 0;
    smtpc_emit(c, SMTP_STEP_HELO, "HELO %s", c->cfg.ehlo);
    return;
  }
  smtpc_abort(c, SMTP_STEP_EHLO, r->code, "EHLO refused with %d", r->code);
}

/* smtpc_on_helo - HELO is the last way in; a server offers no extensions with it. */
void smtpc_on_helo(struct smtp_client *c, const struct smtp_reply *r) {
  if (reply_class(r) == 2) {
    c->offers = 0;
    smtpc_after_hello(c);
    return;
  }
  smtpc_abort(c, SMTP_STEP_HELO, r->code, "EHLO and HELO refused (HELO: %d)", r->code);
}

/* smtpc_after_hello - what follows a successful EHLO/HELO: STARTTLS, AUTH, MAIL. */
void smtpc_after_hello(struct smtp_client *c) {
  if (c->cfg.starttls != SMTP_CLIENT_TLS_NONE && !c->tls_active && !c->tls_declined) {
    if (c->offers & SMTP_EXT_STARTTLS) {
      smtpc_emit(c, SMTP_STEP_STARTTLS, "STARTTLS");
      return;
    }
    if (c->cfg.starttls == SMTP_CLIENT_TLS_REQUIRE) {
      smtpc_abort(c, SMTP_STEP_STARTTLS, 0, "STARTTLS required but not offered by the server");
      return;
    }
  }
  if (c->cfg.auth_user && !c->auth_done) {
    smtpc_start_auth(c);
    return;
  }
  smtpc_start_message(c);
}

/* smtpc_on_starttls - RFC 3207 4: 220 means handshake now; 454/501 means no TLS. */
void smtpc_on_starttls(struct smtp_client *c, const struct smtp_reply *r) {
  if (r->code == 220) {
    c->state = SMTP_CLIENT_STARTTLS;
    return;
  }
  if (c->cfg.starttls == SMTP_CLIENT_TLS_REQUIRE) {
    smtpc_abort(c, SMTP_STEP_STARTTLS, r->code, "STARTTLS refused with %d", r->code);
    return;
  }
  /* Opportunistic: the session continues in clear, with what the EHLO offered. */
  c->tls_declined = true;
  smtpc_after_hello(c);
}
