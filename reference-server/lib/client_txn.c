/* client_txn.c - client engine: mail transactions (MAIL, RCPT, DATA/BDAT, RSET, QUIT). */
#include <stdio.h>
#include <string.h>

#include "client_session.h"
#include "smtp/ext.h"
#include "smtp/reply.h"

/* The longest parameter string MAIL can carry (see mail_params). */
#define MAIL_PARAMS_MAX 64

/* is_success - RFC 5321 4.2.1: 2yz is a positive completion. */
static bool is_success(const struct smtp_reply *r) {
  return r->code / 100 == 2;
}

/* has_8bit - any octet >= 0x80 in n octets. */
static bool has_8bit(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80)
      return true;
  return false;
}

/* smtpc_group_max - MAIL, every RCPT and DATA/BDAT of one message, with CRLFs. */
size_t smtpc_group_max(const struct smtp_client_message *m) {
  size_t n = sizeof "MAIL FROM:<>\r\n" + strlen(m->from) + MAIL_PARAMS_MAX;
  for (size_t i = 0; i < m->nrcpts; i++)
    n += sizeof "RCPT TO:<>\r\n" + strlen(m->rcpts[i]);
  return n + sizeof "BDAT 18446744073709551615 LAST\r\n" + sizeof "RSET\r\n";
}

/* record_failure - the first failure of a transaction is the one reported. */
static void record_failure(struct smtp_client *c, enum smtp_client_step step, int code) {
  if (c->cur_failed)
    return;
  c->cur_failed = true;
  c->results[c->cur].failed_step = step;
  c->results[c->cur].final_code = code;
  c->results[c->cur].rcpts_accepted = c->accepted;
}

/* finish_message - on to the next message; RSET first when this one failed mid-way. */
static void finish_message(struct smtp_client *c, bool failed) {
  c->results[c->cur].rcpts_accepted = c->accepted;
  c->cur++;
  c->cur_failed = false;
  c->accepted = 0;
  if (failed && c->cur < c->nmsgs) {
    /* RFC 5321 4.1.1.5: RSET aborts what is left of the transaction. */
    smtpc_emit(c, SMTP_STEP_RSET, "RSET");
    return;
  }
  smtpc_start_message(c);
}

/* needs_utf8 - RFC 6531 3.3: an address with octets >= 0x80 is a UTF-8 address. */
static bool needs_utf8(const struct smtp_client_message *m) {
  if (has_8bit(m->from, strlen(m->from)))
    return true;
  for (size_t i = 0; i < m->nrcpts; i++)
    if (has_8bit(m->rcpts[i], strlen(m->rcpts[i])))
      return true;
  return false;
}

/* mail_params - ESMTP parameters for MAIL: SIZE (RFC 1870 6), BODY (RFC 6152 3),
 * SMTPUTF8 (RFC 6531 3.4), each only when the server offered it. */
static void mail_params(const struct smtp_client *c, const struct smtp_client_message *m, char *out,
                        size_t cap) {
  size_t n = 0;
  out[0] = '\0';
  if (c->offers & SMTP_EXT_SIZE)
    n += (size_t)snprintf(out + n, cap - n, " SIZE=%zu", m->content_len);
  if ((c->offers & SMTP_EXT_8BITMIME) && n < cap && has_8bit(m->content, m->content_len))
    n += (size_t)snprintf(out + n, cap - n, " BODY=8BITMIME");
  if ((c->offers & SMTP_EXT_SMTPUTF8) && needs_utf8(m) && n < cap)
    snprintf(out + n, cap - n, " SMTPUTF8");
}

/* send_next_rcpt - RFC 5321 4.1.1.3: one RCPT per forward-path. */
static void send_next_rcpt(struct smtp_client *c) {
  const struct smtp_client_message *m = &c->msgs[c->cur];
  smtpc_emit(c, SMTP_STEP_RCPT, "RCPT TO:<%s>", m->rcpts[c->rcpt_next++]);
}

/* smtpc_start_message - MAIL for message cur; with PIPELINING the whole group at once
 * (RFC 2920 3.1: MAIL and RCPT may be grouped; DATA ends the group). */
