/* fuzz_command.c - the RFC 5321 4.1 command-line parser (smtp_command_parse).
 *
 * Input: one command line without its CRLF. Invariants beyond "no crash":
 *  - every pointer the parser returns lies inside the line;
 *  - a refusal carries a reply code the server may send (500/501/502/504/553/555) whose
 *    enhanced code (RFC 3463) has the same class, and text without CR or LF;
 *  - offering more extensions never turns an accepted command into a refused one and
 *    never changes what it means (RFC 5321 4.1.1.11: unknown parameters are 555);
 *  - verbs are case-insensitive (RFC 5321 2.4): flipping the verb's case changes nothing;
 *  - parse -> format -> parse is a fixed point (path, parameters, argument). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "smtp/address.h"
#include "smtp/command.h"

/* Room for a rebuilt command: longer than any line the parser accepts. */
#define CMD_REBUILD_MAX 8192

/* cmd_check_error - a refusal is a reply the server can send as it is. */
static void cmd_check_error(const struct smtp_command_error *e) {
  static const int allowed[] = {500, 501, 502, 504, 553, 555};
  bool ok = false;
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    ok |= e->code == allowed[i];
  FUZZ_CHECK(ok, "command refused with code %d, not one of 500/501/502/504/553/555", e->code);
  FUZZ_CHECK(e->text != NULL, "refusal %d has no text", e->code);
  FUZZ_CHECK(strpbrk(e->text, "\r\n") == NULL, "refusal text contains CR or LF: %s", e->text);
  if (e->enhanced != NULL)
    FUZZ_CHECK(e->enhanced[0] == '0' + e->code / 100 && e->enhanced[1] == '.',
               "enhanced code %s does not match reply code %d (RFC 3463)", e->enhanced, e->code);
}

/* cmd_check_inside - every pointer of a parsed command refers into the line. */
static void cmd_check_inside(const char *line, size_t len, const struct smtp_command *c) {
  FUZZ_CHECK(c->verb > SMTP_VERB_UNKNOWN && c->verb < SMTP_VERB_COUNT, "verb %d out of range",
             (int)c->verb);
  FUZZ_CHECK(fuzz_inside(line, len, c->arg, c->arg_len), "arg outside the line");
  FUZZ_CHECK(c->nparams <= SMTP_PARAMS_MAX, "nparams %zu over SMTP_PARAMS_MAX", c->nparams);
  if (c->verb == SMTP_VERB_MAIL || c->verb == SMTP_VERB_RCPT) {
    FUZZ_CHECK(fuzz_inside(line, len, c->path.local, c->path.local_len), "local part outside");
    FUZZ_CHECK(fuzz_inside(line, len, c->path.domain, c->path.domain_len), "domain outside");
    FUZZ_CHECK(c->path.local_len <= SMTP_LOCAL_PART_MAX, "local part of %zu octets accepted",
               c->path.local_len);
    FUZZ_CHECK(c->path.domain_len <= SMTP_DOMAIN_MAX, "domain of %zu octets accepted",
               c->path.domain_len);
    for (size_t i = 0; i < c->nparams; i++) {
      FUZZ_CHECK(c->params[i].key_len > 0, "parameter %zu has an empty keyword", i);
      FUZZ_CHECK(fuzz_inside(line, len, c->params[i].key, c->params[i].key_len),
                 "parameter key outside");
      FUZZ_CHECK(fuzz_inside(line, len, c->params[i].value, c->params[i].value_len),
                 "parameter value outside");
    }
    FUZZ_CHECK(fuzz_inside(line, len, c->envid, c->envid_len), "ENVID outside the line");
    FUZZ_CHECK(fuzz_inside(line, len, c->orcpt, c->orcpt_len), "ORCPT outside the line");
  }
  if (c->verb == SMTP_VERB_AUTH) {
    FUZZ_CHECK(c->auth_mech_len > 0, "AUTH accepted without a mechanism");
    FUZZ_CHECK(fuzz_inside(line, len, c->auth_mech, c->auth_mech_len), "mechanism outside");
    FUZZ_CHECK(fuzz_inside(line, len, c->auth_initial, c->auth_initial_len),
               "initial response outside");
  }
}

