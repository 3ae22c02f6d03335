/* repro_client.c - drive the client engine with a fuzz_client input and check it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_buf.h"
#include "gen_session.h"
#include "repro_check.h"
#include "repro_session.h"
#include "smtp/base64.h"
#include "smtp/client.h"
#include "smtp/command.h"
#include "smtp/data.h"
#include "smtp/ext.h"
#include "smtp/line.h"
#include "smtp/reply.h"

/* DATA replies remembered (two messages, retries are not expected). */
#define CLI_DATA_MAX 16
/* Room for one recipient's address (gen_session_rcpt). */
#define CLI_RCPT_LEN 32

/* What the client is sending, as a server reading its output would see it. */
enum cli_mode {
  CLI_CMD = 0, /* command lines */
  CLI_AWAIT,   /* after a group-ending command: nothing until its reply */
  CLI_CONTENT, /* after 354: dot-stuffed content up to CRLF.CRLF */
  CLI_BDAT,    /* the octets of a BDAT chunk */
};

/* The AUTH exchange the client began, as the shadow server saw it. */
enum cli_auth {
  CLI_AUTH_NONE = 0,
  CLI_AUTH_PLAIN_IR, /* AUTH PLAIN with an initial response: a 334 gets "*" */
  CLI_AUTH_PLAIN,    /* AUTH PLAIN alone: the response, then "*" */
  CLI_AUTH_LOGIN,    /* AUTH LOGIN: user name, password, then "*" */
};

/* One run of the client engine over the input. */
struct cli_run {
  const struct gen_session *in;
  const struct repro_trace *trace;
  struct smtp_client_config cfg;
  struct smtp_client_message msgs[2];
  const char *rcpts[GEN_CLI_RCPTS_MAX];
  char rcpt_names[GEN_CLI_RCPTS_MAX][CLI_RCPT_LEN];
  char user[GEN_CLI_CRED_MAX + 1], pass[GEN_CLI_CRED_MAX + 1];
  struct gen_buf contents[2]; /* contents repeated to a size (GEN_CLI_SIZE) */
  size_t nmsgs;
  struct smtp_client *c;
  /* Shadow server: the client's output decoded. */
  struct gen_buf out, content, expect;
  size_t cursor;
  enum cli_mode mode;
  size_t await_cmd; /* commands sent when the group ended */
  bool await_data;  /* the group ended with DATA */
  struct smtp_unstuffer unstuffer;
  uint64_t bdat_left;
  bool bdat_last;
  size_t commands, replies;
  int data_codes[CLI_DATA_MAX];
  size_t ndata_replies, ndata_cmds;
  size_t mail_replies;          /* replies to MAIL so far */
  size_t rcpt_ok[CLI_DATA_MAX]; /* 2xx RCPT replies per transaction (by MAIL reply) */
  bool mail_ok[CLI_DATA_MAX];   /* the transaction's MAIL got 2xx */
  size_t nmail, completed;
  bool quit_sent, tls;
  enum cli_auth auth;    /* the exchange begun by the AUTH command */
  size_t auth_334;       /* 334 replies to AUTH steps (each may ask for a response) */
  size_t auth_responses; /* response lines the client sent */
  unsigned char decoded[2 * GEN_CLI_CRED_MAX + 8]; /* one response, decoded */
  struct repro_check check;                        /* the first broken rule */
};

