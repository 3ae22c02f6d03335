/* server_auth.c - AUTH (RFC 4954) with the SASL mechanisms PLAIN (RFC 4616) and LOGIN
 * (draft-murchison-sasl-login): the command, the 334 exchange and the verdict.
 *
 * Decisions: PLAIN's authorization identity must be empty or equal to the authentication
 * identity (no proxy authorization); a malformed PLAIN message is a failed
 * authentication (535, counted), not a syntax error, so it cannot be used to probe
 * without counting. Decoded credentials live in the session's work area only for the hook
 * call and are wiped after it; a hook that answers PENDING must copy them. Responses are
 * decoded as they arrive (server_sasl.c); one that decodes to more than
 * SERVER_SASL_DECODED_MAX octets is refused with 500 5.5.6 (RFC 4954 6). */
#include <string.h>
#include <strings.h>

#include "server_private.h"
#include "smtp/base64.h"

/* The mechanisms the engine can run. */
static const char *const server_mechs[] = {"PLAIN", "LOGIN"};

/* LOGIN's challenges: base64 of "Username:" and "Password:". */
#define LOGIN_USER_CHALLENGE "VXNlcm5hbWU6"
#define LOGIN_PASS_CHALLENGE "UGFzc3dvcmQ6"

/* server_mech_configured - the static name of mechanism name[0..len) if the engine runs it
 * and the configuration lists it; NULL otherwise. */
static const char *server_mech_configured(const struct smtp_server *s, const char *name,
                                          size_t len) {
  const char *list = s->cfg->auth_mechanisms != NULL ? s->cfg->auth_mechanisms : "PLAIN LOGIN";
  for (size_t m = 0; m < sizeof server_mechs / sizeof server_mechs[0]; m++) {
    if (strlen(server_mechs[m]) != len || strncasecmp(name, server_mechs[m], len) != 0)
      continue;
    /* Look for the same word in the configured list. */
    const char *p = list;
    while (*p != '\0') {
      while (*p == ' ')
        p++;
      size_t w = strcspn(p, " ");
      if (w == len && strncasecmp(p, name, len) == 0)
        return server_mechs[m];
      p += w;
    }
  }
  return NULL;
}

/* server_auth_mechs - write " PLAIN LOGIN" (the configured mechanisms the engine runs,
 * each after a space) into buf; returns its length, 0 when there are none. */
size_t server_auth_mechs(const struct smtp_server *s, char *buf, size_t cap) {
  size_t at = 0;
  buf[0] = '\0';
  for (size_t m = 0; m < sizeof server_mechs / sizeof server_mechs[0]; m++) {
    size_t n = strlen(server_mechs[m]);
    if (server_mech_configured(s, server_mechs[m], n) == NULL || at + 1 + n + 1 > cap)
      continue;
    buf[at++] = ' ';
    memcpy(buf + at, server_mechs[m], n + 1);
    at += n;
  }
  return at;
}

/* auth_end - the exchange is over: back to commands, credentials wiped. */
static void auth_end(struct smtp_server *s) {
  s->auth_step = SERVER_AUTH_NONE;
  server_sasl_wipe(s);
  if (!s->authenticated) {
    s->auth_user_len = 0;
    s->auth_user[0] = '\0';
  }
  if (s->mode == SERVER_MODE_AUTH)
    server_set_mode(s, SERVER_MODE_COMMAND);
}

/* auth_fail - RFC 4954 6: 535 5.7.8 (or the hook's reply); after max_auth_failures the
 * session ends with 421. */
static void auth_fail(struct smtp_server *s, const struct smtp_hook_reply *r) {
  auth_end(s);
  s->auth_failures++;
  s->stats.auth_failures++;
  server_reply_hook(s, r, false, 535, "5.7.8", "Error: authentication credentials invalid");
  if (s->auth_failures >= s->max_auth_fail)
    server_close(s, "4.7.0", "Error: too many authentication failures");
}

