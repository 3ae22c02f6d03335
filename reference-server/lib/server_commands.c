/* server_commands.c - the command table: per verb, a check (is it allowed now? it sends
 * its own 5xx) and a proceed function (does it), as OpenSMTPD's smtp_session.c does.
 *
 * RFC 5321 4.1.4: "The order in which the commands are used is restricted": HELO/EHLO
 * first, then MAIL, RCPT, DATA; RSET, NOOP, VRFY, HELP, QUIT at any time. Commands out of
 * order get 503 and change nothing. A command that does not parse gets the parser's reply
 * (500/501/504/553/555) and changes nothing. */
#include <stdio.h>
#include <string.h>

#include "server_private.h"
#include "smtp/command.h"

/* Rules a row can ask the dispatcher to enforce before its own check runs. */
enum server_cmd_flag {
  CMD_NEED_HELO = 1u << 0, /* RFC 5321 4.1.4: HELO or EHLO must come first */
  CMD_NEED_EHLO = 1u << 1, /* an ESMTP extension verb: EHLO must come first */
};

/* One row of the command table. */
struct server_cmd {
  enum smtp_verb verb;
  unsigned flags;
  unsigned ext; /* enum smtp_ext bit that must be configured, else 502 (RFC 5321 4.2.4) */
  int (*check)(struct smtp_server *s, const struct smtp_command *cmd);
  void (*proceed)(struct smtp_server *s, const struct smtp_command *cmd);
};

/* server_txn_reset - end the mail transaction without data_end (RSET, HELO/EHLO,
 * STARTTLS, QUIT, close, errors) and tell the daemon through the reset hook. */
void server_txn_reset(struct smtp_server *s) {
  bool was_open = s->txn.open;
  memset(&s->txn, 0, sizeof s->txn);
  if (was_open && s->hooks->reset != NULL)
    s->hooks->reset(s->ctx);
}

/* server_session_reset - RFC 3207 4.2: forget everything learnt from the client (its
 * HELO/EHLO, any transaction, any authentication) as after a successful STARTTLS. */
void server_session_reset(struct smtp_server *s) {
  server_txn_reset(s);
  s->greeted = SERVER_GREETED_NONE;
  s->helo[0] = '\0';
  s->authenticated = false;
  s->auth_step = SERVER_AUTH_NONE;
  s->auth_user_len = 0;
  s->auth_user[0] = '\0';
  server_line_reset(s);
}