void smtpc_start_message(struct smtp_client *c) {
  /* RFC 6531 3.2: a message with UTF-8 addresses cannot go to a server without SMTPUTF8;
   * it fails without a transaction (code 0) and the session goes on with the next. */
  while (c->cur < c->nmsgs && !(c->offers & SMTP_EXT_SMTPUTF8) && needs_utf8(&c->msgs[c->cur])) {
    c->results[c->cur].failed_step = SMTP_STEP_MAIL;
    c->results[c->cur].final_code = 0;
    c->results[c->cur].rcpts_accepted = 0;
    snprintf(c->error, sizeof c->error,
             "message %zu has a UTF-8 address but the server does not offer SMTPUTF8", c->cur + 1);
    c->cur++;
  }
  if (c->cur >= c->nmsgs) {
    smtpc_quit(c);
    return;
  }
  const struct smtp_client_message *m = &c->msgs[c->cur];
  char params[MAIL_PARAMS_MAX];
  c->rcpt_next = c->rcpt_replies = c->accepted = 0;
  c->mail_ok = c->cur_failed = false;
  c->pipelined = c->cfg.use_pipelining && (c->offers & SMTP_EXT_PIPELINING);
  c->chunking = c->cfg.use_chunking && (c->offers & SMTP_EXT_CHUNKING);
  c->content_off = 0;
  mail_params(c, m, params, sizeof params);
  smtpc_emit(c, SMTP_STEP_MAIL, "MAIL FROM:<%s>%s", m->from, params);
  if (!c->pipelined)
    return;
  while (c->rcpt_next < m->nrcpts)
    send_next_rcpt(c);
  /* RFC 3030 4.2 allows BDAT in the group too, but then the content is sent even when
   * every RCPT failed; we wait for the RCPT replies before BDAT instead. */
  if (!c->chunking)
    smtpc_emit(c, SMTP_STEP_DATA, "DATA");
}

/* start_bdat - RFC 3030 2: "BDAT size [LAST]" followed by exactly size octets. */
static void start_bdat(struct smtp_client *c) {
  const struct smtp_client_message *m = &c->msgs[c->cur];
  size_t left = m->content_len - c->content_off;
  size_t chunk = left > SMTPC_BDAT_CHUNK ? SMTPC_BDAT_CHUNK : left;
  smtpc_emit(c, SMTP_STEP_BDAT, chunk == left ? "BDAT %zu LAST" : "BDAT %zu", chunk);
  c->chunk_left = chunk;
  c->stream = SMTPC_STREAM_BDAT;
  smtpc_stream_fill(c);
}

/* after_rcpts - every RCPT answered: content if one was accepted, else RSET. */
static void after_rcpts(struct smtp_client *c, int last_code) {
  if (!c->mail_ok) {
    finish_message(c, true);
    return;
  }
  if (c->accepted == 0) {
    record_failure(c, SMTP_STEP_RCPT, last_code);
    finish_message(c, true);
    return;
  }
  if (c->chunking)
    start_bdat(c);
  else
    smtpc_emit(c, SMTP_STEP_DATA, "DATA");
}

/* smtpc_on_mail - 250 lets the RCPTs go; a failure ends the message (after the rest of
 * a pipelined group is answered). */
void smtpc_on_mail(struct smtp_client *c, const struct smtp_reply *r) {
  if (is_success(r)) {
    c->mail_ok = true;
    if (!c->pipelined)
      send_next_rcpt(c);
    return;
  }
  record_failure(c, SMTP_STEP_MAIL, r->code);
  if (!c->pipelined)
    finish_message(c, true);
}

/* smtpc_on_rcpt - count acceptances (250 and 251, RFC 5321 3.4); go on when all are in. */
void smtpc_on_rcpt(struct smtp_client *c, const struct smtp_reply *r) {
  const struct smtp_client_message *m = &c->msgs[c->cur];
  c->rcpt_replies++;
  if (is_success(r))
    c->accepted++;
  if (c->rcpt_replies < m->nrcpts) {
    if (!c->pipelined && c->rcpt_next < m->nrcpts)
      send_next_rcpt(c);
    return;
  }
  if (c->pipelined && !c->chunking) {
    if (c->accepted == 0)
      record_failure(c, c->mail_ok ? SMTP_STEP_RCPT : SMTP_STEP_MAIL, r->code);
    return; /* the DATA reply comes next */
  }
  after_rcpts(c, r->code);
}