/* server_resume_auth - finish AUTH with the hook's verdict (now or after PENDING). */
void server_resume_auth(struct smtp_server *s, enum smtp_hook_status st,
                        const struct smtp_hook_reply *r) {
  if (st == SMTP_HOOK_PENDING) {
    s->pending = SERVER_PENDING_AUTH;
    server_sasl_wipe(s);
    server_set_mode(s, SERVER_MODE_PENDING);
    return;
  }
  if (st != SMTP_HOOK_ACCEPT) {
    auth_fail(s, r);
    return;
  }
  s->authenticated = true;
  auth_end(s);
  server_reply_hook(s, r, true, 235, "2.7.0", "Authentication successful");
}

/* auth_verify - hand decoded credentials to the daemon (NULL hook: accept, as the header's
 * contract for every hook says). */
static void auth_verify(struct smtp_server *s, const char *pass, size_t pass_len) {
  struct smtp_hook_reply r = {0};
  enum smtp_hook_status st = SMTP_HOOK_ACCEPT;
  if (s->hooks->auth != NULL)
    st = s->hooks->auth(s->ctx, s->auth_mech, s->auth_user, s->auth_user_len, pass, pass_len, &r);
  server_resume_auth(s, st, &r);
}

/* auth_set_user - keep the authentication identity; false if it cannot be one. */
static bool auth_set_user(struct smtp_server *s, const char *user, size_t len) {
  if (len == 0 || len > SERVER_AUTH_USER_MAX || memchr(user, '\0', len) != NULL)
    return false;
  memcpy(s->auth_user, user, len);
  s->auth_user[len] = '\0';
  s->auth_user_len = len;
  return true;
}

/* auth_plain - RFC 4616 2: message = [authzid] NUL authcid NUL passwd. */
static void auth_plain(struct smtp_server *s, const char *msg, size_t len) {
  const char *nul1 = memchr(msg, '\0', len);
  const char *nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - msg)) : NULL;
  if (nul2 == NULL) {
    auth_fail(s, NULL);
    return;
  }
  size_t zlen = (size_t)(nul1 - msg);
  const char *cid = nul1 + 1;
  size_t clen = (size_t)(nul2 - cid);
  const char *pass = nul2 + 1;
  size_t plen = len - (size_t)(pass - msg);
  /* No proxy authorization: authzid is empty or names the authenticating user. */
  bool authz_ok = zlen == 0 || (zlen == clen && memcmp(msg, cid, clen) == 0);
  if (!authz_ok || plen == 0 || memchr(pass, '\0', plen) != NULL || !auth_set_user(s, cid, clen)) {
    auth_fail(s, NULL);
    return;
  }
  auth_verify(s, pass, plen);
}

/* auth_challenge - RFC 4954 4: "334 " and a base64 challenge; read a response line. */
static void auth_challenge(struct smtp_server *s, enum server_auth_step step,
                           const char *challenge) {
  s->auth_step = step;
  server_sasl_begin(s);
  server_reply(s, 334, NULL, challenge);
  server_set_mode(s, SERVER_MODE_AUTH);
}

/* auth_response - one decoded client response for the step in progress. */
static void auth_response(struct smtp_server *s, const char *msg, size_t len) {
  switch (s->auth_step) {
  case SERVER_AUTH_PLAIN_RESPONSE:
    auth_plain(s, msg, len);
    break;
  case SERVER_AUTH_LOGIN_USER:
    if (!auth_set_user(s, msg, len)) {
      auth_fail(s, NULL);
      break;
    }
    auth_challenge(s, SERVER_AUTH_LOGIN_PASS, LOGIN_PASS_CHALLENGE);
    break;
  case SERVER_AUTH_LOGIN_PASS:
    if (len == 0 || memchr(msg, '\0', len) != NULL) {
      auth_fail(s, NULL);
      break;
    }
    auth_verify(s, msg, len);
    break;
  default:
    auth_end(s);
    break;
  }
}

/* auth_decoded - the response just read, as server_sasl.c decoded it. RFC 4954 4: "*"
 * cancels (501 5.0.0), "=" is an empty initial response, undecodable base64 is 501 5.5.2;
 * RFC 4954 6: more than the mechanism's buffer is 500 5.5.6. Returns the decoded length,
 * or -1 after replying. */
