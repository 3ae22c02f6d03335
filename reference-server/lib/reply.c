/* reply.c - RFC 5321 4.2 replies: an exacting parser and the one formatter.
 *
 * Parser decisions (the header is the contract; these fill its gaps):
 * - The first line must begin with three digits or the bytes are not a reply (-1).
 * - A later line without three digits is kept as a continuation line of the same reply
 *   (text = the whole line) and flagged SMTP_REPLY_BAD_CODE: the server never sent a
 *   final line, and cutting the reply there would misalign a pipelined conversation.
 * - Three digits followed by an octet other than '-' or SP ends the reply (only '-'
 *   continues one) and is flagged SMTP_REPLY_BAD_SEPARATOR; its text keeps that octet.
 * - A line with no LF within its first SMTP_REPLY_HARD_MAX octets is -1; out->raw then
 *   points at that line (not necessarily at buf) and raw_len covers what was scanned. */
#include "smtp/reply.h"

#include <string.h>
#include <strings.h>

#include "smtp/line.h"

/* Octets a reply line may take, ending included, before the parser gives up (-1). */
#define SMTP_REPLY_HARD_MAX 4096

/* reply_is_digit - an ASCII digit, whatever the locale. */
static bool reply_is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* reply_code_valid - RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39. */
static bool reply_code_valid(int code) {
  return code >= 200 && code <= 599 && (code / 10) % 10 <= 5;
}

/* reply_enhanced_parse - RFC 3463 2: class "." subject "." detail, class 2/4/5,
 * subject and detail 1*3digit. Returns the octets of the code, 0 if text does not start
 * with one followed by SP or the end of text. */
static size_t reply_enhanced_parse(const char *t, size_t n, int *cls, int *subj, int *det) {
  size_t i = 0;
  int part[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++) {
    size_t digits = 0;
    while (i < n && reply_is_digit(t[i]) && digits < 3) {
      part[k] = part[k] * 10 + (t[i] - '0');
      i++;
      digits++;
    }
    if (digits == 0 || (k == 0 && digits != 1))
      return 0;
    if (k < 2) {
      if (i >= n || t[i] != '.')
        return 0;
      i++;
    }
  }
  if (part[0] != 2 && part[0] != 4 && part[0] != 5)
    return 0;
  if (i < n && t[i] != ' ')
    return 0;
  *cls = part[0];
  *subj = part[1];
  *det = part[2];
  return i;
}

/* reply_text_defects - the NUL / 8-bit / bare CR defects of one line's content. */
static unsigned reply_text_defects(const char *t, size_t n) {
  unsigned d = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)t[i];
    if (c == '\0')
      d |= SMTP_REPLY_NUL;
    else if (c >= 0x80)
      d |= SMTP_REPLY_8BIT;
    else if (c == '\r')
      d |= SMTP_REPLY_BARE_CR; /* the line's own CR was cut off before this scan */
  }
  return d;
}

