/* server_data.c - message content: DATA (RFC 5321 4.1.1.4, 4.5.2) and BDAT (RFC 3030).
 *
 * DATA content ends only at CRLF "." CRLF (smtp_unstuff); every smuggling variant (LF.LF,
 * CR.CR, CRLF.LF, ...) is content and reaches data_end as a defect bit, so the daemon
 * decides whether to refuse such a message. SIZE never ends DATA early: content over
 * max_size is read to its end, no longer passed to data_chunk, and answered 552 5.3.4
 * (RFC 1870 6.3). BDAT chunks are counted octet for octet and answered one reply per
 * chunk; a refused BDAT still has its chunk read and discarded to stay in sync. */
#include <stdio.h>
#include <string.h>

#include "server_private.h"

/* content_begin - the first content of the transaction: tell the daemon once. */
static void content_begin(struct smtp_server *s) {
  if (s->txn.content_started)
    return;
  s->txn.content_started = true;
  if (s->hooks->data_begin != NULL)
    s->hooks->data_begin(s->ctx);
}

/* content_take - count content octets and pass on those within max_size (RFC 1870 6.3:
 * a bigger message will be refused, the daemon need not store the rest). Cutting at the
 * limit itself, not at a step boundary, keeps what the daemon sees independent of how
 * the client's bytes were split. */
static void content_take(struct smtp_server *s, const char *data, size_t len) {
  uint64_t max = s->cfg->max_size;
  if (len == 0)
    return;
  size_t pass = len;
  if (max > 0 && s->txn.octets + len > max) {
    s->txn.oversize = true;
    pass = s->txn.octets >= max ? 0 : (size_t)(max - s->txn.octets);
  }
  s->txn.octets += len;
  if (pass > 0 && s->hooks->data_chunk != NULL)
    s->hooks->data_chunk(s->ctx, data, pass);
}

/* data_finish - the verdict on the whole content (hook's, now or after PENDING). */
void server_resume_data_end(struct smtp_server *s, enum smtp_hook_status st,
                            const struct smtp_hook_reply *r) {
  if (st == SMTP_HOOK_PENDING) {
    s->pending = SERVER_PENDING_DATA_END;
    server_set_mode(s, SERVER_MODE_PENDING);
    return;
  }
  if (st == SMTP_HOOK_ACCEPT) {
    s->stats.messages++;
    s->stats.message_octets += s->txn.octets;
    server_reply_hook(s, r, true, 250, "2.0.0", "OK: message accepted");
  } else {
    server_reply_hook(s, r, false, 554, "5.7.1", "Error: message rejected");
  }
  memset(&s->txn, 0, sizeof s->txn);
}

/* content_end - the content is complete: 552 if it grew over max_size, else data_end. */
static void content_end(struct smtp_server *s, unsigned defects) {
  struct smtp_hook_reply r = {0};
  enum smtp_hook_status st = SMTP_HOOK_ACCEPT;

  server_set_mode(s, SERVER_MODE_COMMAND);
  if (s->txn.oversize) {
    /* RFC 1870 6.3: the whole message was read; now refuse it. */
    server_txn_reset(s);
    server_reply(s, 552, "5.3.4", "Error: message size exceeds fixed maximum message size");
    return;
  }
  /* data_end ends the transaction: the reset hook is no longer owed. */
  s->txn.open = false;
  if (s->hooks->data_end != NULL)
    st = s->hooks->data_end(s->ctx, defects, &r);
  server_resume_data_end(s, st, &r);
}

/* check_data - RFC 5321 3.3 and RFC 3030 2-3: when DATA may begin. */
static int check_data(struct smtp_server *s) {
  /* RFC 5321 3.3, 4.1.4: DATA needs a transaction. */
  if (!s->txn.open)
    return server_refuse(s, 503, "5.5.1", "Error: need MAIL command");
  /* RFC 3030 2: DATA and BDAT cannot be mixed in one transaction. */
  if (s->txn.bdat_seen)
    return server_refuse(s, 503, "5.5.1", "Error: DATA after BDAT");
  /* RFC 3030 3: a BODY=BINARYMIME message can only be sent with BDAT. */
  if (s->txn.body == SMTP_BODY_BINARYMIME)
    return server_refuse(s, 503, "5.5.1", "Error: BINARYMIME requires BDAT");
  /* RFC 5321 3.3: no accepted recipient: 554 (or 503), never 354. */
  if (s->txn.nrcpts == 0)
    return server_refuse(s, 554, "5.5.1", "Error: no valid recipients");
  return 0;
}

/* server_cmd_data - RFC 5321 4.1.1.4: 354, then content until CRLF.CRLF. */
void server_cmd_data(struct smtp_server *s, const struct smtp_command *cmd) {
  if (check_data(s) != 0)
    return;
  server_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
  memset(&s->unstuffer, 0, sizeof s->unstuffer);
  content_begin(s);
  server_set_mode(s, SERVER_MODE_DATA);
}

