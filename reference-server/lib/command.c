/* command.c - RFC 5321 4.1 command lines: verb, arguments, and the reply for a refusal.
 *
 * Decisions (RFC 5321 leaves them open or we chose to be lenient; each is also noted
 * where it is enforced):
 * - Trailing SP / HT before CRLF is ignored (4.1.1: receivers SHOULD tolerate it).
 * - "MAIL FROM:" and "RCPT TO:" may be followed by ONE SP before the path. The ABNF has
 *   none, but widespread clients send one and Postfix accepts it; two SPs are refused.
 * - HELO accepts an address literal as EHLO does (helo = "HELO" SP Domain in the ABNF),
 *   since 4.1.4 tells clients without a name to send one.
 * - HELO/EHLO domains are checked as RFC 5321 Domain / address-literal, ASCII only, and
 *   nothing may follow them.
 * - RCPT TO accepts UTF-8 paths whenever SMTPUTF8 is in extensions; whether the current
 *   transaction said SMTPUTF8 on MAIL is session state, so the server engine must refuse
 *   a UTF-8 recipient (path.is_utf8) in a non-SMTPUTF8 transaction with 553 5.6.7.
 * - AUTH mechanism names are matched without regard to case (RFC 4422 names are upper
 *   case; some clients send lower case).
 * - VRFY, EXPN, HELP and NOOP arguments are not parsed: the engine decides about them. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "command_private.h"
#include "parse_util.h"

/* The replies for refused commands (RFC 5321 4.2.4 and 4.3.2, RFC 3463 / RFC 5248
 * enhanced codes): the one table every refusal comes from. */
static const struct smtp_command_error cmd_errors[CMD_ERR_COUNT] = {
    [CMD_ERR_UNKNOWN_VERB] = {500, "5.5.2", "Syntax error, command unrecognized"},
    [CMD_ERR_CONTROL] = {501, "5.5.2", "Syntax error, control character in command"},
    [CMD_ERR_NO_ARGS_ALLOWED] = {501, "5.5.4", "Syntax error, no parameters allowed"},
    [CMD_ERR_ARG_REQUIRED] = {501, "5.5.4", "Syntax error, argument required"},
    [CMD_ERR_BAD_DOMAIN] = {501, "5.5.4", "Syntax error, invalid domain name or address literal"},
    [CMD_ERR_MAIL_SYNTAX] = {501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]"},
    [CMD_ERR_RCPT_SYNTAX] = {501, "5.5.4", "Syntax: RCPT TO:<address> [parameters]"},
    [CMD_ERR_SENDER_SYNTAX] = {501, "5.1.7", "Bad sender address syntax"},
    [CMD_ERR_SENDER_TOO_LONG] = {501, "5.1.7", "Path too long"},
    [CMD_ERR_RCPT_ADDR_SYNTAX] = {501, "5.1.3", "Bad destination mailbox address syntax"},
    [CMD_ERR_RCPT_TOO_LONG] = {501, "5.1.3", "Path too long"},
    [CMD_ERR_UTF8_ADDRESS] = {553, "5.6.7", "Non-ASCII address requires SMTPUTF8"},
    [CMD_ERR_PARAM_SYNTAX] = {501, "5.5.4", "Syntax error in parameters"},
    [CMD_ERR_PARAM_DUPLICATE] = {501, "5.5.4", "Duplicate parameter"},
    [CMD_ERR_PARAM_TOO_MANY] = {501, "5.5.4", "Too many parameters"},
    [CMD_ERR_PARAM_UNKNOWN] = {555, "5.5.4", "Parameter not recognized or not implemented"},
    [CMD_ERR_PARAM_VALUE] = {501, "5.5.4", "Invalid parameter value"},
    [CMD_ERR_AUTH_SYNTAX] = {501, "5.5.2", "Syntax: AUTH mechanism [initial-response]"},
    [CMD_ERR_BDAT_SYNTAX] = {501, "5.5.4", "Syntax: BDAT chunk-size [LAST]"},
};

/* cmd_error_fill - copy one row of the table. */
void cmd_error_fill(enum cmd_err e, struct smtp_command_error *err) {
  *err = cmd_errors[e];
}

/* What may follow a verb. */
enum cmd_args {
  ARGS_NONE,     /* DATA RSET QUIT STARTTLS: 4.1.1.4, 4.1.1.5, 4.1.1.10, RFC 3207 4 */
  ARGS_OPTIONAL, /* NOOP HELP: 4.1.1.9, 4.1.1.8 */
  ARGS_REQUIRED, /* VRFY EXPN: 4.1.1.6, 4.1.1.7 */
  ARGS_PARSED,   /* HELO EHLO MAIL RCPT AUTH BDAT: a parser of their own */
};

