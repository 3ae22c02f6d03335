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
#include <stddef.h>
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

/* The little-endian word of four capitals, as pu_fold32 gives it for their spelling. */
#define CMD_WORD(a, b, c, d)                                                                       \
  ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
/* A perfect hash of the folded words of the thirteen four-letter verbs into 16 slots (the
 * multiplier was searched for; -Woverride-init in verb_slots catches a collision). */
#define CMD_VERB_HASH(w) ((uint32_t)((uint32_t)(w)*0x1d93fu) >> 28)

/* One slot of the verb hash: the folded word and its verb (SMTP_VERB_UNKNOWN if empty). */
struct verb_slot {
  uint32_t word;
  enum smtp_verb verb;
};

/* One row of verb_slots for the verb spelt a b c d. */
#define CMD_SLOT(a, b, c, d, v) [CMD_VERB_HASH(CMD_WORD(a, b, c, d))] = {CMD_WORD(a, b, c, d), v}

static const struct verb_slot verb_slots[16] = {
    CMD_SLOT('H', 'E', 'L', 'O', SMTP_VERB_HELO), CMD_SLOT('E', 'H', 'L', 'O', SMTP_VERB_EHLO),
    CMD_SLOT('M', 'A', 'I', 'L', SMTP_VERB_MAIL), CMD_SLOT('R', 'C', 'P', 'T', SMTP_VERB_RCPT),
    CMD_SLOT('D', 'A', 'T', 'A', SMTP_VERB_DATA), CMD_SLOT('R', 'S', 'E', 'T', SMTP_VERB_RSET),
    CMD_SLOT('V', 'R', 'F', 'Y', SMTP_VERB_VRFY), CMD_SLOT('E', 'X', 'P', 'N', SMTP_VERB_EXPN),
    CMD_SLOT('H', 'E', 'L', 'P', SMTP_VERB_HELP), CMD_SLOT('N', 'O', 'O', 'P', SMTP_VERB_NOOP),
    CMD_SLOT('Q', 'U', 'I', 'T', SMTP_VERB_QUIT), CMD_SLOT('A', 'U', 'T', 'H', SMTP_VERB_AUTH),
    CMD_SLOT('B', 'D', 'A', 'T', SMTP_VERB_BDAT),
};

/* cmd_verb_lookup - RFC 5321 2.4: verbs are case-insensitive. Every verb is four
 * letters but STARTTLS, so one folded word, one hash and one compare name a verb (exact
 * whatever v holds, the verbs being all letters: see pu_fold32). */
static enum smtp_verb cmd_verb_lookup(const char *v, size_t n) {
  if (n == 4) {
    uint32_t w = pu_fold32(v);
    const struct verb_slot *slot = &verb_slots[CMD_VERB_HASH(w)];
    return slot->word == w ? slot->verb : SMTP_VERB_UNKNOWN;
  }
  if (n == 8 && pu_fold32(v) == CMD_WORD('S', 'T', 'A', 'R') &&
      pu_fold32(v + 4) == CMD_WORD('T', 'T', 'L', 'S'))
    return SMTP_VERB_STARTTLS;
  return SMTP_VERB_UNKNOWN;
}

/* cmd_control_word - does the word w (octets loaded in any order) hold an octet below
 * 0x20 or a DEL? (w - 0x20..) & ~w & 0x80.. is non-zero exactly when some octet is below
 * 0x20; the same test on w ^ 0x7f.. finds a DEL (a zero octet there). */
static bool cmd_control_word(uint64_t w) {
  return (((w - PU_SWAR_ONES * 0x20) & ~w & PU_SWAR_HIGHS) |
          pu_swar_zero(w ^ (PU_SWAR_ONES * 0x7f))) != 0;
}

/* cmd_has_control - any octet below 0x20 or 0x7f (DEL) in s[0..n)? Eight octets at a
 * time, the last eight overlapping the word before; lines under eight octets are read as
 * two overlapping four-octet halves. Never reads outside s[0..n). */
