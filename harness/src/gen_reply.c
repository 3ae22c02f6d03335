/* gen_reply.c - what a server (or a hostile one) says. */
#include "gen_reply.h"

#include "gen_grammar.h"

/* gen_reply_text - some human text, sometimes with an RFC 3463 enhanced code. */
static void gen_reply_text(struct gen_rand *r, struct gen_buf *b, int code) {
  static const char *const texts[] = {
      "OK",           "Ok, go ahead",           "mail.example.org ESMTP",          "Bye",
      "Syntax error", "Requested action taken", "End data with <CR><LF>.<CR><LF>", ""};
  if (gen_rand_chance(r, 40))
    gen_buf_printf(b, "%d.%zu.%zu ", code / 100, gen_rand_below(r, 8), gen_rand_below(r, 8));
  gen_buf_puts(b, GEN_PICK(r, texts));
}

/* gen_reply_broken - one malformed reply line or reply (the client must survive these). */
static void gen_reply_broken(struct gen_rand *r, struct gen_buf *b, int code) {
  switch (gen_rand_below(r, 10)) {
  case 0:
    gen_buf_printf(b, "%d bare LF\n", code);
    break;
  case 1:
    gen_buf_printf(b, "%d-first\r\n%d mixed codes\r\n", code, code == 250 ? 251 : 250);
    break;
  case 2:
    gen_buf_printf(b, "%d_bad separator\r\n", code);
    break;
  case 3:
    gen_buf_printf(b, "%d ", code);
    gen_buf_repeat(b, 'L', 600);
    gen_buf_puts(b, "\r\n");
    break;
  case 4:
    gen_buf_printf(b, "%d nul", code);
    gen_buf_put(b, "\0x\r\n", 4);
    break;
  case 5:
    gen_buf_puts(b, "hello, no code\r\n");
    break;
  case 6:
    gen_buf_printf(b, "%d\r\n", code); /* tolerated, no text separator */
    break;
  case 7:
    for (int i = 0; i < 70; i++) /* more lines than SMTP_REPLY_LINES_MAX */
      gen_buf_printf(b, "%d-line %d\r\n", code, i);
    gen_buf_printf(b, "%d end\r\n", code);
    break;
  case 8:
    gen_buf_puts(
        b, GEN_PICK(r, ((const char *const[]){"199 low\r\n", "600 high\r\n", "2500 four digits\r\n",
                                              "25 two\r\n", "250 cr\ronly\r\n"})));
    break;
  default:
    gen_buf_printf(b, "%d-unterminated continuation", code);
  }
}

/* gen_reply_code - the well-formed reply most of the time. */
void gen_reply_code(struct gen_rand *r, struct gen_buf *b, int code, unsigned flags) {
  if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 12)) {
    gen_reply_broken(r, b, code);
    return;
  }
  size_t extra = gen_rand_chance(r, 15) ? gen_rand_range(r, 1, 3) : 0;
  for (size_t i = 0; i < extra; i++) {
    gen_buf_printf(b, "%d-", code);
    gen_reply_text(r, b, code);
    gen_buf_puts(b, "\r\n");
  }
  gen_buf_printf(b, "%d ", code);
  gen_reply_text(r, b, code);
  gen_buf_puts(b, "\r\n");
}

/* gen_reply_ehlo - RFC 5321 4.1.1.1 ehlo-ok-rsp with keywords of RFC 1870, 2920, ... */
void gen_reply_ehlo(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const char *const kws[] = {
      "PIPELINING",       "SIZE 10240000", "SIZE",       "8BITMIME", "ENHANCEDSTATUSCODES",
      "SMTPUTF8",         "CHUNKING",      "BINARYMIME", "DSN",      "STARTTLS",
      "AUTH PLAIN LOGIN", "AUTH=PLAIN",    "HELP",       "VRFY",     "X-EXPS GSSAPI",
      "SIZE 100"};
  gen_buf_puts(b, "250-mx.example.org greets you\r\n");
  size_t n = gen_rand_below(r, 9);
  for (size_t i = 0; i < n; i++) {
    gen_buf_printf(b, "250-%s\r\n", GEN_PICK(r, kws));
    if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 5))
      gen_buf_puts(b, "250-\r\n");
  }
  gen_buf_printf(b, "250 %s\r\n", gen_rand_chance(r, 50) ? "PIPELINING" : GEN_PICK(r, kws));
}

/* gen_reply - a reply any step might get. */
void gen_reply(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const int codes[] = {220, 221, 235, 250, 251, 252, 334, 354, 421, 450, 451, 452, 454,
                              500, 501, 502, 503, 504, 530, 535, 550, 551, 552, 553, 554, 555};
  if (gen_rand_chance(r, 10)) {
    gen_reply_ehlo(r, b, flags);
    return;
  }
  gen_reply_code(r, b, codes[gen_rand_below(r, sizeof codes / sizeof codes[0])], flags);
}
