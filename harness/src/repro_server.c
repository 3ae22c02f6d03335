/* repro_server.c - drive the server engine with a fuzz_server input and check it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_buf.h"
#include "gen_session.h"
#include "repro_check.h"
#include "repro_session.h"
#include "smtp/ext.h"
#include "smtp/reply.h"
#include "smtp/server.h"

/* STARTTLS switches remembered from the input-chosen run for the octet-wise run. */
#define SRV_TLS_MAX 64

/* One STARTTLS switch: the engine stopped at octet `at`; the read ended at `to`. */
struct srv_tls_point {
  size_t at, to;
};

/* Everything one run of the engine over the input produced and checked. */
struct srv_run {
  const struct gen_session *in;
  struct smtp_server_config cfg;
  bool octetwise; /* reference run: line reads for commands, octets for content, with
                     the one-reply-per-command accounting */
  const struct repro_trace *trace;
  struct srv_tls_point points[SRV_TLS_MAX];
  size_t ntls;
  size_t tls_known; /* octet-wise run: switches the input-chosen run saw */
  struct smtp_server *s;
  struct gen_buf out, content, log;
  size_t reply_pos; /* parse cursor in out */
  size_t nreplies;
  int last_code;
  /* Hook bookkeeping (RFC 5321 3.3 order). */
  unsigned hook_calls;
  unsigned pending; /* 2 or 3 while a hook is PENDING */
  char pending_kind;
  bool in_data, txn_open, authed, tls;
  unsigned rcpts_ok;
  /* One reply per command: replies since the current command line began. */
  size_t unit_replies;
  int unit_first;
  bool unit_data;
  char prev_octet;
  size_t octet_pos;         /* client octets fed so far (octet-wise run) */
  struct smtp_reply *reply; /* scratch, too big for the stack of a fuzz loop */
  uint64_t seed;            /* hash of the whole input: hook reply shapes, partial sends */
  size_t ndrain;            /* drains so far (input-chosen run: some send only part) */
  size_t classes[6];        /* replies seen per first digit */
  unsigned data_ends;       /* data_end calls */
  struct repro_check check; /* the first broken rule */
};

/* srv_config - the server configuration the controls choose. */
static void srv_config(const struct gen_session *in, struct smtp_server_config *cfg) {
  unsigned opts = gen_session_ctl(in, GEN_SRV_OPTS);
  unsigned off = gen_session_ctl(in, GEN_SRV_EXT_A) | gen_session_ctl(in, GEN_SRV_EXT_B) << 4 |
                 (gen_session_ctl(in, GEN_SRV_EXT_C) & 3u) << 8;
  memset(cfg, 0, sizeof *cfg);
  cfg->hostname = "mx.fuzz.example";
  cfg->extensions = SMTP_EXT_ALL & ~off;
  cfg->auth_mechanisms = "PLAIN LOGIN";
  cfg->auth_requires_tls = (opts & 2) != 0;
  cfg->mail_requires_auth = (opts & 4) != 0;
  if (opts & 8) {
    cfg->max_size = 2000;
    cfg->max_errors = 3;
    cfg->max_auth_failures = 2;
  }
}

/* srv_mix - a deterministic choice from the input's hash and a counter. */
static unsigned srv_mix(uint64_t seed, uint64_t k) {
  uint64_t x = seed ^ (k + 1) * 0x9e3779b97f4a7c15u;
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9u;
  x ^= x >> 29;
  return (unsigned)(x >> 32);
}

/* srv_hash - FNV-1a over the input, so both runs make the same choices. */
static uint64_t srv_hash(const uint8_t *data, size_t size) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < size; i++)
    h = (h ^ data[i]) * 0x100000001b3u;
  return h;
}

/* srv_next_answer - the input's answer for the next hook call (two per control field). */
static unsigned srv_next_answer(struct srv_run *r) {
  unsigned k = r->hook_calls++;
  unsigned v = gen_session_ctl(r->in, GEN_SRV_HOOKS + (k / 2) % GEN_SRV_HOOK_FIELDS);
  return k % 2 == 0 ? v & 3u : (v >> 2) & 3u;
}