/* One verb: its name and what may follow it. */
struct verb_def {
  const char *name;
  enum cmd_args args;
};

static const struct verb_def verb_defs[SMTP_VERB_COUNT] = {
    [SMTP_VERB_UNKNOWN] = {"", ARGS_NONE},          [SMTP_VERB_HELO] = {"HELO", ARGS_PARSED},
    [SMTP_VERB_EHLO] = {"EHLO", ARGS_PARSED},       [SMTP_VERB_MAIL] = {"MAIL", ARGS_PARSED},
    [SMTP_VERB_RCPT] = {"RCPT", ARGS_PARSED},       [SMTP_VERB_DATA] = {"DATA", ARGS_NONE},
    [SMTP_VERB_RSET] = {"RSET", ARGS_NONE},         [SMTP_VERB_VRFY] = {"VRFY", ARGS_REQUIRED},
    [SMTP_VERB_EXPN] = {"EXPN", ARGS_REQUIRED},     [SMTP_VERB_HELP] = {"HELP", ARGS_OPTIONAL},
    [SMTP_VERB_NOOP] = {"NOOP", ARGS_OPTIONAL},     [SMTP_VERB_QUIT] = {"QUIT", ARGS_NONE},
    [SMTP_VERB_STARTTLS] = {"STARTTLS", ARGS_NONE}, [SMTP_VERB_AUTH] = {"AUTH", ARGS_PARSED},
    [SMTP_VERB_BDAT] = {"BDAT", ARGS_PARSED},
};

/* smtp_verb_name - the upper-case name of a verb. */
const char *smtp_verb_name(enum smtp_verb verb) {
  if ((unsigned)verb >= SMTP_VERB_COUNT)
    return "";
  return verb_defs[verb].name;
}

/* cmd_word4 - four octets of v with ASCII letters folded to upper case by clearing bit
 * 0x20: equal to a word of capital letters exactly when v spells it in any case. */
static uint32_t cmd_word4(const char *v) {
  uint32_t w;
  memcpy(&w, v, 4);
  return w & 0xdfdfdfdfu;
}

/* cmd_verb_lookup - RFC 5321 2.4: verbs are case-insensitive. Every verb is four
 * letters but STARTTLS, so one folded word compare per verb replaces a string compare. */
static enum smtp_verb cmd_verb_lookup(const char *v, size_t n) {
  if (n == 8) {
    if (cmd_word4(v) == cmd_word4("STAR") && cmd_word4(v + 4) == cmd_word4("TTLS"))
      return SMTP_VERB_STARTTLS;
    return SMTP_VERB_UNKNOWN;
  }
  if (n != 4)
    return SMTP_VERB_UNKNOWN;
  uint32_t w = cmd_word4(v);
  for (int i = 1; i < SMTP_VERB_COUNT; i++)
    if (i != SMTP_VERB_STARTTLS && w == cmd_word4(verb_defs[i].name))
      return (enum smtp_verb)i;
  return SMTP_VERB_UNKNOWN;
}

/* cmd_hello - RFC 5321 4.1.1.1: "EHLO" SP ( Domain / address-literal ). */
static int cmd_hello(const char *a, size_t n, struct smtp_command *out, enum cmd_err *e) {
  enum smtp_domain_kind kind;
  enum smtp_addr_error aerr;
  if (a == NULL) {
    *e = CMD_ERR_ARG_REQUIRED;
    return -1;
  }
  ssize_t used = smtp_domain_parse(a, n, 0, &kind, &aerr);
  if (used < 0 || (size_t)used != n) {
    *e = CMD_ERR_BAD_DOMAIN;
    return -1;
  }
  (void)out;
  return 0;
}

/* cmd_path_error - the refusal for a path that did not parse (RFC 5321 4.5.3.1.10 says
 * "501 Path too long"; RFC 6531 3.5 wants X.6.7 for a refused non-ASCII address). */
static enum cmd_err cmd_path_error(enum smtp_addr_error aerr, bool sender) {
  switch (aerr) {
  case SMTP_ADDR_UTF8_NOT_ALLOWED:
    return CMD_ERR_UTF8_ADDRESS;
  case SMTP_ADDR_LOCAL_TOO_LONG:
  case SMTP_ADDR_DOMAIN_TOO_LONG:
  case SMTP_ADDR_PATH_TOO_LONG:
    return sender ? CMD_ERR_SENDER_TOO_LONG : CMD_ERR_RCPT_TOO_LONG;
  default:
    return sender ? CMD_ERR_SENDER_SYNTAX : CMD_ERR_RCPT_ADDR_SYNTAX;
  }
}