/* smtp_reply_parse - one reply, line by line, until a line whose 4th octet is not '-'. */
ssize_t smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *out) {
  size_t pos = 0;

  out->code = 0;
  out->defects = 0;
  out->nlines = 0;
  out->raw = buf;
  out->raw_len = 0;
  out->has_enhanced = false;
  out->enh_class = out->enh_subject = out->enh_detail = 0;
  for (;;) {
    size_t start = pos, end = pos;
    while (end < len && end - start < SMTP_REPLY_HARD_MAX && buf[end] != '\n')
      end++;
    if (end == len && end - start < SMTP_REPLY_HARD_MAX)
      return -2;
    if (end - start >= SMTP_REPLY_HARD_MAX) {
      out->raw = buf + start;
      out->raw_len = end - start;
      return -1;
    }
    /* buf[end] is the LF; RFC 5321 2.3.8: it should be preceded by CR. */
    size_t content_end = end;
    if (content_end > start && buf[content_end - 1] == '\r')
      content_end--;
    else
      out->defects |= SMTP_REPLY_BARE_LF;
    const char *line = buf + start;
    size_t n = content_end - start;
    /* RFC 5321 4.5.3.1.5: at most 512 octets including CRLF. */
    if (n + 2 > SMTP_REPLY_LINE_MAX)
      out->defects |= SMTP_REPLY_LINE_TOO_LONG;
    out->defects |= reply_text_defects(line, n);

    bool final = true;
    const char *text = line;
    size_t text_len = n;
    if (n >= 3 && reply_is_digit(line[0]) && reply_is_digit(line[1]) && reply_is_digit(line[2])) {
      int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
      if (!reply_code_valid(code))
        out->defects |= SMTP_REPLY_BAD_CODE;
      if (out->nlines == 0)
        out->code = code;
      else if (code != out->code)
        out->defects |= SMTP_REPLY_MIXED_CODES; /* RFC 5321 4.2.1 */
      if (n == 3) {
        out->defects |= SMTP_REPLY_NO_TEXT_SEP;
        text = line + 3;
        text_len = 0;
      } else if (line[3] == '-' || line[3] == ' ') {
        final = line[3] == ' ';
        text = line + 4;
        text_len = n - 4;
      } else {
        out->defects |= SMTP_REPLY_BAD_SEPARATOR;
        text = line + 3;
        text_len = n - 3;
      }
    } else if (out->nlines == 0) {
      out->raw = line;
      out->raw_len = end + 1 - start;
      return -1;
    } else {
      out->defects |= SMTP_REPLY_BAD_CODE;
      final = false;
    }
    if (out->nlines < SMTP_REPLY_LINES_MAX) {
      out->lines[out->nlines].text = text;
      out->lines[out->nlines].len = text_len;
    } else {
      out->defects |= SMTP_REPLY_TOO_MANY_LINES;
    }
    out->nlines++;
    pos = end + 1;
    if (final)
      break;
  }
  out->raw_len = pos;
  /* RFC 3463: the enhanced code leads the text (RFC 2034 puts it on every line). */
  if (reply_enhanced_parse(out->lines[0].text, out->lines[0].len, &out->enh_class,
                           &out->enh_subject, &out->enh_detail) > 0)
    out->has_enhanced = true;
  return (ssize_t)pos;
}

/* Where smtp_reply_format() is writing. */
struct reply_out {
  char *buf;
  size_t cap;
  size_t pos;
  bool overflow;
};

/* reply_put - append n octets, or remember that they did not fit. */
static void reply_put(struct reply_out *o, const char *s, size_t n) {
  if (o->overflow || o->cap - o->pos < n) {
    o->overflow = true;
    return;
  }
  memcpy(o->buf + o->pos, s, n);
  o->pos += n;
}

/* reply_put_text - append reply text made safe for the wire: RFC 5321 4.2 textstring is
 * HT and %d32-126, so CR is dropped and any other octet outside that set becomes '?'. */
static void reply_put_text(struct reply_out *o, const char *t, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)t[i];
    if (c == '\r')
      continue;
    char safe = (c == '\t' || (c >= 32 && c <= 126)) ? (char)c : '?';
    reply_put(o, &safe, 1);
  }
}

/* reply_put_line - one "NNN-"/"NNN " line with its enhanced code and CRLF. */
static void reply_put_line(struct reply_out *o, const char code[3], bool last, const char *enhanced,
                           const char *t, size_t n) {
  reply_put(o, code, 3);
  bool has_text = enhanced != NULL || n > 0;
  /* RFC 5321 4.2: a last line without text is "NNN" CRLF, no SP. */
  if (!last || has_text)
    reply_put(o, last ? " " : "-", 1);
  if (enhanced != NULL) {
    reply_put(o, enhanced, strlen(enhanced));
    if (n > 0)
      reply_put(o, " ", 1);
  }
  reply_put_text(o, t, n);
  reply_put(o, "\r\n", 2);
}

/* reply_wrap_at - where to cut a segment of n octets to fit max: after the last SP that
 * fits (the SP itself is dropped), else hard at max. *skip is 1 when an SP is dropped. */
static size_t reply_wrap_at(const char *t, size_t n, size_t max, size_t *skip) {
  *skip = 0;
  if (n <= max)
    return n;
  for (size_t k = max; k > 0; k--) {
    if (t[k] == ' ') {
      *skip = 1;
      return k;
    }
  }
  return max;
}

/* smtp_reply_format - RFC 5321 4.2.1 multi-line replies, RFC 2034 enhanced code on each
 * line. Decisions: a '\n' at the very end of text does not open an empty last line; a
 * segment too long for one 512-octet line is wrapped onto further lines (at the last SP
 * that fits, else hard), never truncated; a malformed code or enhanced code is -1, as
 * is output that does not fit cap. Text for more than SMTP_REPLY_LINES_MAX lines is cut
 * after that many (the last one kept becomes the final line): smtp_reply_parse() could
 * not index more, and would flag TOO_MANY_LINES on our own replies. A NUL is written after the
 * reply when cap has room for it; the return value does not count it. */