/* srv_reject_reply - what a rejecting hook of this kind says. */
static void srv_reject_reply(char kind, struct smtp_hook_reply *reply) {
  switch (kind) {
  case 'M':
    *reply = (struct smtp_hook_reply){553, "5.1.8", "fuzz hook refuses the sender"};
    break;
  case 'R':
    *reply = (struct smtp_hook_reply){550, "5.1.1", "fuzz hook refuses the recipient"};
    break;
  case 'A':
    *reply = (struct smtp_hook_reply){535, "5.7.8", "fuzz hook refuses the credentials"};
    break;
  default:
    *reply = (struct smtp_hook_reply){554, "5.6.0", "fuzz hook refuses the message"};
  }
}

/* srv_shape_reply - vary a hook's reply as the input's hash says for call k: as given,
 * code 0 (the engine's default), no enhanced code, an enhanced code of another class, no
 * text, control octets in the text; accepting hooks may give their own 2xx. */
static void srv_shape_reply(const struct srv_run *r, unsigned k, char kind, bool accept,
                            struct smtp_hook_reply *reply) {
  unsigned v = srv_mix(r->seed, 1000u + k) % 8u;
  if (accept) {
    if (v == 1)
      *reply = (struct smtp_hook_reply){kind == 'A' ? 235 : 250, NULL, "fuzz hook agrees"};
    else if (v == 2)
      *reply = (struct smtp_hook_reply){kind == 'A' ? 235 : 250, "2.1.0", NULL};
    else if (v == 3)
      *reply = (struct smtp_hook_reply){251, "5.0.0", "fuzz\r\nhook\n\tagrees\x7f"};
    return;
  }
  switch (v) {
  case 1:
    reply->code = 0; /* the engine's default */
    break;
  case 2:
    reply->enhanced = NULL; /* RFC 3463 3.1: the default or X.0.0 */
    break;
  case 3:
    reply->enhanced = "2.0.0"; /* wrong class */
    break;
  case 4:
    reply->text = NULL;
    break;
  case 5:
    reply->code = 250; /* a 2xx with a REJECT: the default must be used */
    break;
  case 6:
    *reply = (struct smtp_hook_reply){450, "4.9.99", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj"};
    break;
  default:
    break;
  }
}

/* srv_accepted - bookkeeping once a hook's decision is final. */
static void srv_accepted(struct srv_run *r, char kind, bool accept) {
  if (kind == 'M' && accept) {
    r->txn_open = true;
    r->rcpts_ok = 0;
  } else if (kind == 'R' && accept) {
    r->rcpts_ok++;
  } else if (kind == 'A' && accept) {
    r->authed = true;
  }
}

/* srv_answer - answer a hook as the input says; log the call for the run comparison. */
static enum smtp_hook_status srv_answer(struct srv_run *r, char kind,
                                        struct smtp_hook_reply *reply) {
  static const char *const names[] = {"ACCEPT", "REJECT", "PENDING (then ACCEPT)",
                                      "PENDING (then REJECT)"};
  unsigned a = srv_next_answer(r);
  gen_buf_putc(&r->log, kind);
  gen_buf_putc(&r->log, (char)('0' + a));
  repro_note(r->trace, "hook %s -> %s",
             kind == 'M'   ? "mail"
             : kind == 'R' ? "rcpt"
             : kind == 'A' ? "auth"
                           : "data_end",
             names[a]);
  if (a == 1)
    srv_reject_reply(kind, reply);
  if (a < 2)
    srv_shape_reply(r, r->hook_calls - 1, kind, a == 0, reply);
  if (a >= 2) {
    r->pending = a;
    r->pending_kind = kind;
    return SMTP_HOOK_PENDING;
  }
  srv_accepted(r, kind, a == 0);
  return a == 0 ? SMTP_HOOK_ACCEPT : SMTP_HOOK_REJECT;
}

/* srv_hook_mail - MAIL FROM passed syntax and state: no open transaction, AUTH if needed. */
static enum smtp_hook_status srv_hook_mail(void *ctx, const struct smtp_command *cmd,
                                           struct smtp_hook_reply *reply) {
  struct srv_run *r = ctx;
  if (cmd->verb != SMTP_VERB_MAIL)
    repro_fail(&r->check, "mail hook called for verb %d", (int)cmd->verb);
  if (r->txn_open)
    repro_fail(&r->check,
               "mail hook called inside an open transaction (RFC 5321 4.1.4: nested MAIL)");
  if (r->cfg.mail_requires_auth && !r->authed)
    repro_fail(&r->check, "mail hook called before AUTH though mail_requires_auth (530 expected)");
  return srv_answer(r, 'M', reply);
}

/* srv_hook_rcpt - RCPT TO passed syntax and state: only inside a transaction (3.3). */
static enum smtp_hook_status srv_hook_rcpt(void *ctx, const struct smtp_command *cmd,
                                           struct smtp_hook_reply *reply) {
  struct srv_run *r = ctx;
  if (cmd->verb != SMTP_VERB_RCPT)
    repro_fail(&r->check, "rcpt hook called for verb %d", (int)cmd->verb);
  if (!r->txn_open)
    repro_fail(&r->check, "rcpt hook called without an accepted MAIL (RFC 5321 3.3: 503 expected)");
  return srv_answer(r, 'R', reply);
}

/* srv_hook_data_begin - content starts: only after an accepted RCPT (RFC 5321 3.3). */
static void srv_hook_data_begin(void *ctx) {
  struct srv_run *r = ctx;
  gen_buf_putc(&r->log, 'B');
  if (r->in_data)
    repro_fail(&r->check, "data_begin called twice");
  if (!r->txn_open || r->rcpts_ok == 0)
    repro_fail(&r->check, "message content begins without an accepted RCPT (RFC 5321 3.3)");
  r->in_data = true;
}

/* srv_hook_data_chunk - content, kept for the comparison of the two runs. */
static void srv_hook_data_chunk(void *ctx, const char *data, size_t len) {
  struct srv_run *r = ctx;
  if (!r->in_data)
    repro_fail(&r->check, "data_chunk outside data_begin .. data_end");
  gen_buf_put(&r->content, data, len);
}

/* srv_hook_data_end - content complete: only after data_begin. */
static enum smtp_hook_status srv_hook_data_end(void *ctx, unsigned defects,
                                               struct smtp_hook_reply *reply) {
  struct srv_run *r = ctx;
  if (!r->in_data)
    repro_fail(&r->check, "data_end without data_begin");
  r->in_data = false;
  r->txn_open = false;
  r->data_ends++;
  gen_buf_printf(&r->log, "E%x", defects);
  return srv_answer(r, 'E', reply);
}

/* srv_hook_reset - the transaction ended without data_end. */
static void srv_hook_reset(void *ctx) {
  struct srv_run *r = ctx;
  gen_buf_putc(&r->log, 'X');
  r->in_data = false;
  r->txn_open = false;
}

/* srv_hook_auth - credentials: not in clear when TLS is required, not twice (RFC 4954). */
static enum smtp_hook_status srv_hook_auth(void *ctx, const char *mechanism, const char *user,
                                           size_t user_len, const char *pass, size_t pass_len,
                                           struct smtp_hook_reply *reply) {
  struct srv_run *r = ctx;
  if (mechanism == NULL || (user_len > 0 && user == NULL) || (pass_len > 0 && pass == NULL))
    repro_fail(&r->check, "auth hook given NULL credentials");
  if (r->cfg.auth_requires_tls && !r->tls)
    repro_fail(&r->check, "auth hook called without TLS though auth_requires_tls (538 expected)");
  if (r->authed)
    repro_fail(&r->check, "auth hook called after a successful AUTH (RFC 4954 4: 503 expected)");
  return srv_answer(r, 'A', reply);
}

static const struct smtp_server_hooks srv_hooks = {
    srv_hook_mail,     srv_hook_rcpt,  srv_hook_data_begin, srv_hook_data_chunk,
    srv_hook_data_end, srv_hook_reset, srv_hook_auth,
};

/* srv_state_known - a name the engine's trace may give (smtp/server.h). */
static bool srv_state_known(const char *name) {
  static const char *const names[] = {"COMMAND", "SKIP",    "DATA",     "BDAT",   "BDAT_DISCARD",
                                      "AUTH",    "PENDING", "STARTTLS", "CLOSING"};
  for (size_t i = 0; name != NULL && i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0)
      return true;
  return false;
}

/* srv_on_state - engine state changes: valid names, a real change, nothing after CLOSING. */
static void srv_on_state(void *ctx, const char *old_state, const char *new_state) {
  struct srv_run *r = ctx;
  if (!srv_state_known(old_state) || !srv_state_known(new_state))
    repro_fail(&r->check, "trace gives unknown state names \"%s\" -> \"%s\"",
               old_state ? old_state : "(null)", new_state ? new_state : "(null)");
  else if (strcmp(old_state, new_state) == 0 || strcmp(old_state, "CLOSING") == 0)
    repro_fail(&r->check, "trace reports %s -> %s (no change, or leaving CLOSING)", old_state,
               new_state);
  repro_note(r->trace, "state %s -> %s", old_state, new_state);
}

/* srv_check_ehlo - an EHLO reply offers only what may be offered now. */
static void srv_check_ehlo(struct srv_run *r, const struct smtp_reply *rep) {
  if (rep->code != 250 || rep->nlines < 2)
    return;
  /* RFC 3207 4.2: STARTTLS is not offered once TLS is up. */
  if (r->tls && smtp_reply_keyword(rep, "STARTTLS", NULL, NULL))
    repro_fail(&r->check, "EHLO under TLS offers STARTTLS (RFC 3207 4.2)");
  if (r->cfg.auth_requires_tls && !r->tls && smtp_reply_keyword(rep, "AUTH", NULL, NULL))
    repro_fail(&r->check, "EHLO offers AUTH in clear though auth_requires_tls");
  for (unsigned bit = 1; bit <= SMTP_EXT_AUTH; bit <<= 1) {
    const char *kw = smtp_ext_name(bit);
    if (!(r->cfg.extensions & bit) && kw != NULL && smtp_reply_keyword(rep, kw, NULL, NULL))
      repro_fail(&r->check, "EHLO offers %s, which the configuration withdrew", kw);
  }
}

/* srv_take - send the engine's output: all of it, or (input-chosen run, when the input's
 * hash says so and `all` is false) only part, leaving the rest for a later call. */
static void srv_take(struct srv_run *r, bool all) {
  size_t len;
  const char *p = smtp_server_output(r->s, &len);
  while (len > 0) {
    unsigned v = srv_mix(r->seed, 2000000u + r->ndrain++);
    size_t n = len;
    if (!all && !r->octetwise && len > 1 && v % 4u == 0)
      n = 1 + (v >> 8) % (len - 1);
    gen_buf_put(&r->out, p, n);
    smtp_server_output_done(r->s, n);
    if (n < len)
      return;
    p = smtp_server_output(r->s, &len);
  }
}

/* srv_drain_some - take output (maybe only part); parse and check every complete reply. */
static void srv_drain_some(struct srv_run *r, bool all) {
  size_t before = r->out.sb.len;
  srv_take(r, all);
  if (r->out.sb.len == before)
    return;
  while (!r->check.failed && r->reply_pos < r->out.sb.len) {
    const char *at = r->out.sb.p + r->reply_pos;
    ssize_t n = smtp_reply_parse(at, r->out.sb.len - r->reply_pos, r->reply);
    if (n == -2)
      break;
    if (n < 0) {
      repro_fail(&r->check, "server output is not a reply: \"%.60s\"", at);
      break;
    }
    repro_emit(r->trace, REPRO_EV_SERVER, at, (size_t)n);
    if (r->reply->defects != 0)
      repro_fail(&r->check, "server reply \"%.60s\" has defect: %s", at,
                 smtp_reply_defect_text(r->reply->defects & -r->reply->defects));
    if (r->nreplies == 0 && r->reply->code != 220 && r->reply->code != 421 && r->reply->code != 554)
      repro_fail(&r->check, "greeting is %d, not 220/421/554 (RFC 5321 3.1)", r->reply->code);
    srv_check_ehlo(r, r->reply);
    if (r->reply->code / 100 >= 0 && r->reply->code / 100 < 6)
      r->classes[r->reply->code / 100]++;
    if (r->unit_replies == 0)
      r->unit_first = r->reply->code;
    r->unit_replies++;
    r->nreplies++;
    r->last_code = r->reply->code;
    r->reply_pos += (size_t)n;
  }
}

/* srv_drain - take all the engine's output and check it. */
static void srv_drain(struct srv_run *r) {
  srv_drain_some(r, true);
}

/* srv_resolve - answer a PENDING hook at once with the input's final decision. */
static void srv_resolve(struct srv_run *r) {
  while (!r->check.failed && smtp_server_state(r->s) == SMTP_SERVER_PENDING) {
    if (r->pending < 2) {
      repro_fail(&r->check, "engine is PENDING though no hook answered PENDING");
      return;
    }
    bool accept = r->pending == 2;
    struct smtp_hook_reply reply = {0, NULL, NULL};
    if (!accept)
      srv_reject_reply(r->pending_kind, &reply);
    srv_shape_reply(r, r->hook_calls - 1, r->pending_kind, accept, &reply);
    srv_accepted(r, r->pending_kind, accept);
    r->pending = 0;
    smtp_server_resume(r->s, accept ? SMTP_HOOK_ACCEPT : SMTP_HOOK_REJECT, &reply);
    srv_drain(r);
  }
}

/* srv_unit_end - RFC 5321 4.2 / RFC 2920: one reply per command (354 + final for DATA);
 * a 421 that closes the session may follow. */
static void srv_unit_end(struct srv_run *r) {
  size_t k = r->unit_replies;
  if (smtp_server_state(r->s) == SMTP_SERVER_CLOSING && r->last_code == 421 && k >= 2)
    k--;
  bool ok = r->unit_data ? (k == 1 || (k == 2 && r->unit_first == 354)) : k == 1;
  if (!ok)
    repro_fail(&r->check,
               "%zu replies to the command ending at client octet %zu; one expected (RFC 5321 "
               "4.2, RFC 2920)",
               r->unit_replies, r->octet_pos);
  r->unit_replies = 0;
  r->unit_data = false;
}

/* srv_account - after a whole reference read went in: did a command end? A read in the
 * command phase ends at the first LF, so at most one line ends, at its last octet. */
static void srv_account(struct srv_run *r, enum smtp_server_phase before, const char *read,
                        size_t n) {
  enum smtp_server_phase after = smtp_server_phase(r->s);
  char octet = read[n - 1], prev = n >= 2 ? read[n - 2] : r->prev_octet;
  bool line_end = before == SMTP_PHASE_COMMAND && octet == '\n' && prev == '\r';
  /* A CR that ended a DATA/BDAT block does not pair with the LF of the next command. */
  r->prev_octet = before == SMTP_PHASE_COMMAND && after == SMTP_PHASE_COMMAND ? octet : 0;
  if (after == SMTP_PHASE_DATA)
    r->unit_data = true;
  if ((line_end && after == SMTP_PHASE_COMMAND) ||
      (before == SMTP_PHASE_DATA && after == SMTP_PHASE_COMMAND))
    srv_unit_end(r);
}

/* srv_starttls - the engine asked for TLS after consuming up to pos in a read ending at
 * end: check the 220 is complete and last, discard the rest of the read, switch. */
static size_t srv_starttls(struct srv_run *r, size_t pos, size_t end) {
  srv_drain(r);
  if (r->reply_pos != r->out.sb.len)
    repro_fail(&r->check, "partial reply pending at the STARTTLS switch");
  if (r->last_code != 220)
    repro_fail(&r->check, "STARTTLS state after a %d reply, not 220 (RFC 3207 4)", r->last_code);
  if (!r->octetwise) {
    if (r->ntls < SRV_TLS_MAX)
      r->points[r->ntls] = (struct srv_tls_point){pos, end};
    r->ntls++;
  } else {
    if (r->ntls >= r->tls_known || r->ntls >= SRV_TLS_MAX) {
      repro_fail(&r->check,
                 "STARTTLS entered at octet %zu in line-by-line reads, never there with the "
                 "input's reads",
                 pos);
      return end;
    }
    if (r->points[r->ntls].at != pos)
      repro_fail(&r->check,
                 "STARTTLS entered at octet %zu in line-by-line reads but %zu with the "
                 "input's reads: pipelined plaintext consumed (RFC 3207 5, CVE-2011-0411)",
                 pos, r->points[r->ntls].at);
    end = r->points[r->ntls].to;
    r->ntls++;
  }
  repro_note(r->trace, "STARTTLS: discarding %zu unread plaintext octets, TLS handshake",
             end - pos);
  smtp_server_tls_started(r->s);
  r->tls = true;
  r->authed = false;
  r->txn_open = false;
  r->in_data = false;
  r->prev_octet = 0;
  r->unit_replies = 0;
  r->unit_data = false;
  if (!smtp_server_tls_active(r->s))
    repro_fail(&r->check, "smtp_server_tls_active is false after smtp_server_tls_started");
  if (smtp_server_state(r->s) != SMTP_SERVER_RUNNING)
    repro_fail(&r->check, "engine not RUNNING after smtp_server_tls_started");
  srv_drain(r);
  return end;
}

/* srv_closed - after a close the engine reads and writes nothing more. */
static void srv_closed(struct srv_run *r) {
  static const char more[] = "NOOP\r\n";
  srv_drain(r);
  size_t n = smtp_server_feed(r->s, more, sizeof more - 1);
  size_t len;
  smtp_server_output(r->s, &len);
  if (n != 0 || len != 0)
    repro_fail(&r->check, "engine consumed %zu octets / wrote %zu after CLOSING", n, len);
}

/* srv_check_facts - the session accessors agree with what the replies said. */
static void srv_check_facts(struct srv_run *r) {
  const char *helo = smtp_server_helo(r->s), *user = smtp_server_auth_user(r->s);
  if (helo == NULL) {
    repro_fail(&r->check, "smtp_server_helo returned NULL (\"\" expected before HELO/EHLO)");
    return;
  }
  /* RFC 5321 4.1.1.1: EHLO (ESMTP) names the client. */
  if (smtp_server_is_esmtp(r->s) && helo[0] == '\0')
    repro_fail(&r->check, "session is ESMTP but smtp_server_helo is empty");
  if (smtp_server_tls_active(r->s) != r->tls)
    repro_fail(&r->check, "smtp_server_tls_active is %d, TLS is %d", smtp_server_tls_active(r->s),
               r->tls);
  /* RFC 4954 4: a user only after an accepted AUTH; smtp_server_auth_user names it. */
  if (user != NULL && !r->authed)
    repro_fail(&r->check, "smtp_server_auth_user is \"%.40s\" though no AUTH was accepted", user);
  if (smtp_server_state(r->s) == SMTP_SERVER_RUNNING &&
      smtp_server_phase(r->s) == SMTP_PHASE_DATA && smtp_server_line_pending(r->s))
    repro_fail(&r->check, "a command line is pending inside message content");
}

/* srv_check_stats - the counters agree with the replies seen and the hook calls. */
static void srv_check_stats(struct srv_run *r) {
  const struct smtp_server_stats *st = smtp_server_stats(r->s);
  size_t k = r->classes[2] + r->classes[3] + r->classes[4] + r->classes[5];
  if (st->replies_2xx != r->classes[2] || st->replies_3xx != r->classes[3] ||
      st->replies_4xx != r->classes[4] || st->replies_5xx != r->classes[5])
    repro_fail(&r->check,
               "stats count %llu/%llu/%llu/%llu 2xx/3xx/4xx/5xx replies; %zu/%zu/%zu/%zu sent "
               "(%zu in all)",
               (unsigned long long)st->replies_2xx, (unsigned long long)st->replies_3xx,
               (unsigned long long)st->replies_4xx, (unsigned long long)st->replies_5xx,
               r->classes[2], r->classes[3], r->classes[4], r->classes[5], k);
  else if (st->messages > r->data_ends)
    repro_fail(&r->check, "stats count %llu messages; data_end was called %u times",
               (unsigned long long)st->messages, r->data_ends);
  else if (st->commands > r->in->stream_len)
    repro_fail(&r->check, "stats count %llu commands in %zu octets",
               (unsigned long long)st->commands, r->in->stream_len);
  else if (st->message_octets > r->in->stream_len)
    repro_fail(&r->check, "stats count %llu message octets in %zu octets of input",
               (unsigned long long)st->message_octets, r->in->stream_len);
}

/* srv_feed_all - the input's stream, in the input's reads or in the reference reads. */
static void srv_feed_all(struct srv_run *r) {
  const char *st = r->in->stream;
  size_t len = r->in->stream_len, pos = 0;
  for (size_t k = 0; pos < len && !r->check.failed; k++) {
    if (smtp_server_state(r->s) == SMTP_SERVER_CLOSING)
      break;
    enum smtp_server_phase before = smtp_server_phase(r->s);
    size_t start = pos, end;
    if (!r->octetwise) {
      end = pos + gen_session_read_len(r->in, GEN_SRV_READS, k, st + pos, len - pos);
    } else if (before == SMTP_PHASE_DATA) {
      end = pos + 1; /* a BDAT chunk may end at any octet */
    } else {
      const char *lf = memchr(st + pos, '\n', len - pos);
      end = lf != NULL ? (size_t)(lf - st) + 1 : len;
    }
    if (!r->octetwise)
      repro_emit(r->trace, REPRO_EV_CLIENT, st + pos, end - pos);
    while (pos < end && !r->check.failed) {
      size_t held;
      smtp_server_output(r->s, &held); /* output a partial send left behind */
      size_t n = smtp_server_feed(r->s, st + pos, end - pos);
      if (n > end - pos) {
        repro_fail(&r->check, "feed consumed %zu of %zu octets", n, end - pos);
        return;
      }
      pos += n;
      srv_drain_some(r, false);
      srv_resolve(r);
      srv_check_facts(r);
      enum smtp_server_state state = smtp_server_state(r->s);
      if (r->last_code == 221 && state != SMTP_SERVER_CLOSING)
        repro_fail(&r->check, "221 sent but the engine is not CLOSING (RFC 5321 4.1.1.10)");
      r->octet_pos = pos;
      if (r->octetwise && pos == end)
        srv_account(r, before, st + start, end - start);
      if (state == SMTP_SERVER_STARTTLS) {
        pos = end = srv_starttls(r, pos, end);
        break;
      }
      if (state == SMTP_SERVER_CLOSING) {
        if (pos < len)
          repro_note(r->trace, "server closed: %zu octets never read", len - pos);
        break;
      }
      if (n == 0 && held > 0) {
        srv_drain(r); /* the output buffer was full: send it all, feed again */
        continue;
      }
      if (n == 0) {
        repro_fail(&r->check, "engine RUNNING with empty output consumed nothing at octet %zu",
                   pos);
        return;
      }
    }
  }
}

/* srv_finish - the end of the input: a timeout or shutdown if asked, the close checks. */
static void srv_finish(struct srv_run *r) {
  unsigned c = gen_session_ctl(r->in, GEN_SRV_EXT_C);
  srv_drain(r);
  if (!r->check.failed && smtp_server_state(r->s) == SMTP_SERVER_RUNNING && (c & 12u)) {
    repro_note(r->trace, "%s", (c & 4u) ? "idle timeout" : "daemon shutdown");
    if (c & 4u)
      smtp_server_timeout(r->s);
    else
      smtp_server_shutdown(r->s);
    srv_drain(r);
    if (r->last_code != 421 || smtp_server_state(r->s) != SMTP_SERVER_CLOSING)
      repro_fail(&r->check, "timeout/shutdown gave %d and no CLOSING (421 expected, RFC 5321 3.8)",
                 r->last_code);
  }
  if (!r->check.failed && r->last_code == 221 && smtp_server_state(r->s) != SMTP_SERVER_CLOSING)
    repro_fail(&r->check, "221 sent but the engine is not CLOSING");
  if (!r->check.failed && smtp_server_state(r->s) == SMTP_SERVER_CLOSING)
    srv_closed(r);
  if (!r->check.failed && r->reply_pos != r->out.sb.len)
    repro_fail(&r->check, "the output ends in a partial reply: \"%.60s\"",
               r->out.sb.p + r->reply_pos);
  if (!r->check.failed)
    srv_check_stats(r);
}

/* srv_run_once - one whole run; the engine is freed at the end. */
static void srv_run_once(struct srv_run *r) {
  bool implicit = gen_session_ctl(r->in, GEN_SRV_OPTS) & 1u;
  r->tls = implicit;
  r->s = smtp_server_new(&r->cfg, &srv_hooks, r, implicit);
  if (r->s == NULL) {
    repro_fail(&r->check, "smtp_server_new failed");
    return;
  }
  if (smtp_server_session_size() == 0)
    repro_fail(&r->check, "smtp_server_session_size is only %zu", smtp_server_session_size());
  smtp_server_set_trace(r->s, srv_on_state, r);
  srv_drain(r);
  if (r->nreplies != 1 && !r->check.failed)
    repro_fail(&r->check, "%zu replies before any input; one greeting expected", r->nreplies);
  r->unit_replies = 0;
  srv_feed_all(r);
  srv_finish(r);
  smtp_server_free(r->s);
  r->s = NULL;
}

/* srv_run_free - release a run's buffers. */
static void srv_run_free(struct srv_run *r) {
  gen_buf_free(&r->out);
  gen_buf_free(&r->content);
  gen_buf_free(&r->log);
  free(r->reply);
  r->reply = NULL;
}

/* srv_buf_same - equal contents (empty buffers have no data pointer). */
static bool srv_buf_same(const struct gen_buf *x, const struct gen_buf *y) {
  return x->sb.len == y->sb.len && (x->sb.len == 0 || memcmp(x->sb.p, y->sb.p, x->sb.len) == 0);
}

/* srv_same - the two runs must agree octet for octet. */
static void srv_same(struct srv_run *a, struct srv_run *b) {
  if (!srv_buf_same(&a->out, &b->out)) {
    size_t i = 0;
    while (i < a->out.sb.len && i < b->out.sb.len && a->out.sb.p[i] == b->out.sb.p[i])
      i++;
    repro_fail(&b->check,
               "replies depend on read boundaries: they differ from octet %zu (\"%.40s\" vs "
               "\"%.40s\")",
               i, i < a->out.sb.len ? a->out.sb.p + i : "",
               i < b->out.sb.len ? b->out.sb.p + i : "");
  } else if (!srv_buf_same(&a->content, &b->content)) {
    repro_fail(&b->check, "message content depends on read boundaries (%zu vs %zu octets)",
               a->content.sb.len, b->content.sb.len);
  } else if (!srv_buf_same(&a->log, &b->log)) {
    repro_fail(&b->check, "hook calls depend on read boundaries (%s vs %s)",
               a->log.sb.p ? a->log.sb.p : "", b->log.sb.p ? b->log.sb.p : "");
  } else if (a->ntls != b->ntls) {
    repro_fail(&b->check, "%zu STARTTLS switches with the input's reads, %zu line by line", a->ntls,
               b->ntls);
  }
}

/* repro_server_session - see repro_session.h. */
int repro_server_session(const uint8_t *data, size_t size, const struct repro_trace *trace,
                         char *why, size_t whylen) {
  struct gen_session in;
  struct srv_run *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  int rc = -1;

  if (whylen > 0)
    why[0] = '\0';
  if (a == NULL || b == NULL) {
    snprintf(why, whylen, "out of memory");
    goto out;
  }
  gen_session_decode(data, size, &in);
  a->in = b->in = &in;
  srv_config(&in, &a->cfg);
  b->cfg = a->cfg;
  a->trace = trace;
  a->check = b->check = (struct repro_check){why, whylen, false};
  a->reply = malloc(sizeof *a->reply);
  b->reply = malloc(sizeof *b->reply);
  if (a->reply == NULL || b->reply == NULL) {
    snprintf(why, whylen, "out of memory");
    goto out;
  }
  a->seed = b->seed = srv_hash(data, size);
  srv_run_once(a);
  if (a->check.failed)
    goto out;
  b->octetwise = true;
  memcpy(b->points, a->points, sizeof a->points);
  b->tls_known = a->ntls;
  srv_run_once(b);
  if (b->check.failed)
    goto out;
  srv_same(a, b);
  if (b->check.failed)
    goto out;
  rc = (a->out.failed || b->out.failed) ? -1 : 0;
  if (rc != 0)
    snprintf(why, whylen, "out of memory");
out:
  if (a != NULL)
    srv_run_free(a);
  if (b != NULL)
    srv_run_free(b);
  free(a);
  free(b);
  return rc;
}