/* cmd_mail_rcpt - RFC 5321 4.1.1.2 / 4.1.1.3: "FROM:" Reverse-path [SP Mail-parameters]
 * and "TO:" ( "<Postmaster>" / Forward-path ) [SP Rcpt-parameters]. */
static int cmd_mail_rcpt(const char *a, size_t n, unsigned extensions, struct smtp_command *out,
                         enum cmd_err *e) {
  bool mail = out->verb == SMTP_VERB_MAIL;
  const char *word = mail ? "FROM:" : "TO:";
  size_t wl = mail ? 5 : 3;
  unsigned options = mail ? SMTP_ADDR_ALLOW_NULL : SMTP_ADDR_ALLOW_POSTMASTER;
  enum smtp_addr_error aerr;

  *e = mail ? CMD_ERR_MAIL_SYNTAX : CMD_ERR_RCPT_SYNTAX;
  /* RFC 5321 2.4: "FROM:" and "TO:" are case-insensitive. */
  if (a == NULL || n < wl || !pu_ieqn(a, word, wl))
    return -1;
  size_t i = wl;
  /* Our one leniency (see the top of the file): a single SP after the colon. */
  if (i < n && a[i] == ' ')
    i++;
  if (i >= n || a[i] != '<')
    return -1;
  if (extensions & SMTP_EXT_SMTPUTF8)
    options |= SMTP_ADDR_ALLOW_UTF8;
  ssize_t used = smtp_path_parse(a + i, n - i, options, &out->path, &aerr);
  if (used < 0) {
    *e = cmd_path_error(aerr, mail);
    return -1;
  }
  i += (size_t)used;
  if (i < n) {
    /* RFC 5321 4.1.2: the path and the parameters are separated by one SP. */
    if (a[i] != ' ') {
      *e = mail ? CMD_ERR_SENDER_SYNTAX : CMD_ERR_RCPT_ADDR_SYNTAX;
      return -1;
    }
    if (cmd_params_parse(a + i + 1, n - i - 1, extensions, out, e) != 0)
      return -1;
  }
  /* RFC 6531 3.4: a non-ASCII reverse-path needs the SMTPUTF8 parameter. */
  if (mail && out->path.is_utf8 && !out->smtputf8) {
    *e = CMD_ERR_UTF8_ADDRESS;
    return -1;
  }
  return 0;
}

/* cmd_auth - RFC 4954 4: "AUTH" SP sasl-mech [SP initial-response], where
 * sasl-mech = 1*20(ALPHA / DIGIT / "-" / "_") (RFC 4422 3.1) and initial-response is
 * base64 or "=" for an empty one. The base64 is decoded (and checked) by the engine. */
static int cmd_auth(const char *a, size_t n, struct smtp_command *out, enum cmd_err *e) {
  *e = CMD_ERR_AUTH_SYNTAX;
  if (a == NULL)
    return -1;
  size_t m = 0;
  while (m < n && a[m] != ' ') {
    unsigned char c = (unsigned char)a[m];
    if (!pu_alpha(c) && !pu_digit(c) && c != '-' && c != '_')
      return -1;
    m++;
  }
  if (m == 0 || m > 20)
    return -1;
  out->auth_mech = a;
  out->auth_mech_len = m;
  if (m == n)
    return 0;
  const char *r = a + m + 1;
  size_t rl = n - m - 1;
  if (rl == 0)
    return -1;
  for (size_t i = 0; i < rl; i++) {
    unsigned char c = (unsigned char)r[i];
    if (!pu_alpha(c) && !pu_digit(c) && c != '+' && c != '/' && c != '=')
      return -1;
  }
  out->auth_initial = r;
  out->auth_initial_len = (rl == 1 && r[0] == '=') ? 0 : rl;
  return 0;
}

/* cmd_bdat - RFC 3030 2: "BDAT" SP chunk-size [ SP end-marker ], chunk-size = 1*DIGIT,
 * end-marker = "LAST". A size that does not fit 64 bits is refused: the engine could
 * not count the octets it would have to read. */