static ssize_t auth_decoded(struct smtp_server *s) {
  const struct server_sasl *x = &s->sasl;
  if (x->chars == 1 && x->first == '*') {
    auth_end(s);
    server_reply(s, 501, "5.0.0", "Authentication cancelled");
    return -1;
  }
  if (x->chars == 1 && x->first == '=')
    return 0;
  /* RFC 4648 3.1: the encoded length is a multiple of 4. */
  if (x->invalid || x->nquad != 0) {
    auth_end(s);
    server_reply(s, 501, "5.5.2", "Error: cannot decode base64 response");
    return -1;
  }
  if (x->overflow) {
    server_auth_too_long(s);
    return -1;
  }
  return (ssize_t)x->len;
}

/* server_auth_response - one SASL response (RFC 4954 4) is complete: act on it. */
void server_auth_response(struct smtp_server *s) {
  /* RFC 5321 2.3.8 applies to response lines too: no bare CR/LF, no NUL. */
  if (s->sasl.defects & (SMTP_LINE_BARE_CR | SMTP_LINE_BARE_LF | SMTP_LINE_NUL)) {
    auth_end(s);
    server_reply(s, 501, "5.5.2", "Error: invalid characters in response");
    return;
  }
  ssize_t n = auth_decoded(s);
  if (n < 0)
    return;
  auth_response(s, s->work.sasl, (size_t)n);
}

/* server_auth_too_long - RFC 4954 6: 500 5.5.6 for a response line over 12288 octets or
 * one that decodes to more than SERVER_SASL_DECODED_MAX. */
void server_auth_too_long(struct smtp_server *s) {
  auth_end(s);
  server_reply(s, 500, "5.5.6", "Error: authentication exchange line is too long");
}

/* check_auth - RFC 4954 4 and 6: when AUTH may start. */
static int check_auth(struct smtp_server *s, const struct smtp_command *cmd) {
  /* RFC 4954 4: after a successful AUTH, further AUTH commands get 503. */
  if (s->authenticated)
    return server_refuse(s, 503, "5.5.1", "Error: already authenticated");
  /* RFC 4954 4: the AUTH command is not permitted during a mail transaction. */
  if (s->txn.open)
    return server_refuse(s, 503, "5.5.1", "Error: AUTH not permitted during a mail transaction");
  /* RFC 4954 6: 538 5.7.11 when the mechanism needs an encrypted channel first. */
  if (s->cfg->auth_requires_tls && !s->tls)
    return server_refuse(s, 538, "5.7.11",
                         "Encryption required for requested authentication mechanism");
  return 0;
}

/* server_cmd_auth - RFC 4954 4: AUTH mechanism [initial-response]. */
void server_cmd_auth(struct smtp_server *s, const struct smtp_command *cmd) {
  if (check_auth(s, cmd) != 0)
    return;
  const char *mech = server_mech_configured(s, cmd->auth_mech, cmd->auth_mech_len);
  if (mech == NULL) {
    /* RFC 4954 4: a mechanism the server does not support gets 504. */
    server_reply(s, 504, "5.5.4", "Error: unrecognized authentication type");
    return;
  }
  s->auth_mech = mech;
  s->auth_user_len = 0;
  s->auth_user[0] = '\0';
  bool is_plain = mech == server_mechs[0];
  if (cmd->auth_initial == NULL) {
    /* RFC 4954 4: no initial response: the server sends a 334 challenge (empty for PLAIN). */
    if (is_plain)
      auth_challenge(s, SERVER_AUTH_PLAIN_RESPONSE, "");
    else
      auth_challenge(s, SERVER_AUTH_LOGIN_USER, LOGIN_USER_CHALLENGE);
    return;
  }
  s->auth_step = is_plain ? SERVER_AUTH_PLAIN_RESPONSE : SERVER_AUTH_LOGIN_USER;
  /* The initial response is decoded like a response line (in place when the command line
   * is in s->work.line); the command line has no bare CR, LF or NUL by now. */
  server_sasl_begin(s);
  server_sasl_take(s, cmd->auth_initial, cmd->auth_initial_len);
  server_auth_response(s);
}