static bool cmd_has_control(const char *s, size_t n) {
  if (n >= 8) {
    uint64_t w;
    for (size_t i = 0; i + 8 < n; i += 8) {
      memcpy(&w, s + i, 8);
      if (cmd_control_word(w))
        return true;
    }
    memcpy(&w, s + n - 8, 8);
    return cmd_control_word(w);
  }
  if (n >= 4) {
    /* Both halves in one word: every octet of it is an octet of s. */
    uint64_t w = (uint64_t)pu_le32(s) | (uint64_t)pu_le32(s + n - 4) << 32;
    return cmd_control_word(w);
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f)
      return true;
  }
  return false;
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
  /* RFC 5321 2.4: "FROM:" and "TO:" are case-insensitive. The colon is compared exactly:
   * the line may still hold control octets (see smtp_command_parse). */
  if (a == NULL || n < wl || !pu_ieq_word(a, wl - 1, word) || a[wl - 1] != ':')
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
  size_t m = pu_span(a, n, PU_C_MECH);
  if (m == 0 || m > 20 || (m < n && a[m] != ' '))
    return -1;
  out->auth_mech = a;
  out->auth_mech_len = m;
  if (m == n)
    return 0;
  const char *r = a + m + 1;
  size_t rl = n - m - 1;
  if (rl == 0 || pu_span(r, rl, PU_C_B64) != rl)
    return -1;
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
    if (n - i - 1 != 4 || !pu_ieq_word(a + i + 1, 4, "LAST"))
      return -1;
    out->bdat_last = true;
  }
  out->bdat_size = v;
  return 0;
}

/* cmd_args - check what follows the verb, per its row in verb_defs. a is NULL when the
 * line holds the verb alone. An argument that is not parsed is checked for control
 * octets here; the parsed ones admit none (see smtp_command_parse). */
static int cmd_args(const char *a, size_t n, unsigned extensions, struct smtp_command *out,
                    enum cmd_err *e) {
  switch (verb_defs[out->verb].args) {
  case ARGS_NONE:
    *e = CMD_ERR_NO_ARGS_ALLOWED;
    return a == NULL ? 0 : -1;
  case ARGS_OPTIONAL:
  case ARGS_REQUIRED:
    *e = CMD_ERR_ARG_REQUIRED;
    if (a == NULL)
      return verb_defs[out->verb].args == ARGS_OPTIONAL ? 0 : -1;
    *e = CMD_ERR_CONTROL;
    return cmd_has_control(a, n) ? -1 : 0;
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

/* A field of struct smtp_command, by name, for the ranges cmd_clear zeroes. */
#define CMD_AT(field) offsetof(struct smtp_command, field)

/* cmd_clear - zero every field but params[]: a parse fills params[0..nparams) and
 * leaves the others as they were, since clearing all sixteen was most of the work of
 * parsing a short command (perf: the 720-octet clear took 40% of smtp_command_parse).
 * The tail is zeroed in parts of under 64 octets, which gcc and clang store inline; one
 * memset of it became a "rep stos" whose start-up cost more than the whole clear. */
static inline void cmd_clear(struct smtp_command *out) {
  unsigned char *p = (unsigned char *)out;
  memset(p, 0, CMD_AT(params));
  memset(p + CMD_AT(nparams), 0, CMD_AT(envid) - CMD_AT(nparams));
  memset(p + CMD_AT(envid), 0, CMD_AT(auth_mech) - CMD_AT(envid));
  memset(p + CMD_AT(auth_mech), 0, sizeof *out - CMD_AT(auth_mech));
}

/* cmd_verb_len - where the verb ends: 4, or 8 for STARTTLS, the only longer verb; 0
 * when no verb of either length is followed by SP or the end of the line. */
static size_t cmd_verb_len(const char *line, size_t n) {
  size_t vl = n > 4 && line[4] != ' ' ? 8 : 4;
  if (n < vl || (n > vl && line[vl] != ' '))
    return 0;
  return vl;
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
  size_t vl = cmd_verb_len(line, n);
  out->verb = cmd_verb_lookup(line, vl);
  /* RFC 5321 4.2.4: an unrecognized command is 500. */
  if (out->verb == SMTP_VERB_UNKNOWN) {
    e = CMD_ERR_UNKNOWN_VERB;
    goto fail;
  }
  if (vl < n) {
    out->arg = line + vl + 1;
    out->arg_len = n - vl - 1;
  }
  if (cmd_args(out->arg, out->arg_len, extensions, out, &e) == 0)
    return 0;
fail:
  /* RFC 5321 4.1.2 / 2.3.8: no control octet (NUL, bare CR or LF, ...) in a command, and
   * that is the reply whatever else is wrong. A command is accepted only when every octet
   * was matched against a class or a character that excludes control octets (or, for
   * the arguments nobody parses, checked in cmd_args), so one pass over the line is
   * needed only for a refusal. */
  if (e != CMD_ERR_CONTROL && cmd_has_control(line, n))
    e = CMD_ERR_CONTROL;
  /* The engine may still want to know what was refused, unless it was a control octet. */
  enum smtp_verb verb = e == CMD_ERR_CONTROL ? SMTP_VERB_UNKNOWN : out->verb;
  cmd_clear(out);
  out->verb = verb;
  cmd_error_fill(e, err);
  return -1;
}