int smtp_reply_format(char *buf, size_t cap, int code, const char *enhanced, const char *text) {
  struct reply_out o = {buf, cap, 0, false};
  size_t lines = 0;
  char digits[3];
  int c1, c2, c3;

  if (!reply_code_valid(code))
    return -1;
  if (enhanced != NULL &&
      reply_enhanced_parse(enhanced, strlen(enhanced), &c1, &c2, &c3) != strlen(enhanced))
    return -1;
  if (text == NULL)
    text = "";
  digits[0] = (char)('0' + code / 100);
  digits[1] = (char)('0' + code / 10 % 10);
  digits[2] = (char)('0' + code % 10);
  size_t prefix = 4 + (enhanced != NULL ? strlen(enhanced) + 1 : 0);
  /* RFC 5321 4.5.3.1.5: the line with its CRLF is at most 512 octets. */
  size_t max = SMTP_REPLY_LINE_MAX - 2 - prefix;

  const char *p = text;
  const char *end = text + strlen(text);
  if (end > p && end[-1] == '\n')
    end--;
  const char *nl;
  do {
    nl = memchr(p, '\n', (size_t)(end - p));
    const char *seg_end = nl != NULL ? nl : end;
    do {
      size_t skip;
      size_t n = reply_wrap_at(p, (size_t)(seg_end - p), max, &skip);
      const char *next = p + n + skip;
      bool last = (next == seg_end && nl == NULL) || ++lines == SMTP_REPLY_LINES_MAX;
      reply_put_line(&o, digits, last, enhanced, p, n);
      if (last)
        goto done;
      p = next;
    } while (p < seg_end);
    p = nl != NULL ? nl + 1 : end;
  } while (nl != NULL);
done:
  if (o.overflow || o.pos > (size_t)0x7fffffff)
    return -1;
  if (o.pos < cap)
    buf[o.pos] = '\0';
  return (int)o.pos;
}

/* smtp_reply_keyword - RFC 5321 4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param ); the
 * first line is the greeting, so the search starts at the second. */
bool smtp_reply_keyword(const struct smtp_reply *r, const char *kw, const char **params,
                        size_t *params_len) {
  size_t kl = strlen(kw);
  size_t n = r->nlines < SMTP_REPLY_LINES_MAX ? r->nlines : SMTP_REPLY_LINES_MAX;
  for (size_t i = 1; i < n; i++) {
    const char *t = r->lines[i].text;
    size_t tl = r->lines[i].len;
    if (tl < kl || strncasecmp(t, kw, kl) != 0 || (tl > kl && t[kl] != ' '))
      continue;
    size_t at = kl;
    while (at < tl && t[at] == ' ')
      at++;
    if (params != NULL)
      *params = t + at;
    if (params_len != NULL)
      *params_len = tl - at;
    return true;
  }
  return false;
}

/* smtp_reply_defect_text - one defect bit in words, for reports. */
const char *smtp_reply_defect_text(unsigned defect) {
  switch (defect) {
  case SMTP_REPLY_BARE_LF:
    return "line ended in LF without CR (RFC 5321 2.3.8)";
  case SMTP_REPLY_BARE_CR:
    return "CR not followed by LF inside a line (RFC 5321 2.3.8)";
  case SMTP_REPLY_MIXED_CODES:
    return "lines of one reply carry different codes (RFC 5321 4.2.1)";
  case SMTP_REPLY_BAD_SEPARATOR:
    return "octet after the code is neither '-' nor SP (RFC 5321 4.2)";
  case SMTP_REPLY_LINE_TOO_LONG:
    return "reply line longer than 512 octets (RFC 5321 4.5.3.1.5)";
  case SMTP_REPLY_BAD_CODE:
    return "reply code is not 3 digits 2-5, 0-5, 0-9 (RFC 5321 4.2)";
  case SMTP_REPLY_NUL:
    return "NUL octet in reply";
  case SMTP_REPLY_8BIT:
    return "octet >= 0x80 in reply text";
  case SMTP_REPLY_NO_TEXT_SEP:
    return "reply code with no SP and no text";
  case SMTP_REPLY_TOO_MANY_LINES:
    return "more reply lines than the parser indexes";
  default:
    return "unknown reply defect";
  }
}