/* check_mail - RFC 5321 4.1.4, RFC 4954 6, RFC 1870 6.1, RFC 6531 3.4 rules for MAIL. */
static int check_mail(struct smtp_server *s, const struct smtp_command *cmd) {
  /* RFC 4954 6: a submission server refuses MAIL before AUTH with 530 5.7.0. */
  if (s->cfg->mail_requires_auth && !s->authenticated)
    return server_refuse(s, 530, "5.7.0", "Authentication required");
  /* RFC 5321 4.1.4: MAIL MUST NOT be sent while a transaction is open. */
  if (s->txn.open)
    return server_refuse(s, 503, "5.5.1", "Error: nested MAIL command");
  /* RFC 1870 6.1: a declared SIZE over the fixed limit is refused at once with 552. */
  if (cmd->has_size && s->cfg->max_size > 0 && cmd->size > s->cfg->max_size)
    return server_refuse(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
  /* RFC 6531 3.4: a UTF-8 address needs the SMTPUTF8 parameter. */
  if (cmd->path.is_utf8 && !cmd->smtputf8)
    return server_refuse(s, 553, "5.6.7", "UTF-8 address requires the SMTPUTF8 parameter");
  return 0;
}

/* mail_accept - open the transaction with the reply the hook chose. */
static void mail_accept(struct smtp_server *s, const struct smtp_hook_reply *r) {
  s->txn.open = true;
  server_reply_hook(s, r, true, 250, "2.1.0", "OK");
}

/* mail_reject - forget the parameters of a refused MAIL. */
static void mail_reject(struct smtp_server *s, const struct smtp_hook_reply *r) {
  memset(&s->txn, 0, sizeof s->txn);
  server_reply_hook(s, r, false, 550, "5.7.1", "Sender rejected");
}

/* proceed_mail - remember MAIL's parameters and ask the daemon about the reverse-path. */
static void proceed_mail(struct smtp_server *s, const struct smtp_command *cmd) {
  struct smtp_hook_reply r = {0};
  enum smtp_hook_status st = SMTP_HOOK_ACCEPT;
  memset(&s->txn, 0, sizeof s->txn);
  s->txn.smtputf8 = cmd->smtputf8;
  s->txn.body = cmd->body;
  if (s->hooks->mail != NULL)
    st = s->hooks->mail(s->ctx, cmd, &r);
  server_resume_mail(s, st, &r);
}

/* server_resume_mail - finish MAIL with the hook's verdict (now or after PENDING). */
void server_resume_mail(struct smtp_server *s, enum smtp_hook_status st,
                        const struct smtp_hook_reply *r) {
  if (st == SMTP_HOOK_PENDING) {
    s->pending = SERVER_PENDING_MAIL;
    server_set_mode(s, SERVER_MODE_PENDING);
  } else if (st == SMTP_HOOK_ACCEPT) {
    mail_accept(s, r);
  } else {
    mail_reject(s, r);
  }
}

/* check_rcpt - RFC 5321 3.3 and 4.5.3.1.10, RFC 6531 3.4 rules for RCPT. */
static int check_rcpt(struct smtp_server *s, const struct smtp_command *cmd) {
  /* RFC 5321 3.3: RCPT without MAIL is a bad sequence of commands. */
  if (!s->txn.open)
    return server_refuse(s, 503, "5.5.1", "Error: need MAIL command");
  /* RFC 3030 2: once BDAT content has begun, the recipient list is closed. */
  if (s->txn.content_started)
    return server_refuse(s, 503, "5.5.1", "Error: RCPT after message content");
  /* RFC 5321 4.5.3.1.10: over the implementation's limit, 452 (not 552). */
  if (s->txn.nrcpts >= s->max_recipients)
    return server_refuse(s, 452, "4.5.3", "Error: too many recipients");
  /* RFC 6531 3.4: a UTF-8 forward-path in a transaction that did not say SMTPUTF8. */
  if (cmd->path.is_utf8 && !s->txn.smtputf8)
    return server_refuse(s, 553, "5.6.7", "UTF-8 address requires the SMTPUTF8 parameter");
  return 0;
}

/* proceed_rcpt - ask the daemon about one forward-path. */
static void proceed_rcpt(struct smtp_server *s, const struct smtp_command *cmd) {
  struct smtp_hook_reply r = {0};
  enum smtp_hook_status st = SMTP_HOOK_ACCEPT;
  if (s->hooks->rcpt != NULL)
    st = s->hooks->rcpt(s->ctx, cmd, &r);
  server_resume_rcpt(s, st, &r);
}

/* server_resume_rcpt - finish RCPT with the hook's verdict (now or after PENDING). */
void server_resume_rcpt(struct smtp_server *s, enum smtp_hook_status st,
                        const struct smtp_hook_reply *r) {
  if (st == SMTP_HOOK_PENDING) {
    s->pending = SERVER_PENDING_RCPT;
    server_set_mode(s, SERVER_MODE_PENDING);
  } else if (st == SMTP_HOOK_ACCEPT) {
    s->txn.nrcpts++;
    server_reply_hook(s, r, true, 250, "2.1.5", "OK");
  } else {
    server_reply_hook(s, r, false, 550, "5.1.1", "Recipient rejected");
  }
}

/* proceed_rset - RFC 5321 4.1.1.5: abort the transaction, always 250. */
static void proceed_rset(struct smtp_server *s, const struct smtp_command *cmd) {
  server_txn_reset(s);
  server_reply(s, 250, "2.0.0", "OK");
}

/* proceed_noop - RFC 5321 4.1.1.9: 250 and nothing else. */
static void proceed_noop(struct smtp_server *s, const struct smtp_command *cmd) {
  server_reply(s, 250, "2.0.0", "OK");
}

/* proceed_vrfy - RFC 5321 3.5.3: the engine cannot verify; 252 says "will accept". */
static void proceed_vrfy(struct smtp_server *s, const struct smtp_command *cmd) {
  server_reply(s, 252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
}

/* proceed_expn - RFC 5321 3.5.2, 4.2.4: the reference server has no mailing lists to
 * expand, and answering 252 would claim a list might exist; EXPN is recognised but not
 * implemented, which is 502. */
static void proceed_expn(struct smtp_server *s, const struct smtp_command *cmd) {
  server_reply(s, 502, "5.5.1", "Error: EXPN not implemented");
}

/* proceed_help - RFC 5321 4.1.1.8: 214 with the commands this session would accept
 * (extension verbs only when configured, so HELP never lists what gets 502). */
static void proceed_help(struct smtp_server *s, const struct smtp_command *cmd) {
  char text[SERVER_TEXT_MAX];
  unsigned ext = s->cfg->extensions;
  snprintf(text, sizeof text, "Commands: HELO EHLO MAIL RCPT DATA%s RSET NOOP QUIT VRFY HELP%s%s",
           (ext & SMTP_EXT_CHUNKING) ? " BDAT" : "", (ext & SMTP_EXT_STARTTLS) ? " STARTTLS" : "",
           (ext & SMTP_EXT_AUTH) ? " AUTH" : "");
  server_reply(s, 214, "2.0.0", text);
}

/* proceed_quit - RFC 5321 4.1.1.10: 221, then the server closes. */
static void proceed_quit(struct smtp_server *s, const struct smtp_command *cmd) {
  char text[SERVER_TEXT_MAX];
  server_txn_reset(s);
  snprintf(text, sizeof text, "%.255s closing connection", s->hostname);
  server_reply(s, 221, "2.0.0", text);
  server_set_mode(s, SERVER_MODE_CLOSING);
}

/* check_starttls - RFC 3207 4: no parameters (501); not again under TLS (503). */
static int check_starttls(struct smtp_server *s, const struct smtp_command *cmd) {
  if (s->tls)
    return server_refuse(s, 503, "5.5.1", "Error: TLS already active");
  if (cmd->arg_len > 0)
    return server_refuse(s, 501, "5.5.4", "Syntax: STARTTLS");
  return 0;
}

/* proceed_starttls - RFC 3207 4: 220, then nothing more is read in plaintext. The rest of
 * the caller's buffer is never consumed and no partial line is kept (RFC 3207 5,
 * CVE-2011-0411: pipelined plaintext must not be executed after the handshake). */
static void proceed_starttls(struct smtp_server *s, const struct smtp_command *cmd) {
  server_reply(s, 220, "2.0.0", "Ready to start TLS");
  server_txn_reset(s);
  server_line_reset(s);
  server_set_mode(s, SERVER_MODE_STARTTLS);
}

/* The command table, in the order of RFC 5321 4.1.1 and then the extensions. */
static const struct server_cmd server_cmds[] = {
    {SMTP_VERB_EHLO, 0, 0, NULL, server_cmd_ehlo},
    {SMTP_VERB_HELO, 0, 0, NULL, server_cmd_helo},
    {SMTP_VERB_MAIL, CMD_NEED_HELO, 0, check_mail, proceed_mail},
    {SMTP_VERB_RCPT, 0, 0, check_rcpt, proceed_rcpt},
    {SMTP_VERB_DATA, 0, 0, NULL, server_cmd_data},
    {SMTP_VERB_RSET, 0, 0, NULL, proceed_rset},
    {SMTP_VERB_VRFY, 0, 0, NULL, proceed_vrfy},
    {SMTP_VERB_EXPN, 0, 0, NULL, proceed_expn},
    {SMTP_VERB_HELP, 0, 0, NULL, proceed_help},
    {SMTP_VERB_NOOP, 0, 0, NULL, proceed_noop},
    {SMTP_VERB_QUIT, 0, 0, NULL, proceed_quit},
    {SMTP_VERB_STARTTLS, 0, SMTP_EXT_STARTTLS, check_starttls, proceed_starttls},
    {SMTP_VERB_AUTH, CMD_NEED_EHLO, SMTP_EXT_AUTH, NULL, server_cmd_auth},
    {SMTP_VERB_BDAT, 0, SMTP_EXT_CHUNKING, NULL, server_cmd_bdat},
};

/* server_cmd_find - the table row of a verb, NULL if none. */
static const struct server_cmd *server_cmd_find(enum smtp_verb verb) {
  for (size_t i = 0; i < sizeof server_cmds / sizeof server_cmds[0]; i++)
    if (server_cmds[i].verb == verb)
      return &server_cmds[i];
  return NULL;
}

/* server_command_rules - the table flags' checks; 0 if the command may go on. */
static int server_command_rules(struct smtp_server *s, const struct server_cmd *row) {
  /* RFC 5321 4.2.4: a verb we know but do not offer is "not implemented". */
  if (row->ext != 0 && !(s->cfg->extensions & row->ext))
    return server_refuse(s, 502, "5.5.1", "Error: command not implemented");
  /* RFC 5321 4.1.4: a session begins with HELO or EHLO. */
  if ((row->flags & CMD_NEED_HELO) && s->greeted == SERVER_GREETED_NONE)
    return server_refuse(s, 503, "5.5.1", "Error: send HELO/EHLO first");
  /* RFC 5321 2.2.1: extensions exist only in a session opened with EHLO. */
  if ((row->flags & CMD_NEED_EHLO) && s->greeted != SERVER_GREETED_EHLO)
    return server_refuse(s, 503, "5.5.1", "Error: send EHLO first");
  return 0;
}

/* server_command - one command line: framing defects, parse, table rules, check, proceed. */
void server_command(struct smtp_server *s, const struct smtp_line *line) {
  struct smtp_command cmd;
  struct smtp_command_error err = {0};

  s->stats.commands++;
  /* RFC 5321 2.3.8: CRLF is the only line ending; a bare CR or LF inside a command line
   * is refused, never taken as an end of line. */
  if (line->defects & (SMTP_LINE_BARE_CR | SMTP_LINE_BARE_LF)) {
    server_reply(s, 501, "5.5.2", "Error: bare CR or LF in command line");
    return;
  }
  /* RFC 5321 4.1.2: NUL is not a valid character in any command. */
  if (line->defects & SMTP_LINE_NUL) {
    server_reply(s, 501, "5.5.2", "Error: NUL in command line");
    return;
  }
  /* RFC 5321 2.2.1: ESMTP parameters only after EHLO. */
  unsigned ext = s->greeted == SERVER_GREETED_HELO ? 0 : server_offered(s);
  if (smtp_command_parse(line->data, line->len, ext, &cmd, &err) != 0) {
    server_reply(s, err.code != 0 ? err.code : 500, err.enhanced != NULL ? err.enhanced : "5.5.2",
                 err.text != NULL ? err.text : "Error: command not recognized");
    return;
  }
  const struct server_cmd *row = server_cmd_find(cmd.verb);
  if (row == NULL) {
    server_reply(s, 500, "5.5.2", "Error: command not recognized");
    return;
  }
  if (server_command_rules(s, row) != 0)
    return;
  if (row->check != NULL && row->check(s, &cmd) != 0)
    return;
  row->proceed(s, &cmd);
}