/* cli_setup - configuration and messages from the controls. */
static void cli_setup(struct cli_run *r) {
  unsigned opts = gen_session_ctl(r->in, GEN_CLI_OPTS);
  unsigned tls = gen_session_ctl(r->in, GEN_CLI_TLS);
  unsigned rc = gen_session_ctl(r->in, GEN_CLI_RCPTS);
  memset(&r->cfg, 0, sizeof r->cfg);
  r->cfg.ehlo = "client.fuzz.example";
  r->cfg.use_pipelining = opts & 1u;
  r->cfg.use_chunking = opts & 2u;
  if (opts & 4u) {
    gen_session_credential(r->in, 0, r->user);
    gen_session_credential(r->in, 1, r->pass);
    r->cfg.auth_user = r->user;
    r->cfg.auth_pass = r->pass;
    r->cfg.prefer_login = gen_session_ctl(r->in, GEN_CLI_MORE) & 1u;
  }
  r->cfg.starttls = (tls % 4) == 1   ? SMTP_CLIENT_TLS_OPPORTUNISTIC
                    : (tls % 4) == 2 ? SMTP_CLIENT_TLS_REQUIRE
                                     : SMTP_CLIENT_TLS_NONE;
  size_t nrcpts = gen_session_rcpt_count(r->in);
  for (size_t i = 0; i < nrcpts; i++) {
    gen_session_rcpt(i, r->rcpt_names[i], sizeof r->rcpt_names[i]);
    r->rcpts[i] = r->rcpt_names[i];
  }
  r->nmsgs = (tls & 4u) ? 2 : 1;
  for (size_t i = 0; i < r->nmsgs; i++) {
    struct smtp_client_message *m = &r->msgs[i];
    m->from = (rc & 4u) ? "" : (rc & 8u) ? "j\xc3\xb6rg@example.org" : "sender@example.org";
    m->rcpts = r->rcpts;
    m->nrcpts = i == 0 ? nrcpts : 1;
    m->content = gen_session_client_content(r->in, (unsigned)i, &r->contents[i], &m->content_len);
  }
}

/* cli_on_reply - every reply the client consumes. */
static void cli_on_reply(void *ctx, enum smtp_client_step step, const struct smtp_reply *reply) {
  struct cli_run *r = ctx;
  if (reply->code < 0 || reply->code > 999)
    repro_fail(&r->check, "reply handed to on_reply has code %d", reply->code);
  repro_note(r->trace, "client takes %d as the reply to %s", reply->code, smtp_step_name(step));
  if (step == SMTP_STEP_GREETING || step == SMTP_STEP_DONE)
    return;
  r->replies++;
  if (step == SMTP_STEP_AUTH && reply->code == 334)
    r->auth_334++;
  if (step == SMTP_STEP_MAIL && ++r->mail_replies <= CLI_DATA_MAX)
    r->mail_ok[r->mail_replies - 1] = reply->code / 100 == 2;
  if (step == SMTP_STEP_RCPT && reply->code / 100 == 2 && r->mail_replies > 0 &&
      r->mail_replies <= CLI_DATA_MAX)
    r->rcpt_ok[r->mail_replies - 1]++;
  if (step == SMTP_STEP_DATA && r->ndata_replies < CLI_DATA_MAX)
    r->data_codes[r->ndata_replies++] = reply->code;
}

/* cli_expected_content - what a server must receive: bare LF as CRLF, a final CRLF. */
static void cli_expected_content(struct cli_run *r, const struct smtp_client_message *m) {
  const char *s = m->content;
  gen_buf_truncate(&r->expect, 0);
  for (size_t i = 0; i < m->content_len; i++) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
      gen_buf_putc(&r->expect, '\r');
    gen_buf_putc(&r->expect, s[i]);
  }
  size_t n = r->expect.sb.len;
  if (n > 0 && !(n >= 2 && r->expect.sb.p[n - 2] == '\r' && r->expect.sb.p[n - 1] == '\n'))
    gen_buf_puts(&r->expect, "\r\n");
}

/* cli_current - the message the last MAIL began. */
static const struct smtp_client_message *cli_current(struct cli_run *r) {
  return r->nmail > 0 && r->nmail <= r->nmsgs ? &r->msgs[r->nmail - 1] : NULL;
}

