/* command_param.c - ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2 esmtp-param) and
 * the values of the ones libsmtp knows: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030),
 * SMTPUTF8 (RFC 6531), RET / ENVID / NOTIFY / ORCPT (RFC 3461), AUTH (RFC 4954 5).
 *
 * Order of checks, so that a line with several faults gets one predictable reply: first
 * the syntax of every parameter, repeats and the count (501), then, left to right,
 * whether each exists for this verb and extension set (555, RFC 5321 4.1.1.11) and
 * whether its value is valid (501). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "command_private.h"
#include "parse_util.h"

/* param_keyword_ok - esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
static bool param_keyword_ok(const char *k, size_t n) {
  if (n == 0 || !(pu_alpha((unsigned char)k[0]) || pu_digit((unsigned char)k[0])))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!pu_alpha((unsigned char)k[i]) && !pu_digit((unsigned char)k[i]) && k[i] != '-')
      return false;
  return true;
}

/* param_value_ok - esmtp-value = 1*(%d33-60 / %d62-126): no SP, no '='; RFC 6531 3.3
 * adds UTF8-non-ascii, which we accept (well-formed) only when SMTPUTF8 is offered. */
static bool param_value_ok(const char *v, size_t n, bool utf8) {
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c >= 33 && c <= 126 && c != '=')
      continue; /* the common case first */
    if (c >= 0x80 && utf8) {
      size_t k = pu_utf8_len(v + i, n - i);
      if (k == 0)
        return false;
      i += k - 1;
    } else if (c < 33 || c > 126 || c == '=') {
      return false;
    }
  }
  return true;
}

/* param_xtext_ok - RFC 3461 4: xtext = *( xchar / hexchar ), xchar = "!".."~" except
 * "+" and "=", hexchar = "+" 2(DIGIT / "A"-"F") (upper-case hex only). */
static bool param_xtext_ok(const char *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c == '+') {
      for (int k = 1; k <= 2; k++) {
        unsigned char h = i + (size_t)k < n ? (unsigned char)v[i + (size_t)k] : 0;
        if (!pu_digit(h) && !(h >= 'A' && h <= 'F'))
          return false;
      }
      i += 2;
    } else if (c < 33 || c > 126 || c == '=') {
      return false;
    }
  }
  return true;
}

/* param_size - RFC 1870 6: size-value ::= 1*20DIGIT. A value above 2^64-1 saturates,
 * which is over any limit a server can state, so it gets 552 rather than a syntax error. */
