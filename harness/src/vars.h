/* vars.h - script text templates: escapes, ${STR*N} repetition and $variables. */
#ifndef SMTPCHECK_VARS_H
#define SMTPCHECK_VARS_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

/* The most octets one template may expand to (a large message body, a line flood). */
#define VARS_EXPAND_MAX (16u * 1024u * 1024u)

/* The variables a script may use; their values come from the command line. */
enum var_id {
  VAR_EHLO,
  VAR_FROM,
  VAR_RCPT,
  VAR_FOREIGN,
  VAR_USER,
  VAR_PASS,
  VAR_AUTH_PLAIN,
  VAR_USER_B64,
  VAR_PASS_B64,
  VAR_HOST,
  VAR_TOKEN,
  VAR_RCPT_LOCAL,      /* the local part of --rcpt */
  VAR_RCPT_DOMAIN,     /* the domain of --rcpt, else --domain */
  VAR_SIZE_LIMIT,      /* the SIZE value the server advertised (RFC 1870) */
  VAR_SIZE_OVER_LIMIT, /* that value plus one */
  VAR_COUNT
};

/* What a template needs from the command line (implicit `require` lines). */
enum var_use {
  VAR_USES_FOREIGN = 1u << 0, /* $foreign */
  VAR_USES_AUTH = 1u << 1,    /* $user $pass $auth_plain $user_b64 $pass_b64 */
  VAR_USES_DOMAIN = 1u << 2,  /* $rcpt_domain */
  VAR_USES_SIZE = 1u << 3,    /* $size_limit $size_over_limit */
};

/* Values of the variables; NULL means "not given". Not owned. */
struct vars {
  const char *val[VAR_COUNT];
};

/* vars_name - the name of a variable as written after '$'. */
const char *vars_name(enum var_id id);

/* vars_check - validate a template (escapes, repetitions, variable names) without values.
 * Returns 0 and ORs enum var_use bits into *uses, or -1 with a message in err. */
int vars_check(const char *tmpl, size_t len, unsigned *uses, char *err, size_t errlen);

/* vars_expand - append the expansion of a template to out. Returns 0, or -1 with a
 * message in err (a variable with no value, the expansion over VARS_EXPAND_MAX). */
int vars_expand(const char *tmpl, size_t len, const struct vars *v, struct sbuf *out, char *err,
                size_t errlen);

/* vars_base64 - append the base64 encoding of n octets to out (RFC 4648 4). */
int vars_base64(const void *data, size_t n, struct sbuf *out);

#endif