/* cli_param_allowed - RFC 5321 4.1.1.11: parameters only of offered extensions. */
static bool cli_param_allowed(const struct smtp_param *p, unsigned offers) {
  static const struct {
    const char *kw;
    unsigned ext;
  } map[] = {{"SIZE", SMTP_EXT_SIZE},         {"BODY", SMTP_EXT_8BITMIME | SMTP_EXT_BINARYMIME},
             {"SMTPUTF8", SMTP_EXT_SMTPUTF8}, {"AUTH", SMTP_EXT_AUTH},
             {"RET", SMTP_EXT_DSN},           {"ENVID", SMTP_EXT_DSN},
             {"NOTIFY", SMTP_EXT_DSN},        {"ORCPT", SMTP_EXT_DSN}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strlen(map[i].kw) == p->key_len && strncasecmp(map[i].kw, p->key, p->key_len) == 0)
      return (offers & map[i].ext) != 0;
  return false;
}

/* cli_check_path - the path of MAIL/RCPT is one the configuration names. */
static void cli_check_path(struct cli_run *r, const struct smtp_command *cmd,
                           const struct smtp_client_message *m) {
  char got[600];
  if (smtp_path_format(&cmd->path, got, sizeof got) < 0) {
    repro_fail(&r->check, "client sent a path smtp_path_format cannot write");
    return;
  }
  if (cmd->verb == SMTP_VERB_MAIL) {
    char want[300];
    snprintf(want, sizeof want, "<%s>", m->from);
    if (strcmp(got, want) != 0)
      repro_fail(&r->check, "MAIL FROM:%s, configured sender is %s", got, want);
    return;
  }
  for (size_t i = 0; i < m->nrcpts; i++) {
    char want[300];
    snprintf(want, sizeof want, "<%s>", m->rcpts[i]);
    if (strcasecmp(got, want) == 0 ||
        (strcasecmp(m->rcpts[i], "postmaster") == 0 && strcasecmp(got, "<postmaster>") == 0))
      return;
  }
  repro_fail(&r->check, "RCPT TO:%s is not a configured recipient", got);
}

/* cli_auth_limit - response lines an exchange allows; the last is always "*". */
static size_t cli_auth_limit(enum cli_auth a) {
  return a == CLI_AUTH_LOGIN ? 3 : a == CLI_AUTH_PLAIN ? 2 : a == CLI_AUTH_PLAIN_IR ? 1 : 0;
}

/* cli_response_due - RFC 4954 4: the client owes one response line per 334, up to the
 * exchange's limit (after that a 334 makes it give up and QUIT). */
static bool cli_response_due(const struct cli_run *r) {
  size_t limit = cli_auth_limit(r->auth);
  return r->auth_responses < (r->auth_334 < limit ? r->auth_334 : limit);
}

/* cli_plain_message - RFC 4616 2: empty authzid, NUL, user name, NUL, password. */
static void cli_plain_message(struct cli_run *r) {
  gen_buf_truncate(&r->expect, 0);
  gen_buf_putc(&r->expect, '\0');
  gen_buf_puts(&r->expect, r->user);
  gen_buf_putc(&r->expect, '\0');
  gen_buf_puts(&r->expect, r->pass);
}

/* cli_check_b64 - b64 is the canonical base64 (RFC 4648 4) of what r->expect holds. */
static void cli_check_b64(struct cli_run *r, const char *what, const char *b64, size_t len) {
  ssize_t n = smtp_base64_decode(b64, len, r->decoded, sizeof r->decoded);
  size_t want = r->expect.sb.len;
  if (n < 0 || (size_t)n != want || (want > 0 && memcmp(r->decoded, r->expect.sb.p, want) != 0))
    repro_fail(&r->check, "%s \"%.*s\" is not base64 of the configured credentials", what,
               (int)(len > 40 ? 40 : len), b64);
}

/* cli_auth_command - RFC 4954 4: one exchange, PLAIN (RFC 4616) or LOGIN; PLAIN's initial
 * response must be used exactly when the command line stays within 512 octets. */
