/* smtp/command.h - RFC 5321 4.1 command line parser, with ESMTP parameters. */
#ifndef SMTP_COMMAND_H
#define SMTP_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtp/address.h"

/* Every verb the reference implementation knows. */
enum smtp_verb {
  SMTP_VERB_UNKNOWN = 0,
  SMTP_VERB_HELO,
  SMTP_VERB_EHLO,
  SMTP_VERB_MAIL,
  SMTP_VERB_RCPT,
  SMTP_VERB_DATA,
  SMTP_VERB_RSET,
  SMTP_VERB_VRFY,
  SMTP_VERB_EXPN,
  SMTP_VERB_HELP,
  SMTP_VERB_NOOP,
  SMTP_VERB_QUIT,
  SMTP_VERB_STARTTLS, /* RFC 3207 */
  SMTP_VERB_AUTH,     /* RFC 4954 */
  SMTP_VERB_BDAT,     /* RFC 3030 */
  SMTP_VERB_COUNT
};

/* BODY= values (RFC 6152, RFC 3030). */
enum smtp_body { SMTP_BODY_UNSET = 0, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME, SMTP_BODY_BINARYMIME };
/* RET= values (RFC 3461 4.3). */
enum smtp_ret { SMTP_RET_UNSET = 0, SMTP_RET_FULL, SMTP_RET_HDRS };
/* NOTIFY= bits (RFC 3461 4.1); NEVER excludes the others. */
enum smtp_notify {
  SMTP_NOTIFY_NEVER = 1u << 0,
  SMTP_NOTIFY_SUCCESS = 1u << 1,
  SMTP_NOTIFY_FAILURE = 1u << 2,
  SMTP_NOTIFY_DELAY = 1u << 3,
};

/* Which extensions' parameters the parser accepts (bits of enum smtp_ext in smtp/ext.h). */
#include "smtp/ext.h"

/* The most ESMTP parameters one MAIL or RCPT may carry. */
#define SMTP_PARAMS_MAX 16

/* One "keyword[=value]" parameter, pointers into the line. */
struct smtp_param {
  const char *key;
  size_t key_len;
  const char *value; /* NULL when there is no "=value" */
  size_t value_len;
};

/* A parsed command; every pointer refers into the caller's line buffer. */
struct smtp_command {
  enum smtp_verb verb;
  const char *arg; /* text after the verb and one SP (HELO/EHLO domain, VRFY, HELP, AUTH...) */
  size_t arg_len;
  struct smtp_path path;                     /* MAIL FROM / RCPT TO */
  struct smtp_param params[SMTP_PARAMS_MAX]; /* params[nparams..] are unspecified */
  size_t nparams;
  /* Known parameters, decoded. */
  bool has_size;
  uint64_t size;       /* MAIL SIZE= (RFC 1870) */
  enum smtp_body body; /* MAIL BODY= */
  bool smtputf8;       /* MAIL SMTPUTF8 (RFC 6531) */
  enum smtp_ret ret;   /* MAIL RET= */
  const char *envid;   /* MAIL ENVID= xtext, undecoded */
  size_t envid_len;
  unsigned notify;   /* RCPT NOTIFY= bits */
  const char *orcpt; /* RCPT ORCPT= addr-type;xtext, undecoded */
  size_t orcpt_len;
  const char *auth_mech; /* AUTH mechanism */
  size_t auth_mech_len;
  const char *auth_initial; /* AUTH initial-response, or NULL */
  size_t auth_initial_len;
  uint64_t bdat_size; /* BDAT chunk-size */
  bool bdat_last;     /* BDAT ... LAST */
};

/* The reply a server should give to a command that did not parse. */
struct smtp_command_error {
  int code;             /* 500, 501, 504, 553, 555 */
  const char *enhanced; /* RFC 3463 code, e.g. "5.5.2" */
  const char *text;     /* short human text, no CRLF */
};

/* smtp_command_parse - parse one command line (without CRLF). extensions: the
 * enum smtp_ext bits whose parameters are accepted (others get 555, RFC 5321 4.1.1.11).
 * Returns 0 and fills *out, or -1 and fills *err with the reply to send. */
int smtp_command_parse(const char *line, size_t len, unsigned extensions, struct smtp_command *out,
                       struct smtp_command_error *err);

/* smtp_verb_name - the upper-case name of a verb ("MAIL"), "" for UNKNOWN. */
const char *smtp_verb_name(enum smtp_verb verb);

#endif
