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

/* param_xtext_ok - RFC 3461 4: xtext = *( xchar / hexchar ), xchar = "!".."~" except
 * "+" and "=", hexchar = "+" 2(DIGIT / "A"-"F") (upper-case hex only). */
static bool param_xtext_ok(const char *v, size_t n) {
  size_t i = 0;
  for (;;) {
    i += pu_span(v + i, n - i, PU_C_XCHAR);
    if (i == n)
      return true;
    if (v[i] != '+' || n - i < 3 || !pu_is((unsigned char)v[i + 1], PU_C_XHEX) ||
        !pu_is((unsigned char)v[i + 2], PU_C_XHEX))
      return false;
    i += 3;
  }
}

/* param_size - RFC 1870 6: size-value ::= 1*20DIGIT. A value above 2^64-1 saturates,
 * which is over any limit a server can state, so it gets 552 rather than a syntax error. */
static bool param_size(const struct smtp_param *p, struct smtp_command *out) {
  uint64_t v = 0;
  if (p->value == NULL || p->value_len > 20)
    return false;
  for (size_t i = 0; i < p->value_len; i++) {
    if (!pu_is((unsigned char)p->value[i], PU_C_DIGIT))
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
  const char *v = p->value;
  size_t n = p->value_len;
  if (v == NULL)
    return false;
  if (n == 4 && pu_ieq_word(v, n, "7BIT"))
    out->body = SMTP_BODY_7BIT;
  else if (n == 8 && pu_ieq_word(v, n, "8BITMIME"))
    out->body = SMTP_BODY_8BITMIME;
  else if (n == 10 && pu_ieq_word(v, n, "BINARYMIME"))
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
  if (p->value == NULL || p->value_len != 4)
    return false;
  if (pu_ieq_word(p->value, 4, "FULL"))
    out->ret = SMTP_RET_FULL;
  else if (pu_ieq_word(p->value, 4, "HDRS"))
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

/* param_notify_word - the NOTIFY word at the start of w[0..n), which ends at a comma or
 * at the end of the value: its length, with its bit in *bit, or 0 when there is none.
 * The words are five or seven letters, so only w[5] or w[7] can end one. */
static size_t param_notify_word(const char *w, size_t n, unsigned *bit) {
  if (n >= 5 && (n == 5 || w[5] == ',')) {
    if (pu_ieq_word(w, 5, "NEVER"))
      *bit = SMTP_NOTIFY_NEVER;
    else if (pu_ieq_word(w, 5, "DELAY"))
      *bit = SMTP_NOTIFY_DELAY;
    else
      return 0;
    return 5;
  }
  if (n >= 7 && (n == 7 || w[7] == ',')) {
    if (pu_ieq_word(w, 7, "SUCCESS"))
      *bit = SMTP_NOTIFY_SUCCESS;
    else if (pu_ieq_word(w, 7, "FAILURE"))
      *bit = SMTP_NOTIFY_FAILURE;
    else
      return 0;
    return 7;
  }
  return 0;
}

/* param_notify - RFC 3461 4.1: NEVER, or a comma list of SUCCESS, FAILURE, DELAY. */
static bool param_notify(const struct smtp_param *p, struct smtp_command *out) {
  unsigned bits = 0;
  size_t i = 0;
  if (p->value == NULL)
    return false;
  /* Each word is followed by a comma or the end; a comma at the end leaves an empty
   * word, which is no word. */
  while (i <= p->value_len) {
    unsigned bit = 0;
    size_t wl = param_notify_word(p->value + i, p->value_len - i, &bit);
    if (wl == 0 || (bits & bit))
      return false; /* an unknown, empty or repeated word */
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
  /* addr-type = atom: atext octets (RFC 5322 3.2.3). */
  if (pu_span(p->value, tl, PU_C_ATEXT) != tl)
    return false;
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
  size_t key_len;
  enum smtp_verb verb;
  unsigned extensions; /* any one of these bits */
  bool (*decode)(const struct smtp_param *p, struct smtp_command *out);
};

/* The rows of param_defs, for param_find. */
enum param_id { P_SIZE, P_BODY, P_SMTPUTF8, P_RET, P_ENVID, P_AUTH, P_NOTIFY, P_ORCPT, P_COUNT };

/* A keyword and its length, for one row of param_defs. */
#define KEY(k) k, sizeof k - 1

static const struct param_def param_defs[P_COUNT] = {
    [P_SIZE] = {KEY("SIZE"), SMTP_VERB_MAIL, SMTP_EXT_SIZE, param_size},
    [P_BODY] = {KEY("BODY"), SMTP_VERB_MAIL, SMTP_EXT_8BITMIME | SMTP_EXT_BINARYMIME, param_body},
    [P_SMTPUTF8] = {KEY("SMTPUTF8"), SMTP_VERB_MAIL, SMTP_EXT_SMTPUTF8, param_smtputf8},
    [P_RET] = {KEY("RET"), SMTP_VERB_MAIL, SMTP_EXT_DSN, param_ret},
    [P_ENVID] = {KEY("ENVID"), SMTP_VERB_MAIL, SMTP_EXT_DSN, param_envid},
    [P_AUTH] = {KEY("AUTH"), SMTP_VERB_MAIL, SMTP_EXT_AUTH, param_auth},
    [P_NOTIFY] = {KEY("NOTIFY"), SMTP_VERB_RCPT, SMTP_EXT_DSN, param_notify},
    [P_ORCPT] = {KEY("ORCPT"), SMTP_VERB_RCPT, SMTP_EXT_DSN, param_orcpt},
};

/* param_find - the row of the esmtp-keyword k[0..n) in either case, or NULL. The length
 * and the first letter pick the one row it could be; a full comparison decides. */
static const struct param_def *param_find(const char *k, size_t n) {
  enum param_id id;
  switch (n) {
  case 3:
    id = P_RET;
    break;
  case 4: {
    unsigned c = (unsigned char)k[0] & 0xdf;
    id = c == 'S' ? P_SIZE : c == 'B' ? P_BODY : P_AUTH;
    break;
  }
  case 5:
    id = ((unsigned char)k[0] & 0xdf) == 'E' ? P_ENVID : P_ORCPT;
    break;
  case 6:
    id = P_NOTIFY;
    break;
  case 8:
    id = P_SMTPUTF8;
    break;
  default:
    return NULL;
  }
  return pu_ieq_word(k, n, param_defs[id].key) ? &param_defs[id] : NULL;
}

/* param_check - is this one parameter allowed and well-formed? */
static int param_check(const struct smtp_param *p, unsigned extensions, struct smtp_command *out,
                       enum cmd_err *e) {
  const struct param_def *d = param_find(p->key, p->key_len);
  /* RFC 5321 4.1.1.11: an unknown parameter, one of the other verb's, or one of an
   * extension not offered is 555. */
  if (d == NULL || d->verb != out->verb || !(extensions & d->extensions)) {
    *e = CMD_ERR_PARAM_UNKNOWN;
    return -1;
  }
  if (!d->decode(p, out)) {
    *e = CMD_ERR_PARAM_VALUE;
    return -1;
  }
  /* RFC 3030 3: BINARYMIME is its own extension, even though BODY= is 8BITMIME's. */
  if (d->decode == param_body && out->body == SMTP_BODY_BINARYMIME &&
      !(extensions & SMTP_EXT_BINARYMIME)) {
    *e = CMD_ERR_PARAM_UNKNOWN;
    return -1;
  }
  return 0;
}

/* param_scan - RFC 5321 4.1.2 esmtp-param = esmtp-keyword ["=" esmtp-value] at the start
 * of p[0..n), ending at SP or the end, in one pass: fills *prm and returns its length,
 * or 0 when it is not well-formed. esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT /
 * "-"); esmtp-value = 1*(%d33-60 / %d62-126), and RFC 6531 3.3 adds UTF8-non-ascii,
 * which we accept (well-formed) only when SMTPUTF8 is offered. */
static size_t param_scan(const char *p, size_t n, bool utf8, struct smtp_param *prm) {
  size_t k = pu_span(p, n, PU_C_LDH);
  if (k == 0 || p[0] == '-')
    return 0;
  prm->key = p;
  prm->key_len = k;
  prm->value = NULL;
  prm->value_len = 0;
  if (k == n || p[k] == ' ')
    return k;
  if (p[k] != '=')
    return 0;
  size_t i = k + 1;
  for (;;) {
    i += pu_span(p + i, n - i, PU_C_VALUE);
    if (i == n || p[i] == ' ')
      break;
    size_t u = utf8 && (unsigned char)p[i] >= 0x80 ? pu_utf8_len(p + i, n - i) : 0;
    if (u == 0)
      return 0; /* "=", another control octet, or malformed or refused UTF-8 */
    i += u;
  }
  if (i == k + 1)
    return 0;
  prm->value = p + k + 1;
  prm->value_len = i - k - 1;
  return i;
}

/* param_seen - is the keyword of prm already among out->params (in either case)? */
static bool param_seen(const struct smtp_command *out, const struct smtp_param *prm) {
  for (size_t k = 0; k < out->nparams; k++)
    if (out->params[k].key_len == prm->key_len &&
        pu_ieq_word(out->params[k].key, prm->key_len, prm->key))
      return true;
  return false;
}

/* cmd_params_parse - scan each parameter for syntax and repeats, then check each. */
int cmd_params_parse(const char *p, size_t n, unsigned extensions, struct smtp_command *out,
                     enum cmd_err *e) {
  bool utf8 = (extensions & SMTP_EXT_SMTPUTF8) != 0;
  size_t i = 0;
  while (i < n) {
    struct smtp_param prm;
    size_t tl = param_scan(p + i, n - i, utf8, &prm);
    /* RFC 5321 4.1.2: parameters are separated by exactly one SP (so SP SP is an empty
     * parameter, and a syntax error, as is an SP that ends the line). */
    if (tl == 0 || i + tl + 1 == n) {
      *e = CMD_ERR_PARAM_SYNTAX;
      return -1;
    }
    if (param_seen(out, &prm)) {
      *e = CMD_ERR_PARAM_DUPLICATE;
      return -1;
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