static void cli_auth_command(struct cli_run *r, const struct smtp_command *cmd) {
  bool login = cmd->auth_mech_len == 5 && strncasecmp(cmd->auth_mech, "LOGIN", 5) == 0;
  bool plain = cmd->auth_mech_len == 5 && strncasecmp(cmd->auth_mech, "PLAIN", 5) == 0;
  if (r->auth != CLI_AUTH_NONE) {
    repro_fail(&r->check, "a second AUTH in one session");
    return;
  }
  if (!login && !plain) {
    repro_fail(&r->check, "AUTH %.*s, a mechanism the client does not implement",
               (int)cmd->auth_mech_len, cmd->auth_mech);
    return;
  }
  if (login) {
    r->auth = CLI_AUTH_LOGIN;
    if (cmd->auth_initial != NULL)
      repro_fail(&r->check, "AUTH LOGIN with an initial response");
    return;
  }
  cli_plain_message(r);
  size_t line = sizeof "AUTH PLAIN " - 1 + (r->expect.sb.len + 2) / 3 * 4 + 2;
  if (cmd->auth_initial == NULL) {
    r->auth = CLI_AUTH_PLAIN;
    if (line <= SMTP_COMMAND_LINE_MAX)
      repro_fail(&r->check, "AUTH PLAIN without the initial response, which fits (%zu octets)",
                 line);
    return;
  }
  r->auth = CLI_AUTH_PLAIN_IR;
  cli_check_b64(r, "AUTH PLAIN initial response", cmd->auth_initial, cmd->auth_initial_len);
}

/* cli_sasl_response - a response line after a 334: the credentials in base64, in order,
 * then "*" to cancel (RFC 4954 4); nothing more until its reply. */
static void cli_sasl_response(struct cli_run *r, const char *line, size_t len) {
  size_t k = r->auth_responses++;
  r->mode = CLI_AWAIT;
  r->await_cmd = r->commands;
  r->await_data = false;
  if (k + 1 == cli_auth_limit(r->auth)) {
    if (len != 1 || line[0] != '*')
      repro_fail(&r->check, "response %zu to AUTH is \"%.*s\", not the \"*\" that cancels", k + 1,
                 (int)(len > 40 ? 40 : len), line);
    return;
  }
  if (r->auth == CLI_AUTH_PLAIN) {
    cli_plain_message(r);
  } else {
    gen_buf_truncate(&r->expect, 0);
    gen_buf_puts(&r->expect, k == 0 ? r->user : r->pass);
  }
  cli_check_b64(r, "SASL response", line, len);
}