static int cmd_bdat(const char *a, size_t n, struct smtp_command *out, enum cmd_err *e) {
  uint64_t v = 0;
  size_t i = 0;
  *e = CMD_ERR_BDAT_SYNTAX;
  if (a == NULL)
    return -1;
  for (; i < n && a[i] != ' '; i++) {
    if (!pu_digit((unsigned char)a[i]))
      return -1;
    unsigned d = (unsigned)(a[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  if (i == 0)
    return -1;
  if (i < n) {
    if (!pu_ieq(a + i + 1, n - i - 1, "LAST"))
      return -1;
    out->bdat_last = true;
  }
  out->bdat_size = v;
  return 0;
}

/* cmd_args - check what follows the verb, per its row in verb_defs. a is NULL when the
 * line holds the verb alone. */
static int cmd_args(const char *a, size_t n, unsigned extensions, struct smtp_command *out,
                    enum cmd_err *e) {
  switch (verb_defs[out->verb].args) {
  case ARGS_NONE:
    *e = CMD_ERR_NO_ARGS_ALLOWED;
    return a == NULL ? 0 : -1;
  case ARGS_OPTIONAL:
    return 0;
  case ARGS_REQUIRED:
    *e = CMD_ERR_ARG_REQUIRED;
    return a == NULL ? -1 : 0;
  case ARGS_PARSED:
    break;
  }
  switch (out->verb) {
  case SMTP_VERB_HELO:
  case SMTP_VERB_EHLO:
    return cmd_hello(a, n, out, e);
  case SMTP_VERB_MAIL:
  case SMTP_VERB_RCPT:
    return cmd_mail_rcpt(a, n, extensions, out, e);
  case SMTP_VERB_AUTH:
    return cmd_auth(a, n, out, e);
  case SMTP_VERB_BDAT:
    return cmd_bdat(a, n, out, e);
  default:
    return 0;
  }
}

/* cmd_clear - zero the whole command in 64-octet stores (an inline "rep stos" of the
 * ~700-octet struct was a fifth of the parse time). */
static void cmd_clear(struct smtp_command *out) {
  static const uint64_t zero[8];
  unsigned char *p = (unsigned char *)out;
  size_t i = 0;
  for (; i + sizeof zero <= sizeof *out; i += sizeof zero)
    memcpy(p + i, zero, sizeof zero);
  memcpy(p + i, zero, sizeof *out - i);
}

/* cmd_has_control - any octet below 0x20 or 0x7f (DEL) in s[0..n), eight octets at a
 * time (exact yes/no tests on each word, loaded with memcpy, never past s[n)). */
static bool cmd_has_control(const char *s, size_t n) {
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  size_t i = 0;
  for (; n - i >= 8; i += 8) {
    uint64_t w, del;
    memcpy(&w, s + i, 8);
    del = w ^ (ones * 0x7f);
    /* (w - 0x20..) & ~w & 0x80..: some octet < 0x20; the same on w ^ 0x7f..: a DEL. */
    if (((w - ones * 0x20) & ~w & highs) | ((del - ones) & ~del & highs))
      return true;
  }
  for (; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f)
      return true;
  }
  return false;
}

/* smtp_command_parse - verb, one SP, arguments; every refusal from cmd_errors. */
int smtp_command_parse(const char *line, size_t len, unsigned extensions, struct smtp_command *out,
                       struct smtp_command_error *err) {
  enum cmd_err e = CMD_ERR_UNKNOWN_VERB;
  size_t n = len;

  cmd_clear(out);
  /* RFC 5321 4.1.1: tolerate trailing white space before CRLF. */
  while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
    n--;
  /* RFC 5321 4.1.2 / 2.3.8: no control octet (NUL, bare CR or LF, ...) in a command. */
  if (cmd_has_control(line, n)) {
    e = CMD_ERR_CONTROL;
    goto fail;
  }
  const char *sp = memchr(line, ' ', n);
  size_t vl = sp != NULL ? (size_t)(sp - line) : n;
  out->verb = cmd_verb_lookup(line, vl);
  /* RFC 5321 4.2.4: an unrecognized command is 500. */
  if (out->verb == SMTP_VERB_UNKNOWN) {
    e = CMD_ERR_UNKNOWN_VERB;
    goto fail;
  }
  if (sp != NULL) {
    out->arg = sp + 1;
    out->arg_len = n - vl - 1;
  }
  if (cmd_args(out->arg, out->arg_len, extensions, out, &e) == 0)
    return 0;
fail : {
  enum smtp_verb verb = out->verb;
  cmd_clear(out);
  out->verb = verb; /* the engine may still want to know what was refused */
}
  cmd_error_fill(e, err);
  return -1;
}
