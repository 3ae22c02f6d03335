/* client_auth.c - client engine: AUTH PLAIN (RFC 4616) and LOGIN over RFC 4954. */
#include <string.h>

#include "client_session.h"
#include "smtp/base64.h"
#include "smtp/ext.h"
#include "smtp/line.h"
#include "smtp/reply.h"

/* b64_len - encoded size of n octets (RFC 4648 4, with padding). */
static size_t b64_len(size_t n) {
  return (n + 2) / 3 * 4;
}

/* smtpc_auth_line_max - the longest AUTH line plus scratch room for its clear text. */
size_t smtpc_auth_line_max(const struct smtp_client_config *cfg) {
  if (!cfg->auth_user)
    return 0;
  size_t u = strlen(cfg->auth_user), p = strlen(cfg->auth_pass);
  size_t plain = 2 + u + p; /* RFC 4616 2: [authzid] NUL authcid NUL passwd */
  return sizeof "AUTH PLAIN " + b64_len(plain) + 2 + plain + 8;
}

/* emit_b64 - append prefix, base64 of the parts' concatenation and CRLF; expect AUTH.
 * The clear text is assembled at the far end of the output buffer, then wiped. */
static void emit_b64(struct smtp_client *c, const char *prefix, const char *const *parts,
                     const size_t *lens, size_t nparts) {
  size_t total = 0, plen = strlen(prefix);
  for (size_t i = 0; i < nparts; i++)
    total += lens[i];
  smtpc_out_compact(c);
  size_t need = plen + b64_len(total) + 2;
  if (c->out_len + need + total > c->out_cap) {
    smtpc_abort(c, SMTP_STEP_AUTH, 0, "internal: AUTH line does not fit");
    return;
  }
  char *scratch = c->out + c->out_cap - total, *w = scratch;
  for (size_t i = 0; i < nparts; i++) {
    memcpy(w, parts[i], lens[i]);
    w += lens[i];
  }
  char *o = c->out + c->out_len;
  memcpy(o, prefix, plen);
  size_t n = smtp_base64_encode((const unsigned char *)scratch, total, o + plen);
  memset(scratch, 0, total); /* do not leave the password lying in the buffer */
  o[plen + n] = '\r';
  o[plen + n + 1] = '\n';
  c->out_len += plen + n + 2;
  smtpc_expect(c, SMTP_STEP_AUTH);
}

/* plain_response - RFC 4616 2: the PLAIN message "[authzid] NUL authcid NUL passwd" in
 * base64, after prefix, as one line. */
static void plain_response(struct smtp_client *c, const char *prefix) {
  const char *parts[] = {"", c->cfg.auth_user, "", c->cfg.auth_pass};
  size_t lens[] = {1, strlen(c->cfg.auth_user), 1, strlen(c->cfg.auth_pass)};
  c->auth_stage = SMTPC_AUTH_FINAL;
  emit_b64(c, prefix, parts, lens, 4);
}

/* plain_fits - RFC 4954 4: the AUTH command stays within the RFC 5321 4.5.3.1.4 limit of
 * 512 octets; an initial response that would make it longer MUST NOT be used. */
static bool plain_fits(const struct smtp_client *c) {
  size_t plain = 2 + strlen(c->cfg.auth_user) + strlen(c->cfg.auth_pass);
  return sizeof "AUTH PLAIN " - 1 + b64_len(plain) + 2 <= SMTP_COMMAND_LINE_MAX;
}

/* send_plain - RFC 4954 4: AUTH PLAIN with the initial response on the command line when
 * it fits, else bare "AUTH PLAIN" and the response after the server's 334. */
static void send_plain(struct smtp_client *c) {
  if (plain_fits(c)) {
    plain_response(c, "AUTH PLAIN ");
    return;
  }
  c->auth_stage = SMTPC_AUTH_SENT;
  smtpc_emit(c, SMTP_STEP_AUTH, "AUTH PLAIN");
}

/* smtpc_start_auth - PLAIN when offered, else LOGIN (LOGIN first when the configuration
 * prefers it); nothing else is implemented. */
void smtpc_start_auth(struct smtp_client *c) {
  if (!(c->offers & SMTP_EXT_AUTH)) {
    smtpc_abort(c, SMTP_STEP_AUTH, 0, "AUTH requested but not offered by the server%s",
                c->tls_active ? "" : " (before TLS)");
    return;
  }
  c->use_login = c->auth_login && (c->cfg.prefer_login || !c->auth_plain);
  if (c->use_login) {
    c->auth_stage = SMTPC_AUTH_SENT;
    smtpc_emit(c, SMTP_STEP_AUTH, "AUTH LOGIN");
    return;
  }
  if (c->auth_plain) {
    send_plain(c);
    return;
  }
  smtpc_abort(c, SMTP_STEP_AUTH, 0, "the server offers neither AUTH PLAIN nor AUTH LOGIN");
}

/* login_answer - the next LOGIN response: username, then password, each in base64. */
static void login_answer(struct smtp_client *c) {
  const char *v = c->auth_stage == SMTPC_AUTH_SENT ? c->cfg.auth_user : c->cfg.auth_pass;
  size_t len = strlen(v);
  c->auth_stage = c->auth_stage == SMTPC_AUTH_SENT ? SMTPC_AUTH_USER : SMTPC_AUTH_FINAL;
  emit_b64(c, "", &v, &len, 1);
}

/* smtpc_on_auth - 334 asks for the next response, 235 succeeds, anything else fails. */
void smtpc_on_auth(struct smtp_client *c, const struct smtp_reply *r) {
  if (c->auth_stage == SMTPC_AUTH_CANCELLED) {
    smtpc_abort(c, SMTP_STEP_AUTH, 334, "AUTH: the server asked for more than the credentials");
    return;
  }
  if (r->code == 235 && c->auth_stage == SMTPC_AUTH_FINAL) {
    c->auth_done = true;
    smtpc_start_message(c);
    return;
  }
  if (r->code == 334) {
    if (c->use_login && c->auth_stage != SMTPC_AUTH_FINAL) {
      login_answer(c);
      return;
    }
    if (!c->use_login && c->auth_stage == SMTPC_AUTH_SENT) {
      plain_response(c, ""); /* RFC 4954 4: the response to PLAIN's empty challenge */
      return;
    }
    /* RFC 4954 4: "*" cancels an exchange we cannot continue; the server answers 501. */
    c->auth_stage = SMTPC_AUTH_CANCELLED;
    smtpc_emit(c, SMTP_STEP_AUTH, "*");
    return;
  }
  smtpc_abort(c, SMTP_STEP_AUTH, r->code, "AUTH %s refused with %d",
              c->use_login ? "LOGIN" : "PLAIN", r->code);
}