/* cli_command - one command line the client sent. */
static void cli_command(struct cli_run *r, const char *line, size_t len) {
  struct smtp_command cmd;
  struct smtp_command_error err;
  unsigned offers = smtp_client_offers(r->c);
  r->commands++;
  if (r->quit_sent) {
    repro_fail(&r->check, "client sent \"%.*s\" after QUIT", (int)(len > 60 ? 60 : len), line);
    return;
  }
  if (cli_response_due(r)) {
    cli_sasl_response(r, line, len);
    return;
  }
  if (smtp_command_parse(line, len, SMTP_EXT_ALL, &cmd, &err) != 0) {
    repro_fail(&r->check, "client sent \"%.*s\", which is not a command (%d %s)",
               (int)(len > 60 ? 60 : len), line, err.code, err.text ? err.text : "");
    return;
  }
  if (len + 2 > SMTP_COMMAND_LINE_MAX)
    repro_fail(&r->check, "client sent a %zu-octet %s line (RFC 5321 4.5.3.1.4: 512 with CRLF)",
               len + 2, smtp_verb_name(cmd.verb));
  const struct smtp_client_message *m = cli_current(r);
  switch (cmd.verb) {
  case SMTP_VERB_EHLO:
  case SMTP_VERB_HELO:
    if (cmd.arg_len != strlen(r->cfg.ehlo) || memcmp(cmd.arg, r->cfg.ehlo, cmd.arg_len) != 0)
      repro_fail(&r->check, "EHLO/HELO names \"%.*s\", not the configured name", (int)cmd.arg_len,
                 cmd.arg);
    break;
  case SMTP_VERB_STARTTLS:
    if (r->cfg.starttls == SMTP_CLIENT_TLS_NONE || r->tls || !(offers & SMTP_EXT_STARTTLS))
      repro_fail(&r->check, "STARTTLS sent though %s",
                 r->tls ? "TLS is up" : "not configured or offered");
    break;
  case SMTP_VERB_AUTH:
    if (r->cfg.auth_user == NULL || !(offers & SMTP_EXT_AUTH))
      repro_fail(&r->check, "AUTH sent though not configured or not offered (RFC 4954 4)");
    cli_auth_command(r, &cmd);
    break;
  case SMTP_VERB_MAIL:
    r->nmail++;
    m = cli_current(r);
    if (m == NULL) {
      repro_fail(&r->check, "MAIL number %zu for %zu message(s)", r->nmail, r->nmsgs);
      break;
    }
    if (r->cfg.starttls == SMTP_CLIENT_TLS_REQUIRE && !r->tls)
      repro_fail(&r->check, "MAIL sent in clear though TLS is required");
    cli_check_path(r, &cmd, m);
    if (cmd.path.is_utf8 && !((offers & SMTP_EXT_SMTPUTF8) && cmd.smtputf8))
      repro_fail(&r->check, "UTF-8 sender without SMTPUTF8 offered and requested (RFC 6531 3.4)");
    /* fall through */
  case SMTP_VERB_RCPT:
    if (m == NULL) {
      repro_fail(&r->check, "RCPT before any MAIL");
      break;
    }
    if (cmd.verb == SMTP_VERB_RCPT)
      cli_check_path(r, &cmd, m);
    for (size_t i = 0; i < cmd.nparams; i++)
      if (!cli_param_allowed(&cmd.params[i], offers))
        repro_fail(&r->check,
                   "parameter %.*s of an extension the server did not offer (RFC 5321 4.1.1.11)",
                   (int)cmd.params[i].key_len, cmd.params[i].key);
    break;
  case SMTP_VERB_DATA:
    r->ndata_cmds++;
    break;
  case SMTP_VERB_BDAT:
    if (!r->cfg.use_chunking || !(offers & SMTP_EXT_CHUNKING))
      repro_fail(&r->check, "BDAT sent though CHUNKING not configured or offered (RFC 3030)");
    r->mode = CLI_BDAT;
    r->bdat_left = cmd.bdat_size;
    r->bdat_last = cmd.bdat_last;
    break;
  case SMTP_VERB_QUIT:
    r->quit_sent = true;
    break;
  case SMTP_VERB_RSET:
  case SMTP_VERB_NOOP:
    break;
  default:
    repro_fail(&r->check, "client sent %s, which no step of its session needs",
               smtp_verb_name(cmd.verb));
  }
  /* RFC 2920 3.1, RFC 3207 4: these end a pipeline group: wait for the reply. */
  switch (cmd.verb) {
  case SMTP_VERB_EHLO:
  case SMTP_VERB_HELO:
  case SMTP_VERB_DATA:
  case SMTP_VERB_QUIT:
  case SMTP_VERB_NOOP:
  case SMTP_VERB_STARTTLS:
  case SMTP_VERB_AUTH:
    r->mode = CLI_AWAIT;
    r->await_cmd = r->commands;
    r->await_data = cmd.verb == SMTP_VERB_DATA;
    break;
  default:
    break;
  }
}

