/* hooks.c - refsmtpd's answers to the engine: recipient policy, Maildir storage, AUTH.
 * Each transaction is written once into the one Maildir, whatever its recipients. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "smtp/data.h"
#include "trace.h"

/* Message file writes are gathered into blocks of this size. */
#define STORE_BUF_SIZE 32768

/* format_path - "local@domain", "postmaster" or "" (null path) into buf. */
static void format_path(const struct smtp_path *p, char *buf, size_t cap) {
  size_t o = 0;
  if (p->is_null) {
    buf[0] = '\0';
    return;
  }
  if (p->local != NULL && p->local_len < cap) {
    memcpy(buf, p->local, p->local_len);
    o = p->local_len;
  }
  if (p->domain != NULL && p->domain_len > 0 && o + 1 + p->domain_len < cap) {
    buf[o++] = '@';
    memcpy(buf + o, p->domain, p->domain_len);
    o += p->domain_len;
  }
  buf[o] = '\0';
}

/* spool_abort - remove an unpublished file and free its buffer. */
static void spool_abort(struct maildir *md, struct spool_out *o) {
  if (o->storing && !o->published)
    maildir_abort(md, &o->msg);
  free(o->buf);
  o->buf = NULL;
}

/* txn_free - end a session's transaction, removing unpublished files. */
void txn_free(struct session *s) {
  struct txn *t = s->txn;
  if (t == NULL)
    return;
  spool_abort(&s->d->maildir, &t->mail);
  if (s->d->have_queue)
    spool_abort(&s->d->queue.md, &t->queue);
  for (size_t i = 0; i < t->nrelay; i++)
    free(t->relay_rcpts[i]);
  free(t->relay_rcpts);
  free(t);
  s->txn = NULL;
}

/* txn_new - start a transaction record (MAIL accepted). */
static struct txn *txn_new(struct session *s) {
  struct txn *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->mail.msg.fd = -1;
  t->queue.msg.fd = -1;
  snprintf(t->id, sizeof(t->id), "%" PRIx64 "S%" PRIu64 "M%" PRIu64, s->d->start_time, s->id,
           s->messages_stored + 1);
  s->txn = t;
  return t;
}

/* resources_reply - 452 4.3.1 (RFC 5321 4.3.2 allows it for MAIL, RCPT and DATA). */
static enum smtp_hook_status resources_reply(struct smtp_hook_reply *reply) {
  reply->code = 452;
  reply->enhanced = "4.3.1";
  reply->text = "Insufficient system resources";
  return SMTP_HOOK_REJECT;
}

/* hook_mail - remember the reverse-path. */
static enum smtp_hook_status hook_mail(void *ctx, const struct smtp_command *cmd,
                                       struct smtp_hook_reply *reply) {
  struct session *s = ctx;
  struct txn *t;
  txn_free(s);
  t = txn_new(s);
  if (t == NULL)
    return resources_reply(reply);
  format_path(&cmd->path, t->reverse_path, sizeof(t->reverse_path));
  t->binary = cmd->body == SMTP_BODY_BINARYMIME;
  return SMTP_HOOK_ACCEPT;
}

