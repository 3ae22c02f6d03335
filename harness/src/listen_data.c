/* listen_data.c - the listen engine's message data: DATA lines (line ends, lengths, dot-
 * stuffing, 8-bit content) and BDAT chunks, and the reply after the message. */
#include <stdio.h>
#include <string.h>

#include "listen_session.h"
#include "smtp/line.h"

/* keep - append to a bounded buffer, counting what does not fit. */
static void keep(struct sbuf *b, size_t max, size_t *dropped, const char *p, size_t n) {
  size_t room = b->len < max ? max - b->len : 0;
  size_t k = n < room ? n : room;
  if (k && sbuf_append(b, p, k) < 0)
    k = 0;
  *dropped += n - k;
}

/* listen_message_done - the message is complete: transcript, --save, the reply. A
 * message refused with 5yz is remembered, so that sending it again is noticed (RFC 5321
 * 4.2.1). */
void listen_message_done(struct listen_session *s) {
  transcript_add(&s->transcript, 'C', s->raw.p ? s->raw.p : "", s->raw.len);
  if (s->transcript.nentries > 0 && s->raw_dropped)
    s->transcript.entries[s->transcript.nentries - 1].dropped += s->raw_dropped;
  s->messages++;
  if (s->cfg.on_message)
    s->cfg.on_message(s->cfg.ctx, s->msg.p ? s->msg.p : "", s->msg.len, s->msg_dropped);
  uint64_t h = s->msg_hash ^ 0x6d657373616765ull; /* "message": not a command's hash */
  bool again = false;
  for (size_t i = 0; i < s->nrefused; i++)
    again = again || s->refused[i] == h;
  if (again)
    listen_fail(&s->verdicts, LC_NO_REPEAT_5XX,
                "sent the same message again after it was refused with 5yz");
  else if (s->nrefused)
    listen_pass(&s->verdicts, LC_NO_REPEAT_5XX);
  s->state = LS_COMMAND;
  s->in_txn = false;
  /* RFC 2920 3.1 and the example in section 4: the message content is the first
   * "command" of a group, so with PIPELINING the client may send the next MAIL or QUIT
   * right after <CRLF>.<CRLF>, before the reply to it. Without PIPELINING it must wait. */
  s->prev = LP_DATA_END;
  s->counts[LP_DATA_END]++;
  int code = listen_reply_point(s, LP_DATA_END, 250, "2.0.0 Ok: message accepted");
  if (code >= 500 && s->nrefused < LISTEN_REFUSED_MAX)
    s->refused[s->nrefused++] = h;
  sbuf_consume(&s->msg, s->msg.len);
  sbuf_consume(&s->raw, s->raw.len);
  s->msg_dropped = s->raw_dropped = 0;
}

/* listen_data_line - one line of DATA content (without its line end). */
void listen_data_line(struct listen_session *s, const char *line, size_t len, bool crlf,
                      unsigned defects, bool early, bool mid) {
  keep(&s->raw, RUNNER_ENTRY_MAX, &s->raw_dropped, line, len);
  keep(&s->raw, RUNNER_ENTRY_MAX, &s->raw_dropped, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
  if (s->data_first) {
    /* RFC 2920 3.1: DATA ends a group; the content waits for 354. */
    s->data_first = false;
    listen_judge_timing(s, line, len, early, mid);
  }
  int w = len > 60 ? 60 : (int)len;
  /* RFC 5321 2.3.8 / 4.1.1.4: CRLF is the only line end, in the data too. */
  if (!crlf)
    listen_fail(&s->verdicts, LC_DATA_CRLF, "the message line '%.*s' ends in LF without CR", w,
                line);
  else if (defects & SMTP_LINE_BARE_CR)
    listen_fail(&s->verdicts, LC_DATA_CRLF, "a bare CR inside the message line '%.*s'", w, line);
  if (len == 1 && line[0] == '.') {
    listen_pass(&s->verdicts, LC_DATA_CRLF);
    listen_pass(&s->verdicts, LC_DATA_LINE_LENGTH);
    if (s->msg_8bit && !s->body_8bit)
      listen_fail(&s->verdicts, LC_DATA_8BIT,
                  "the message holds 8-bit octets but MAIL had no BODY=8BITMIME");
    else if (s->msg_8bit)
      listen_pass(&s->verdicts, LC_DATA_8BIT);
    listen_message_done(s);
    return;
  }
  /* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. */
  if (len + 2 > SMTP_TEXT_LINE_MAX)
    listen_fail(&s->verdicts, LC_DATA_LINE_LENGTH, "a message line of %zu octets with CRLF",
                len + 2);
  if (defects & SMTP_LINE_8BIT)
    s->msg_8bit = true;
  const char *text = line;
  size_t tlen = len;
  if (len > 0 && line[0] == '.') {
    /* RFC 5321 4.5.2: "If it is a period, one additional period is inserted at the
     * beginning of the line." A line with a single leading '.' was not stuffed. */
    if (len >= 2 && line[1] == '.') {
      listen_pass(&s->verdicts, LC_DOT_STUFFING);
      text++;
      tlen--;
    } else {
      listen_fail(&s->verdicts, LC_DOT_STUFFING,
                  "the message line '%.*s' starts with a single '.' (not stuffed)", w, line);
    }
  }
  keep(&s->msg, LISTEN_MESSAGE_MAX, &s->msg_dropped, text, tlen);
  keep(&s->msg, LISTEN_MESSAGE_MAX, &s->msg_dropped, "\r\n", 2);
  s->msg_hash = listen_hash(text, tlen, s->msg_hash);
  s->msg_hash = listen_hash("\r\n", 2, s->msg_hash);
}

/* listen_data_octets - BDAT chunk octets (RFC 3030 2: exactly chunk-size octets, no
 * stuffing); returns the octets used. The reply follows the last octet. */
size_t listen_data_octets(struct listen_session *s, const char *p, size_t n) {
  size_t k = n < s->bdat_left ? n : (size_t)s->bdat_left;
  keep(&s->raw, RUNNER_ENTRY_MAX, &s->raw_dropped, p, k);
  keep(&s->msg, LISTEN_MESSAGE_MAX, &s->msg_dropped, p, k);
  s->msg_hash = listen_hash(p, k, s->msg_hash);
  s->bdat_left -= k;
  if (s->bdat_left > 0)
    return k;
  s->state = LS_COMMAND;
  if (!s->in_txn || s->rcpt_ok == 0) {
    /* RFC 3030 2: the chunk is read whole, then refused. */
    listen_reply(s, 503, "5.5.1 No valid transaction for BDAT");
    sbuf_consume(&s->msg, s->msg.len);
    sbuf_consume(&s->raw, s->raw.len);
    return k;
  }
  if (s->bdat_last) {
    listen_message_done(s);
    return k;
  }
  transcript_add(&s->transcript, 'C', s->raw.p ? s->raw.p : "", s->raw.len);
  sbuf_consume(&s->raw, s->raw.len);
  listen_reply_point(s, LP_BDAT, 250, "2.0.0 Chunk accepted");
  return k;
}