/* cli_content_done - the whole content of a message went out: compare it. */
static void cli_content_done(struct cli_run *r, const char *kind, bool raw) {
  const struct smtp_client_message *m = cli_current(r);
  if (m == NULL)
    return;
  /* RFC 2920 3.1: a 354 after MAIL or every RCPT failed is ended with a lone "." (no
   * content), as a pipelining client must. */
  size_t i = r->nmail - 1;
  bool failed = r->nmail > 0 && i < CLI_DATA_MAX && (!r->mail_ok[i] || r->rcpt_ok[i] == 0);
  if (!raw && failed && r->content.sb.len == 0) {
    repro_note(r->trace,
               "354 though MAIL or every RCPT failed: the client ends DATA with no content");
    return;
  }
  if (raw) {
    gen_buf_truncate(&r->expect, 0);
    gen_buf_put(&r->expect, m->content, m->content_len);
  } else {
    cli_expected_content(r, m);
  }
  if (r->content.sb.len != r->expect.sb.len ||
      (r->expect.sb.len > 0 && memcmp(r->content.sb.p, r->expect.sb.p, r->expect.sb.len) != 0))
    repro_fail(&r->check, "%s content differs from the message (%zu octets sent, %zu expected)",
               kind, r->content.sb.len, r->expect.sb.len);
  gen_buf_truncate(&r->content, 0);
  r->completed++;
}

/* cli_decode - walk the client's new output as a server would. */
static void cli_decode(struct cli_run *r) {
  while (!r->check.failed && r->cursor < r->out.sb.len) {
    const char *p = r->out.sb.p + r->cursor;
    size_t left = r->out.sb.len - r->cursor;
    if (r->mode == CLI_AWAIT) {
      if (r->replies < r->await_cmd) {
        repro_fail(&r->check,
                   "client sent \"%.20s\" before the reply to a command that ends a pipeline "
                   "group (RFC 2920 3.1)",
                   p);
        return;
      }
      r->mode = CLI_CMD;
      if (r->await_data) {
        size_t i = r->ndata_cmds - 1;
        if (i < r->ndata_replies && r->data_codes[i] == 354) {
          r->mode = CLI_CONTENT;
          memset(&r->unstuffer, 0, sizeof r->unstuffer);
          gen_buf_truncate(&r->content, 0);
        }
      }
      continue;
    }
    if (r->mode == CLI_CONTENT) {
      char *tmp = malloc(left + 2);
      size_t got = 0;
      bool done = false;
      if (tmp == NULL)
        return;
      size_t used = smtp_unstuff(&r->unstuffer, p, left, tmp, &got, &done);
      gen_buf_put(&r->content, tmp, got);
      free(tmp);
      r->cursor += used;
      if (done) {
        r->commands++; /* the end mark is answered like a command */
        cli_content_done(r, "DATA", false);
        r->mode = CLI_CMD;
      }
      continue;
    }
    if (r->mode == CLI_BDAT) {
      size_t take = left < r->bdat_left ? left : (size_t)r->bdat_left;
      gen_buf_put(&r->content, p, take);
      r->cursor += take;
      r->bdat_left -= take;
      if (r->bdat_left == 0) {
        r->mode = CLI_CMD;
        if (r->bdat_last)
          cli_content_done(r, "BDAT", true);
      }
      continue;
    }
    const char *lf = NULL;
    for (size_t i = 1; i < left && lf == NULL; i++)
      if (p[i] == '\n' && p[i - 1] == '\r')
        lf = p + i;
    if (lf == NULL)
      return; /* a partial command: wait for the rest */
    size_t len = (size_t)(lf - p) - 1;
    if (memchr(p, '\n', len) != NULL || memchr(p, '\r', len) != NULL)
      repro_fail(&r->check, "client command line with a bare CR or LF (RFC 5321 2.3.8)");
    r->cursor += len + 2;
    cli_command(r, p, len);
  }
}

/* cli_drain - take the client's output (one take, or all of it in pieces as a socket
 * taking part of each write would), trace it, decode it, check pipelining. */