/* add_relay_rcpt - remember a recipient for the queue file. 0 or -1. */
static int add_relay_rcpt(struct txn *t, const char *addr) {
  char **grown = realloc(t->relay_rcpts, (t->nrelay + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  t->relay_rcpts = grown;
  grown[t->nrelay] = strdup(addr);
  if (grown[t->nrelay] == NULL)
    return -1;
  t->nrelay++;
  return 0;
}

/* route_rcpt - with a queue: local, relayed (for clients that may relay) or refused. */
static enum smtp_hook_status route_rcpt(struct session *s, const struct smtp_command *cmd,
                                        bool authenticated, struct smtp_hook_reply *reply,
                                        bool *relay) {
  const struct smtp_path *p = &cmd->path;
  bool has_route =
      p->domain != NULL && routes_next_hop(&s->d->routes, p->domain, p->domain_len) != NULL;
  switch (policy_route(&s->d->policy, p, authenticated || s->may_relay, has_route, reply)) {
  case RCPT_LOCAL:
    *relay = false;
    return SMTP_HOOK_ACCEPT;
  case RCPT_RELAY:
    *relay = true;
    return SMTP_HOOK_ACCEPT;
  case RCPT_REFUSED:
    break;
  }
  return SMTP_HOOK_REJECT;
}

/* hook_rcpt - recipient policy; remember the first accepted recipient and the relayed. */
static enum smtp_hook_status hook_rcpt(void *ctx, const struct smtp_command *cmd,
                                       struct smtp_hook_reply *reply) {
  struct session *s = ctx;
  bool authenticated = smtp_server_auth_user(s->srv) != NULL, relay = false;
  char addr[SMTP_PATH_MAX + 2];
  enum smtp_hook_status st;

  if (s->d->have_queue)
    st = route_rcpt(s, cmd, authenticated, reply, &relay);
  else
    st = policy_rcpt(&s->d->policy, &cmd->path, authenticated, reply);
  if (st != SMTP_HOOK_ACCEPT)
    return st;
  if (s->txn == NULL && txn_new(s) == NULL)
    return resources_reply(reply);
  format_path(&cmd->path, addr, sizeof(addr));
  if (relay && s->txn->binary) {
    /* RFC 3030 3: BINARYMIME cannot go out as DATA, and the relay sends DATA. */
    reply->code = 550;
    reply->enhanced = "5.6.3";
    reply->text = "BINARYMIME content cannot be relayed";
    return SMTP_HOOK_REJECT;
  }
  if (relay) {
    if (add_relay_rcpt(s->txn, addr) != 0)
      return resources_reply(reply);
  } else {
    s->txn->has_local = true;
  }
  if (s->txn->nrcpt++ == 0)
    memcpy(s->txn->first_rcpt, addr, sizeof(addr));
  return SMTP_HOOK_ACCEPT;
}

/* store_fail - remember the first write error of a message. */
static void store_fail(struct txn *t) {
  if (!t->failed) {
    t->failed = true;
    t->errno_saved = errno;
  }
}

/* store_flush - write one file's gathered block. */
static void store_flush(struct txn *t, struct spool_out *o) {
  if (t->failed || !o->storing || o->buf_len == 0)
    return;
  if (maildir_write(&o->msg, o->buf, o->buf_len) != 0)
    store_fail(t);
  o->buf_len = 0;
}

/* store_append_one - gather octets for one file, writing full blocks. */
static void store_append_one(struct txn *t, struct spool_out *o, const char *data, size_t len) {
  if (t->failed || !o->storing)
    return;
  if (o->buf_len + len > STORE_BUF_SIZE) {
    store_flush(t, o);
    if (len >= STORE_BUF_SIZE) {
      if (maildir_write(&o->msg, data, len) != 0)
        store_fail(t);
      return;
    }
  }
  memcpy(o->buf + o->buf_len, data, len);
  o->buf_len += len;
}

/* spool_begin - open a file in md's tmp/ with its write buffer. 0 or -1 (txn failed). */
static int spool_begin(struct txn *t, struct maildir *md, struct spool_out *o) {
  o->buf = malloc(STORE_BUF_SIZE);
  if (o->buf == NULL) {
    errno = ENOMEM;
    store_fail(t);
    return -1;
  }
  if (maildir_begin(md, &o->msg) != 0) {
    store_fail(t);
    return -1;
  }
  o->storing = true;
  return 0;
}

/* begin_queue_file - the queue file: envelope first, then our Received: line. */
static void begin_queue_file(struct session *s, struct txn *t, const char *received) {
  struct daemon *d = s->d;
  size_t cap = 512 + strlen(t->reverse_path);
  char *env;
  int n;

  for (size_t i = 0; i < t->nrelay; i++)
    cap += 16 + strlen(t->relay_rcpts[i]);
  if (spool_begin(t, &d->queue.md, &t->queue) != 0)
    return;
  env = malloc(cap);
  if (env == NULL) {
    errno = ENOMEM;
    store_fail(t);
    return;
  }
  n = queue_envelope_format(env, cap, t->id, (uint64_t)time(NULL), t->reverse_path,
                            (const char *const *)t->relay_rcpts, t->nrelay);
  if (n < 0) {
    errno = EINVAL;
    store_fail(t);
  } else {
    store_append_one(t, &t->queue, env, (size_t)n);
    /* RFC 5321 4.4: a relay adds Received: but not Return-Path: (final delivery only). */
    store_append_one(t, &t->queue, received, strlen(received));
  }
  free(env);
}

/* hook_data_begin - open the Maildir file (if a recipient is local) and the queue file
 * (if one is relayed); write the trace fields first. */
static void hook_data_begin(void *ctx) {
  struct session *s = ctx;
  struct daemon *d = s->d;
  struct txn *t = s->txn;
  struct trace_info ti;
  char trace[2048];
  const char *received;
  int n;

  if (t == NULL && (t = txn_new(s)) == NULL)
    return;
  memset(&t->received, 0, sizeof(t->received));
  t->octets = 0;
  if (d->opt->no_store)
    return;
  memset(&ti, 0, sizeof(ti));
  /* RFC 5321 4.4: we are the final delivery, so we add Return-Path: with the
   * reverse-path, then our Received: line, before the content. */
  ti.reverse_path = t->reverse_path;
  ti.helo = smtp_server_helo(s->srv);
  ti.client_ip = s->peer;
  ti.client_ipv6 = s->peer_v6;
  ti.hostname = d->hostname;
  ti.esmtp = smtp_server_is_esmtp(s->srv);
  ti.tls = smtp_server_tls_active(s->srv);
  ti.auth = smtp_server_auth_user(s->srv) != NULL;
  ti.id = t->id;
  ti.for_rcpt = t->nrcpt == 1 ? t->first_rcpt : NULL;
  ti.date = time(NULL);
  n = trace_format(&ti, trace, sizeof(trace));
  if (n < 0) {
    errno = ENAMETOOLONG;
    store_fail(t);
    return;
  }
  received = strstr(trace, "\r\n") + 2; /* the Received: field, without Return-Path: */
  if (t->has_local || t->nrelay == 0) {
    if (spool_begin(t, &d->maildir, &t->mail) == 0)
      store_append_one(t, &t->mail, trace, (size_t)n);
  }
  if (t->nrelay > 0)
    begin_queue_file(s, t, received);
}

/* hook_data_chunk - append unstuffed content; count Received: fields as they pass. */
static void hook_data_chunk(void *ctx, const char *data, size_t len) {
  struct session *s = ctx;
  struct txn *t = s->txn;
  if (t == NULL)
    return;
  received_feed(&t->received, data, len);
  t->octets += len;
  store_append_one(t, &t->mail, data, len);
  store_append_one(t, &t->queue, data, len);
}

/* txn_log - one line per transaction (peer text cleaned). */
void txn_log(const struct session *s, const char *outcome) {
  const struct txn *t = s->txn;
  char from[sizeof(t->reverse_path)];
  if (s->d->opt->quiet || t == NULL)
    return;
  log_clean(t->reverse_path, strlen(t->reverse_path), from, sizeof(from));
  log_msg("session %llu message %s from=<%s> rcpts=%u octets=%llu: %s", (unsigned long long)s->id,
          t->id, from, t->nrcpt, (unsigned long long)t->octets, outcome);
}

/* txn_failure_reply - the reply for a message we could not store. */
void txn_failure_reply(const struct txn *t, struct smtp_hook_reply *reply) {
  /* RFC 3463 4.3.1: mail system full; otherwise 4.3.0, a local error (RFC 5321 451). */
  if (t != NULL && (t->errno_saved == ENOSPC || t->errno_saved == EDQUOT)) {
    reply->code = 452;
    reply->enhanced = "4.3.1";
    reply->text = "Insufficient system storage";
  } else {
    reply->code = 451;
    reply->enhanced = "4.3.0";
    reply->text = "Cannot store the message now, try later";
  }
}

/* hook_data_end - refuse defective content, else hand the file to the fsync batch. */
static enum smtp_hook_status hook_data_end(void *ctx, unsigned defects,
                                           struct smtp_hook_reply *reply) {
  struct session *s = ctx;
  struct txn *t = s->txn;
  unsigned bad = SMTP_DATA_BARE_CR | SMTP_DATA_BARE_LF | SMTP_DATA_NUL;

  /* RFC 5321 2.3.8: CRLF is the only line ending; bare CR/LF is how SMTP smuggling
   * hides a second message (CVE-2023-51764..6), so we refuse it outright. BINARYMIME
   * content (RFC 3030 3) is opaque octets and exempt. */
  if ((defects & bad) != 0 && (t == NULL || !t->binary)) {
    txn_log(s, "refused: bare CR, bare LF or NUL in content");
    txn_free(s);
    reply->code = 554;
    reply->enhanced = "5.6.0";
    reply->text = "Message refused: bare CR, bare LF or NUL (RFC 5321 2.3.8)";
    return SMTP_HOOK_REJECT;
  }
  /* RFC 5321 6.3: more than 100 Received: fields is a loop; 554 5.4.6 (RFC 3463). */
  if (t != NULL && received_is_loop(&t->received)) {
    s->d->counters.loops_refused++;
    txn_log(s, "refused: mail loop (more than 100 Received: fields)");
    txn_free(s);
    reply->code = 554;
    reply->enhanced = "5.4.6";
    reply->text = "Mail loop: too many Received: fields (RFC 5321 6.3)";
    return SMTP_HOOK_REJECT;
  }
  if (s->d->opt->no_store) {
    s->messages_stored++;
    s->d->counters.messages++;
    s->d->counters.message_octets += t != NULL ? t->octets : 0;
    txn_log(s, "accepted and discarded (--no-store)");
    txn_free(s);
    return SMTP_HOOK_ACCEPT;
  }
  if (t == NULL)
    return resources_reply(reply);
  store_flush(t, &t->mail);
  store_flush(t, &t->queue);
  free(t->mail.buf);
  t->mail.buf = NULL;
  free(t->queue.buf);
  t->queue.buf = NULL;
  if (t->failed || batch_add(s->d, s) != 0) {
    if (!t->failed) {
      errno = ENOMEM;
      store_fail(t);
    }
    txn_log(s, strerror(t->errno_saved));
    txn_failure_reply(t, reply);
    txn_free(s);
    return SMTP_HOOK_REJECT;
  }
  /* The 250 waits until the message is durable (batch_done). */
  return SMTP_HOOK_PENDING;
}

/* hook_reset - the transaction ended without data_end. */
static void hook_reset(void *ctx) {
  struct session *s = ctx;
  if (!s->in_batch) /* a batched message is finished by batch_done */
    txn_free(s);
}

/* auth_delay_ms - how long the Nth failure waits for its 535: 1 s, 2 s, 4 s, 8 s. */
static uint64_t auth_delay_ms(unsigned failures) {
  unsigned shift = failures > 4 ? 3 : failures - 1;
  return 1000ull << shift;
}

/* hook_auth - check credentials; a failure answers late (a timer), to slow guessing. */
static enum smtp_hook_status hook_auth(void *ctx, const char *mechanism, const char *user,
                                       size_t user_len, const char *pass, size_t pass_len,
                                       struct smtp_hook_reply *reply) {
  struct session *s = ctx;
  struct daemon *d = s->d;
  char shown[80];

  log_clean(user, user_len, shown, sizeof(shown));
  if (d->have_users && auth_users_check(&d->users, user, user_len, pass, pass_len)) {
    if (!d->opt->quiet)
      log_msg("session %llu AUTH %s user=%s ok", (unsigned long long)s->id, mechanism, shown);
    return SMTP_HOOK_ACCEPT;
  }
  s->auth_failures++;
  if (!d->opt->quiet)
    log_msg("session %llu AUTH %s user=%s failed (%u)", (unsigned long long)s->id, mechanism, shown,
            s->auth_failures);
  (void)reply;
  daemon_set_deadline(s, TIMER_AUTH_DELAY, auth_delay_ms(s->auth_failures));
  return SMTP_HOOK_PENDING;
}

/* hooks_init - the engine hooks refsmtpd answers. */
void hooks_init(struct smtp_server_hooks *h) {
  memset(h, 0, sizeof(*h));
  h->mail = hook_mail;
  h->rcpt = hook_rcpt;
  h->data_begin = hook_data_begin;
  h->data_chunk = hook_data_chunk;
  h->data_end = hook_data_end;
  h->reset = hook_reset;
  h->auth = hook_auth;
}