static bool param_size(const struct smtp_param *p, struct smtp_command *out) {
  uint64_t v = 0;
  if (p->value == NULL || p->value_len > 20)
    return false;
  for (size_t i = 0; i < p->value_len; i++) {
    if (!pu_digit((unsigned char)p->value[i]))
      return false;
    unsigned d = (unsigned)(p->value[i] - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  out->has_size = true;
  out->size = v;
  return true;
}

/* param_body - RFC 6152 3 / RFC 3030 3: BODY=7BIT / 8BITMIME / BINARYMIME. */
static bool param_body(const struct smtp_param *p, struct smtp_command *out) {
  if (p->value == NULL)
    return false;
  if (pu_ieq(p->value, p->value_len, "7BIT"))
    out->body = SMTP_BODY_7BIT;
  else if (pu_ieq(p->value, p->value_len, "8BITMIME"))
    out->body = SMTP_BODY_8BITMIME;
  else if (pu_ieq(p->value, p->value_len, "BINARYMIME"))
    out->body = SMTP_BODY_BINARYMIME;
  else
    return false;
  return true;
}

/* param_smtputf8 - RFC 6531 3.4: the SMTPUTF8 parameter takes no value. */
static bool param_smtputf8(const struct smtp_param *p, struct smtp_command *out) {
  if (p->value != NULL)
    return false;
  out->smtputf8 = true;
  return true;
}

/* param_ret - RFC 3461 4.3: RET=FULL / HDRS. */
static bool param_ret(const struct smtp_param *p, struct smtp_command *out) {
  if (p->value == NULL)
    return false;
  if (pu_ieq(p->value, p->value_len, "FULL"))
    out->ret = SMTP_RET_FULL;
  else if (pu_ieq(p->value, p->value_len, "HDRS"))
    out->ret = SMTP_RET_HDRS;
  else
    return false;
  return true;
}

/* param_envid - RFC 3461 4.4: ENVID=xtext, at most 100 characters. */
static bool param_envid(const struct smtp_param *p, struct smtp_command *out) {
  if (p->value == NULL || p->value_len > 100 || !param_xtext_ok(p->value, p->value_len))
    return false;
  out->envid = p->value;
  out->envid_len = p->value_len;
  return true;
}

/* param_notify - RFC 3461 4.1: NEVER, or a comma list of SUCCESS, FAILURE, DELAY. */
static bool param_notify(const struct smtp_param *p, struct smtp_command *out) {
  unsigned bits = 0;
  size_t i = 0;
  if (p->value == NULL)
    return false;
  while (i <= p->value_len) {
    const char *w = p->value + i;
    const char *comma = memchr(w, ',', p->value_len - i);
    size_t wl = comma != NULL ? (size_t)(comma - w) : p->value_len - i;
    unsigned bit;
    if (pu_ieq(w, wl, "NEVER"))
      bit = SMTP_NOTIFY_NEVER;
    else if (pu_ieq(w, wl, "SUCCESS"))
      bit = SMTP_NOTIFY_SUCCESS;
    else if (pu_ieq(w, wl, "FAILURE"))
      bit = SMTP_NOTIFY_FAILURE;
    else if (pu_ieq(w, wl, "DELAY"))
      bit = SMTP_NOTIFY_DELAY;
    else
      return false;
    if (bits & bit)
      return false; /* a repeated word */
    bits |= bit;
    i += wl + 1;
  }
  /* NEVER stands alone. */
  if ((bits & SMTP_NOTIFY_NEVER) && bits != SMTP_NOTIFY_NEVER)
    return false;
  out->notify = bits;
  return true;
}

/* param_orcpt - RFC 3461 4.2: ORCPT=addr-type ";" xtext, addr-type an atom, the whole
 * parameter at most 500 characters. */
static bool param_orcpt(const struct smtp_param *p, struct smtp_command *out) {
  if (p->value == NULL || p->value_len > 500 - 6)
    return false;
  const char *semi = memchr(p->value, ';', p->value_len);
  if (semi == NULL || semi == p->value)
    return false;
  size_t tl = (size_t)(semi - p->value);
  for (size_t i = 0; i < tl; i++) {
    unsigned char c = (unsigned char)p->value[i];
    if (!pu_alpha(c) && !pu_digit(c) && (c == 0 || !strchr("!#$%&'*+-/=?^_`{|}~", c)))
      return false;
  }
  if (!param_xtext_ok(semi + 1, p->value_len - tl - 1))
    return false;
  out->orcpt = p->value;
  out->orcpt_len = p->value_len;
  return true;
}

/* param_auth - RFC 4954 5: AUTH=xtext or AUTH=<>; kept only in out->params. */
static bool param_auth(const struct smtp_param *p, struct smtp_command *out) {
  (void)out;
  if (p->value == NULL)
    return false;
  return (p->value_len == 2 && p->value[0] == '<' && p->value[1] == '>') ||
         param_xtext_ok(p->value, p->value_len);
}

/* One known parameter: keyword, the verb it belongs to, the extensions that allow it. */
struct param_def {
  const char *key;
  size_t key_len; /* strlen(key): most keywords are told apart by length alone */
  enum smtp_verb verb;
  unsigned extensions; /* any one of these bits */
  bool (*decode)(const struct smtp_param *p, struct smtp_command *out);
};

/* A keyword and its length, for one row of param_defs. */
#define KEY(k) k, sizeof k - 1

static const struct param_def param_defs[] = {
    {KEY("SIZE"), SMTP_VERB_MAIL, SMTP_EXT_SIZE, param_size},
    {KEY("BODY"), SMTP_VERB_MAIL, SMTP_EXT_8BITMIME | SMTP_EXT_BINARYMIME, param_body},
    {KEY("SMTPUTF8"), SMTP_VERB_MAIL, SMTP_EXT_SMTPUTF8, param_smtputf8},
    {KEY("RET"), SMTP_VERB_MAIL, SMTP_EXT_DSN, param_ret},
    {KEY("ENVID"), SMTP_VERB_MAIL, SMTP_EXT_DSN, param_envid},
    {KEY("AUTH"), SMTP_VERB_MAIL, SMTP_EXT_AUTH, param_auth},
    {KEY("NOTIFY"), SMTP_VERB_RCPT, SMTP_EXT_DSN, param_notify},
    {KEY("ORCPT"), SMTP_VERB_RCPT, SMTP_EXT_DSN, param_orcpt},
};

/* param_check - is this one parameter allowed and well-formed? */
static int param_check(const struct smtp_param *p, unsigned extensions, struct smtp_command *out,
                       enum cmd_err *e) {
  for (size_t i = 0; i < sizeof param_defs / sizeof param_defs[0]; i++) {
    const struct param_def *d = &param_defs[i];
    if (d->verb != out->verb || d->key_len != p->key_len || !pu_ieqn(p->key, d->key, d->key_len))
      continue;
    if (!(extensions & d->extensions))
      break; /* RFC 5321 4.1.1.11: a parameter of an extension not offered is 555 */
    if (!d->decode(p, out)) {
      *e = CMD_ERR_PARAM_VALUE;
      return -1;
    }
    /* RFC 3030 3: BINARYMIME is its own extension, even though BODY= is 8BITMIME's. */
    if (d->decode == param_body && out->body == SMTP_BODY_BINARYMIME &&
        !(extensions & SMTP_EXT_BINARYMIME))
      break;
    return 0;
  }
  *e = CMD_ERR_PARAM_UNKNOWN;
  return -1;
}

/* cmd_params_parse - split at SP and check syntax and repeats, then each parameter. */
int cmd_params_parse(const char *p, size_t n, unsigned extensions, struct smtp_command *out,
                     enum cmd_err *e) {
  size_t i = 0;
  while (i < n) {
    const char *tok = p + i;
    const char *sp = memchr(tok, ' ', n - i);
    size_t tl = sp != NULL ? (size_t)(sp - tok) : n - i;
    /* RFC 5321 4.1.2: parameters are separated by exactly one SP (so SP SP is an empty
     * parameter, and a syntax error). */
    if (sp != NULL && (size_t)(sp - p) + 1 == n) {
      *e = CMD_ERR_PARAM_SYNTAX;
      return -1;
    }
    const char *eq = memchr(tok, '=', tl);
    struct smtp_param prm = {tok, eq != NULL ? (size_t)(eq - tok) : tl, NULL, 0};
    if (eq != NULL) {
      prm.value = eq + 1;
      prm.value_len = tl - prm.key_len - 1;
    }
    if (!param_keyword_ok(prm.key, prm.key_len) ||
        (prm.value != NULL &&
         !param_value_ok(prm.value, prm.value_len, extensions & SMTP_EXT_SMTPUTF8))) {
      *e = CMD_ERR_PARAM_SYNTAX;
      return -1;
    }
    for (size_t k = 0; k < out->nparams; k++) {
      if (out->params[k].key_len == prm.key_len &&
          pu_ieqn(out->params[k].key, prm.key, prm.key_len)) {
        *e = CMD_ERR_PARAM_DUPLICATE;
        return -1;
      }
    }
    if (out->nparams == SMTP_PARAMS_MAX) {
      *e = CMD_ERR_PARAM_TOO_MANY;
      return -1;
    }
    out->params[out->nparams++] = prm;
    i += tl + 1;
  }
  for (size_t k = 0; k < out->nparams; k++)
    if (param_check(&out->params[k], extensions, out, e) != 0)
      return -1;
  return 0;
}