static void cli_drain(struct cli_run *r) {
  static const size_t pieces[] = {0, 1000, 333, 64};
  size_t piece = pieces[(gen_session_ctl(r->in, GEN_CLI_MORE) >> 1) & 3u];
  size_t len;
  const char *p = smtp_client_output(r->c, &len);
  while (len > 0) {
    if (piece > 0 && len > piece)
      len = piece;
    repro_emit(r->trace, REPRO_EV_CLIENT, p, len);
    gen_buf_put(&r->out, p, len);
    smtp_client_output_done(r->c, len);
    if (piece == 0)
      break;
    p = smtp_client_output(r->c, &len);
  }
  cli_decode(r);
  bool pipelining = r->cfg.use_pipelining && (smtp_client_offers(r->c) & SMTP_EXT_PIPELINING);
  if (!r->check.failed && !pipelining && r->commands > r->replies + 1)
    repro_fail(&r->check, "%zu commands outstanding without PIPELINING (RFC 2920)",
               r->commands - r->replies);
}

/* cli_check_results - per-message outcomes once the session is over. */
static void cli_check_results(struct cli_run *r) {
  size_t delivered = 0;
  for (size_t i = 0; i < r->nmsgs && !r->check.failed; i++) {
    const struct smtp_client_result *res = smtp_client_result(r->c, i);
    if (res == NULL) {
      repro_fail(&r->check, "no result for message %zu", i);
      break;
    }
    if (res->rcpts_accepted > r->msgs[i].nrcpts)
      repro_fail(&r->check, "message %zu: %zu recipients accepted of %zu", i, res->rcpts_accepted,
                 r->msgs[i].nrcpts);
    if (res->failed_step == SMTP_STEP_DONE) {
      delivered++;
      if (res->final_code < 200 || res->final_code > 299 || res->rcpts_accepted == 0)
        repro_fail(&r->check, "message %zu delivered with final code %d and %zu recipients", i,
                   res->final_code, res->rcpts_accepted);
    } else if (res->final_code != 0 && (res->final_code < 200 || res->final_code > 599)) {
      /* RFC 5321 4.2: a reply code's first digit is 2-5; anything else is not a reply. */
      repro_fail(&r->check,
                 "message %zu failed with code %d, not an SMTP reply code (RFC 5321 4.2)", i,
                 res->final_code);
    }
  }
  if (!r->check.failed && delivered > r->completed)
    repro_fail(&r->check, "%zu message(s) reported delivered, %zu content(s) fully sent", delivered,
               r->completed);
  if (!r->check.failed && smtp_client_state(r->c) == SMTP_CLIENT_FAILED) {
    const char *e = smtp_client_error(r->c);
    if (e == NULL || e[0] == '\0')
      repro_fail(&r->check, "FAILED without an error message");
  }
}

/* cli_handshake_failed - the connection dropped in the TLS handshake: the session fails
 * at STARTTLS, every message with it. */
static void cli_handshake_failed(struct cli_run *r) {
  smtp_client_eof(r->c);
  if (smtp_client_state(r->c) != SMTP_CLIENT_FAILED) {
    repro_fail(&r->check, "not FAILED after the connection dropped in the TLS handshake");
    return;
  }
  for (size_t i = 0; i < r->nmsgs; i++) {
    const struct smtp_client_result *res = smtp_client_result(r->c, i);
    if (res != NULL && res->failed_step != SMTP_STEP_STARTTLS)
      repro_fail(&r->check, "message %zu fails at %s, not STARTTLS, after a failed handshake", i,
                 smtp_step_name(res->failed_step));
  }
}