/* cmd_same_bytes - two pointer+length pairs name equal octets. */
static bool cmd_same_bytes(const char *a, size_t an, const char *b, size_t bn) {
  return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* cmd_check_same - two parses of equivalent lines mean the same thing. */
static void cmd_check_same(const struct smtp_command *a, const struct smtp_command *b,
                           const char *why) {
  FUZZ_CHECK(a->verb == b->verb, "%s: verb %d became %d", why, (int)a->verb, (int)b->verb);
  if (a->verb == SMTP_VERB_MAIL || a->verb == SMTP_VERB_RCPT) {
    FUZZ_CHECK(cmd_same_bytes(a->path.local, a->path.local_len, b->path.local, b->path.local_len),
               "%s: local part changed", why);
    FUZZ_CHECK(
        cmd_same_bytes(a->path.domain, a->path.domain_len, b->path.domain, b->path.domain_len),
        "%s: domain changed", why);
    FUZZ_CHECK(a->path.is_null == b->path.is_null &&
                   a->path.is_postmaster == b->path.is_postmaster &&
                   a->path.domain_kind == b->path.domain_kind,
               "%s: path kind changed", why);
    FUZZ_CHECK(a->nparams == b->nparams, "%s: %zu parameters became %zu", why, a->nparams,
               b->nparams);
    for (size_t i = 0; i < a->nparams; i++) {
      FUZZ_CHECK(cmd_same_bytes(a->params[i].key, a->params[i].key_len, b->params[i].key,
                                b->params[i].key_len),
                 "%s: parameter %zu keyword changed", why, i);
      FUZZ_CHECK((a->params[i].value == NULL) == (b->params[i].value == NULL) &&
                     cmd_same_bytes(a->params[i].value, a->params[i].value_len, b->params[i].value,
                                    b->params[i].value_len),
                 "%s: parameter %zu value changed", why, i);
    }
    FUZZ_CHECK(a->has_size == b->has_size && a->size == b->size && a->body == b->body &&
                   a->smtputf8 == b->smtputf8 && a->ret == b->ret && a->notify == b->notify,
               "%s: decoded parameters changed", why);
  } else {
    FUZZ_CHECK(cmd_same_bytes(a->arg, a->arg_len, b->arg, b->arg_len), "%s: argument changed", why);
  }
  if (a->verb == SMTP_VERB_BDAT)
    FUZZ_CHECK(a->bdat_size == b->bdat_size && a->bdat_last == b->bdat_last,
               "%s: BDAT size/LAST changed", why);
}

/* cmd_rebuild - format a parsed command back into a line. Returns its length, or -1. */
static int cmd_rebuild(const struct smtp_command *c, char *out, size_t cap) {
  const char *verb = smtp_verb_name(c->verb);
  int n;
  if (c->verb == SMTP_VERB_MAIL || c->verb == SMTP_VERB_RCPT) {
    char path[SMTP_PATH_MAX * 2 + 8];
    if (smtp_path_format(&c->path, path, sizeof path) < 0)
      fuzz_fail("smtp_path_format refused a path the parser accepted");
    n = snprintf(out, cap, "%s %s:%s", verb, c->verb == SMTP_VERB_MAIL ? "FROM" : "TO", path);
    for (size_t i = 0; i < c->nparams && n >= 0 && (size_t)n < cap; i++) {
      const struct smtp_param *p = &c->params[i];
      n += snprintf(out + n, cap - (size_t)n, " %.*s%s%.*s", (int)p->key_len, p->key,
                    p->value != NULL ? "=" : "", (int)p->value_len,
                    p->value != NULL ? p->value : "");
    }
  } else if (c->arg_len > 0) {
    n = snprintf(out, cap, "%s %.*s", verb, (int)c->arg_len, c->arg);
  } else {
    n = snprintf(out, cap, "%s", verb);
  }
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* cmd_planted - the deliberate bug of the planted-crash test: any VRFY with an argument
 * ("VRFY bug") reads past a heap block, which ASan reports; builds without ASan abort right
 * after, so the plant crashes every flavour (see fuzz_planted()). The seeds reach it, so a
 * short, loaded CI run finds it every time: the test is of the pipeline (find, minimise,
 * store, reproduce), not of the fuzzer's luck. */
static void cmd_planted(const struct smtp_command *c) {
  if (!fuzz_planted() || c->verb != SMTP_VERB_VRFY || c->arg_len < 1)
    return;
  volatile char *block = malloc(4);
  if (block == NULL)
    return;
  volatile char past = block[c->arg_len + 4];
  (void)past;
  free((void *)block);
  fuzz_fail("%s: planted bug reached (VRFY with an argument): read past a 4-octet heap block",
            __FILE__);
}

/* LLVMFuzzerTestOneInput - parse with all and no extensions, flipped case, and rebuilt. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *line = (const char *)data;
  struct smtp_command all, none, flipped;
  struct smtp_command_error eall, enone, eflip;
  char *copy = NULL, *rebuilt = NULL;

  int rall = smtp_command_parse(line, size, SMTP_EXT_ALL, &all, &eall);
  int rnone = smtp_command_parse(line, size, 0, &none, &enone);
  if (rall == 0)
    cmd_check_inside(line, size, &all);
  else
    cmd_check_error(&eall);
  if (rnone == 0) {
    cmd_check_inside(line, size, &none);
    FUZZ_CHECK(rall == 0, "accepted with no extension offered, refused (%d) with all", eall.code);
    cmd_check_same(&none, &all, "offering every extension");
  } else {
    cmd_check_error(&enone);
  }

  /* RFC 5321 2.4: the verb is case-insensitive. */
  copy = malloc(size ? size : 1);
  if (copy == NULL)
    goto out;
  memcpy(copy, data, size);
  for (size_t i = 0; i < size && isalpha((unsigned char)copy[i]); i++)
    copy[i] = (char)(copy[i] ^ 0x20);
  int rflip = smtp_command_parse(copy, size, SMTP_EXT_ALL, &flipped, &eflip);
  FUZZ_CHECK((rflip == 0) == (rall == 0), "flipping the verb's case changed acceptance");
  if (rall == 0)
    cmd_check_same(&all, &flipped, "flipping the verb's case");
  else
    FUZZ_CHECK(eflip.code == eall.code, "flipping the verb's case changed %d to %d", eall.code,
               eflip.code);

  if (rall == 0) {
    cmd_planted(&all);
    rebuilt = malloc(CMD_REBUILD_MAX);
    if (rebuilt == NULL)
      goto out;
    int n = cmd_rebuild(&all, rebuilt, CMD_REBUILD_MAX);
    if (n >= 0) {
      struct smtp_command again;
      struct smtp_command_error eagain;
      int r = smtp_command_parse(rebuilt, (size_t)n, SMTP_EXT_ALL, &again, &eagain);
      FUZZ_CHECK(r == 0, "rebuilt command \"%.*s\" refused with %d %s", n, rebuilt, eagain.code,
                 eagain.text ? eagain.text : "");
      cmd_check_same(&all, &again, "parse -> format -> parse");
    }
  }
out:
  free(rebuilt);
  free(copy);
  return 0;
}
