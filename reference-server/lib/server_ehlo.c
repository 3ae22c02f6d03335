/* server_ehlo.c - HELO and EHLO: the session greeting and the list of extensions offered. */
#include <stdio.h>
#include <string.h>

#include "server_private.h"

/* server_offered - the extensions offered now: the configured ones, less STARTTLS under
 * TLS (RFC 3207 4.2), less AUTH where it would need TLS first (RFC 4954 4, our
 * auth_requires_tls), less BINARYMIME without CHUNKING (RFC 3030 3: BINARYMIME needs BDAT). */
unsigned server_offered(const struct smtp_server *s) {
  unsigned ext = s->cfg->extensions & SMTP_EXT_ALL;
  if (s->tls)
    ext &= ~(unsigned)SMTP_EXT_STARTTLS;
  if (s->cfg->auth_requires_tls && !s->tls)
    ext &= ~(unsigned)SMTP_EXT_AUTH;
  if (!(ext & SMTP_EXT_CHUNKING))
    ext &= ~(unsigned)SMTP_EXT_BINARYMIME;
  return ext;
}

/* server_greet - RFC 5321 4.1.4: HELO and EHLO reset the session like RSET and record the
 * client's name. */
static void server_greet(struct smtp_server *s, const struct smtp_command *cmd,
                         enum server_greeted how) {
  server_txn_reset(s);
  size_t n = cmd->arg_len < sizeof s->helo - 1 ? cmd->arg_len : sizeof s->helo - 1;
  memcpy(s->helo, cmd->arg, n);
  s->helo[n] = '\0';
  s->greeted = how;
}

/* server_cmd_helo - RFC 5321 4.1.1.1: HELO gets the one-line 250 with our name (RFC 2034
 * 3: no enhanced code on the HELO reply). */
void server_cmd_helo(struct smtp_server *s, const struct smtp_command *cmd) {
  char text[SERVER_TEXT_MAX];
  server_greet(s, cmd, SERVER_GREETED_HELO);
  snprintf(text, sizeof text, "%.255s", s->hostname);
  server_reply(s, 250, NULL, text);
}

/* ehlo_line - append "\n" and one keyword line to the EHLO text, if it fits. */
static void ehlo_line(char *buf, size_t cap, size_t *at, const char *line) {
  size_t n = strlen(line);
  if (*at + 1 + n + 1 > cap)
    return;
  buf[(*at)++] = '\n';
  memcpy(buf + *at, line, n + 1);
  *at += n;
}

/* server_cmd_ehlo - RFC 5321 4.1.1.1: 250 multi-line, our name then one extension per line
 * (RFC 2034 3: no enhanced code on the EHLO reply). */
void server_cmd_ehlo(struct smtp_server *s, const struct smtp_command *cmd) {
  char text[SERVER_TEXT_MAX]; /* 255 of hostname and about 130 of keywords */
  char line[SERVER_TEXT_MAX];
  size_t at;

  server_greet(s, cmd, SERVER_GREETED_EHLO);
  unsigned ext = server_offered(s);
  at = (size_t)snprintf(text, sizeof text, "%.255s", s->hostname);
  if (ext & SMTP_EXT_PIPELINING)
    ehlo_line(text, sizeof text, &at, "PIPELINING");
  if (ext & SMTP_EXT_SIZE) {
    /* RFC 1870 4: the parameter is the fixed limit; omitted when there is none. */
    if (s->cfg->max_size > 0)
      snprintf(line, sizeof line, "SIZE %llu", (unsigned long long)s->cfg->max_size);
    else
      snprintf(line, sizeof line, "SIZE");
    ehlo_line(text, sizeof text, &at, line);
  }
  if (ext & SMTP_EXT_8BITMIME)
    ehlo_line(text, sizeof text, &at, "8BITMIME");
  if (ext & SMTP_EXT_ENHANCEDSTATUSCODES)
    ehlo_line(text, sizeof text, &at, "ENHANCEDSTATUSCODES");
  if (ext & SMTP_EXT_SMTPUTF8)
    ehlo_line(text, sizeof text, &at, "SMTPUTF8");
  if (ext & SMTP_EXT_CHUNKING)
    ehlo_line(text, sizeof text, &at, "CHUNKING");
  if (ext & SMTP_EXT_BINARYMIME)
    ehlo_line(text, sizeof text, &at, "BINARYMIME");
  if (ext & SMTP_EXT_DSN)
    ehlo_line(text, sizeof text, &at, "DSN");
  if (ext & SMTP_EXT_STARTTLS)
    ehlo_line(text, sizeof text, &at, "STARTTLS");
  if (ext & SMTP_EXT_AUTH) {
    /* RFC 4954 3: "AUTH" and the mechanisms; only those the engine can run. */
    memcpy(line, "AUTH", 4);
    size_t n = server_auth_mechs(s, line + 4, sizeof line - 4);
    if (n > 0)
      ehlo_line(text, sizeof text, &at, line);
  }
  server_reply(s, 250, NULL, text);
}