/* cli_feed_all - the server's stream in the input's reads. */
static void cli_feed_all(struct cli_run *r) {
  const char *st = r->in->stream;
  size_t len = r->in->stream_len, pos = 0;
  bool stop = false;
  for (size_t k = 0; pos < len && !r->check.failed && !stop; k++) {
    enum smtp_client_state state = smtp_client_state(r->c);
    if (state == SMTP_CLIENT_DONE || state == SMTP_CLIENT_FAILED)
      break;
    size_t end = pos + gen_session_read_len(r->in, GEN_CLI_READS, k, st + pos, len - pos);
    repro_emit(r->trace, REPRO_EV_SERVER, st + pos, end - pos);
    while (pos < end && !r->check.failed) {
      size_t n = smtp_client_feed(r->c, st + pos, end - pos);
      if (n > end - pos) {
        repro_fail(&r->check, "feed consumed %zu of %zu octets", n, end - pos);
        return;
      }
      pos += n;
      cli_drain(r);
      state = smtp_client_state(r->c);
      if (state == SMTP_CLIENT_STARTTLS) {
        repro_note(r->trace, "STARTTLS: discarding %zu unread octets, TLS handshake", end - pos);
        pos = end;
        if (gen_session_ctl(r->in, GEN_CLI_OPTS) & 8u) {
          repro_note(r->trace, "TLS handshake fails: connection dropped");
          cli_handshake_failed(r);
          stop = true;
          break;
        }
        smtp_client_tls_started(r->c);
        r->tls = true;
        cli_drain(r);
        break;
      }
      if (state == SMTP_CLIENT_DONE || state == SMTP_CLIENT_FAILED) {
        stop = true;
        break;
      }
      if (n == 0) {
        repro_fail(&r->check, "client RUNNING with empty output consumed nothing");
        return;
      }
    }
  }
}

/* repro_client_session - see repro_session.h. */
int repro_client_session(const uint8_t *data, size_t size, const struct repro_trace *trace,
                         char *why, size_t whylen) {
  struct gen_session in;
  struct cli_run *r = calloc(1, sizeof *r);
  if (whylen > 0)
    why[0] = '\0';
  if (r == NULL) {
    snprintf(why, whylen, "out of memory");
    return -1;
  }
  gen_session_decode(data, size, &in);
  r->in = &in;
  r->trace = trace;
  r->check = (struct repro_check){why, whylen, false};
  cli_setup(r);
  r->c = smtp_client_new(&r->cfg, r->msgs, r->nmsgs, cli_on_reply, r);
  if (r->c == NULL) {
    repro_fail(&r->check, "smtp_client_new refused a valid configuration");
    goto out;
  }
  cli_drain(r);
  cli_feed_all(r);
  if (!r->check.failed && (gen_session_ctl(&in, GEN_CLI_TLS) & 8u) &&
      smtp_client_state(r->c) == SMTP_CLIENT_RUNNING) {
    repro_note(r->trace, "server closes the connection");
    smtp_client_eof(r->c);
    cli_drain(r);
    enum smtp_client_state st = smtp_client_state(r->c);
    if (st != SMTP_CLIENT_DONE && st != SMTP_CLIENT_FAILED)
      repro_fail(&r->check, "still running after the server closed");
  }
  enum smtp_client_state st = smtp_client_state(r->c);
  if (!r->check.failed && (st == SMTP_CLIENT_DONE || st == SMTP_CLIENT_FAILED)) {
    size_t before = r->out.sb.len;
    size_t n = smtp_client_feed(r->c, "250 OK\r\n", 8);
    cli_drain(r);
    if (n != 0 || r->out.sb.len != before)
      repro_fail(&r->check, "client read %zu / wrote %zu octets after the session ended", n,
                 r->out.sb.len - before);
    cli_check_results(r);
  }
out:
  if (r->c != NULL)
    smtp_client_free(r->c);
  int rc = r->check.failed ? -1 : 0;
  gen_buf_free(&r->out);
  gen_buf_free(&r->content);
  gen_buf_free(&r->expect);
  gen_buf_free(&r->contents[0]);
  gen_buf_free(&r->contents[1]);
  free(r);
  return rc;
}