/* smtpc_on_data - 354: send the content; anything else ends the message. */
void smtpc_on_data(struct smtp_client *c, const struct smtp_reply *r) {
  if (r->code == 354) {
    if (c->mail_ok && c->accepted > 0 && !c->cur_failed) {
      memset(&c->stuffer, 0, sizeof c->stuffer);
      c->content_off = 0;
      c->stream = SMTPC_STREAM_DATA;
      smtpc_expect(c, SMTP_STEP_DOT);
      smtpc_stream_fill(c);
      return;
    }
    /* RFC 2920 3.1: 354 with no valid recipient: send only the end-of-data mark. */
    smtpc_emit_raw(c, ".\r\n", 3);
    smtpc_expect(c, SMTP_STEP_DOT);
    return;
  }
  record_failure(c, SMTP_STEP_DATA, r->code);
  finish_message(c, true);
}

/* smtpc_on_dot - the reply to the whole message decides its fate (RFC 5321 4.1.1.4). */
void smtpc_on_dot(struct smtp_client *c, const struct smtp_reply *r) {
  if (is_success(r) && !c->cur_failed) {
    c->results[c->cur].final_code = r->code;
    c->results[c->cur].failed_step = SMTP_STEP_DONE;
    finish_message(c, false);
    return;
  }
  record_failure(c, SMTP_STEP_DOT, r->code);
  finish_message(c, true);
}

/* smtpc_on_bdat - 250 for a chunk: the next chunk, or delivered after LAST. */
void smtpc_on_bdat(struct smtp_client *c, const struct smtp_reply *r) {
  const struct smtp_client_message *m = &c->msgs[c->cur];
  if (!is_success(r)) {
    record_failure(c, SMTP_STEP_BDAT, r->code);
    finish_message(c, true);
    return;
  }
  if (c->content_off < m->content_len) {
    start_bdat(c);
    return;
  }
  c->results[c->cur].final_code = r->code;
  c->results[c->cur].failed_step = SMTP_STEP_DONE;
  finish_message(c, false);
}

/* smtpc_on_rset - RFC 5321 4.1.1.5: RSET gets 250; then the next message. */
void smtpc_on_rset(struct smtp_client *c, const struct smtp_reply *r) {
  if (is_success(r)) {
    smtpc_start_message(c);
    return;
  }
  smtpc_abort(c, SMTP_STEP_RSET, r->code, "RSET refused with %d", r->code);
}

/* smtpc_on_quit - RFC 5321 4.1.1.10: the reply to QUIT (221) ends the session. */
void smtpc_on_quit(struct smtp_client *c, const struct smtp_reply *r) {
  (void)r;
  c->state = c->aborted ? SMTP_CLIENT_FAILED : SMTP_CLIENT_DONE;
}

/* smtpc_stream_fill - copy content into the free output space: dot-stuffed for DATA
 * (RFC 5321 4.5.2), raw for BDAT (RFC 3030 2). */
void smtpc_stream_fill(struct smtp_client *c) {
  const struct smtp_client_message *m = &c->msgs[c->cur];
  smtpc_out_compact(c);
  if (c->stream == SMTPC_STREAM_DATA) {
    while (c->content_off < m->content_len) {
      size_t room = c->out_cap - c->out_len;
      if (room < 8)
        return;
      size_t n = (room - 5) / 2; /* smtp_stuff may double every octet; 5 for the end */
      if (n > m->content_len - c->content_off)
        n = m->content_len - c->content_off;
      c->out_len += smtp_stuff(&c->stuffer, m->content + c->content_off, n, c->out + c->out_len);
      c->content_off += n;
    }
    if (c->out_cap - c->out_len < 5)
      return;
    c->out_len += smtp_stuff_end(&c->stuffer, c->out + c->out_len);
    c->stream = SMTPC_STREAM_NONE;
    return;
  }
  if (c->stream == SMTPC_STREAM_BDAT) {
    size_t n = c->out_cap - c->out_len;
    if (n > c->chunk_left)
      n = c->chunk_left;
    if (n > 0)
      memcpy(c->out + c->out_len, m->content + c->content_off, n);
    c->out_len += n;
    c->content_off += n;
    c->chunk_left -= n;
    if (c->chunk_left == 0)
      c->stream = SMTPC_STREAM_NONE;
  }
}