/* server_data_input - DATA content: unstuff a bounded step, pass it on, stop at the end
 * mark. Returns octets consumed. */
size_t server_data_input(struct smtp_server *s, const char *buf, size_t len) {
  size_t out_len = 0;
  bool done = false;
  size_t n = len < SERVER_DATA_STEP ? len : SERVER_DATA_STEP;
  size_t used = smtp_unstuff(&s->unstuffer, buf, n, s->work.data, &out_len, &done);
  content_take(s, s->work.data, out_len);
  if (done)
    content_end(s, s->unstuffer.defects);
  return used;
}

/* bdat_scan - the defects of BDAT content, which has no transparency of its own. */
static void bdat_scan(struct server_txn *t, const char *buf, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c == '\0')
      t->defects |= SMTP_DATA_NUL;
    else if (c >= 0x80)
      t->defects |= SMTP_DATA_8BIT;
    if (t->prev_cr && c != '\n')
      t->defects |= SMTP_DATA_BARE_CR;
    if (c == '\n' && !t->prev_cr)
      t->defects |= SMTP_DATA_BARE_LF;
    t->line_len++;
    if (c == '\n') {
      /* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. */
      if (t->line_len > SMTP_TEXT_LINE_MAX)
        t->defects |= SMTP_DATA_LINE_TOO_LONG;
      t->line_len = 0;
    }
    t->prev_cr = c == '\r';
  }
}

/* bdat_chunk_done - RFC 3030 2: one reply per BDAT, after its whole chunk was read. */
static void bdat_chunk_done(struct smtp_server *s) {
  char text[64];
  if (s->mode == SERVER_MODE_BDAT_DISCARD) {
    server_set_mode(s, SERVER_MODE_COMMAND);
    server_reply(s, s->bdat_code, s->bdat_enhanced, s->bdat_text);
    return;
  }
  if (s->txn.oversize) {
    /* RFC 3030 2: a failed BDAT fails the transaction; the client must not go on. */
    server_set_mode(s, SERVER_MODE_COMMAND);
    server_txn_reset(s);
    server_reply(s, 552, "5.3.4", "Error: message size exceeds fixed maximum message size");
    return;
  }
  if (s->bdat.last) {
    unsigned defects = s->txn.defects;
    /* A CR at the very end of the message is a bare CR too. */
    if (s->txn.prev_cr)
      defects |= SMTP_DATA_BARE_CR;
    content_end(s, defects);
    return;
  }
  server_set_mode(s, SERVER_MODE_COMMAND);
  snprintf(text, sizeof text, "OK: %llu octets received", (unsigned long long)s->txn.octets);
  server_reply(s, 250, "2.0.0", text);
}

/* bdat_refuse - RFC 3030 2: a BDAT that cannot be accepted still owns its chunk: read and
 * discard it, then answer. */
static void bdat_refuse(struct smtp_server *s, const struct smtp_command *cmd, int code,
                        const char *enhanced, const char *text) {
  s->bdat_code = code;
  s->bdat_enhanced = enhanced;
  s->bdat_text = text;
  memset(&s->bdat, 0, sizeof s->bdat);
  s->bdat.remaining = cmd->bdat_size;
  s->bdat.last = cmd->bdat_last;
  server_set_mode(s, SERVER_MODE_BDAT_DISCARD);
  if (s->bdat.remaining == 0)
    bdat_chunk_done(s);
}

/* server_cmd_bdat - RFC 3030 2: BDAT chunk-size [LAST]; the chunk follows at once. */
void server_cmd_bdat(struct smtp_server *s, const struct smtp_command *cmd) {
  /* RFC 3030 2 with RFC 5321 3.3: BDAT needs a transaction and a recipient. */
  if (!s->txn.open) {
    bdat_refuse(s, cmd, 503, "5.5.1", "Error: need MAIL command");
    return;
  }
  if (s->txn.nrcpts == 0) {
    bdat_refuse(s, cmd, 554, "5.5.1", "Error: no valid recipients");
    return;
  }
  s->txn.bdat_seen = true;
  content_begin(s);
  memset(&s->bdat, 0, sizeof s->bdat);
  s->bdat.remaining = cmd->bdat_size;
  s->bdat.last = cmd->bdat_last;
  server_set_mode(s, SERVER_MODE_BDAT);
  if (s->bdat.remaining == 0)
    bdat_chunk_done(s);
}

/* server_bdat_input - octets of the current chunk (kept or discarded). Returns octets
 * consumed; the chunk's reply is queued when its last octet arrives. */
size_t server_bdat_input(struct smtp_server *s, const char *buf, size_t len) {
  size_t n = smtp_bdat_take(&s->bdat, len);
  if (s->mode == SERVER_MODE_BDAT) {
    bdat_scan(&s->txn, buf, n);
    content_take(s, buf, n);
  }
  if (s->bdat.remaining == 0)
    bdat_chunk_done(s);
  return n;
}
