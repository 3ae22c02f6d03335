/* test_server_robust.c - generated conversations (fixed seed, so every run is the same):
 * whatever the client sends, every reply is well formed (RFC 5321 4.2, 4.5.3.1.5), a
 * pipelined batch of command lines gets exactly one reply per line (RFC 2920), and the
 * replies do not depend on how the input was cut or on hooks answering later. */
#include "test_server_conv.h"

#include "smtp/reply.h"

/* Pieces the generator strings together: commands in and out of order, content, broken
 * lines, smuggling look-alikes, SASL responses, and octets no client should send. */
static const char *const vocab[] = {
    "EHLO c\r\n",
    "HELO c\r\n",
    "MAIL FROM:<a@b.test>\r\n",
    "MAIL FROM:<> SIZE=20 BODY=8BITMIME\r\n",
    "MAIL FROM:<a@b.test> BODY=BINARYMIME\r\n",
    "MAIL FROM:<j\xc3\xb6rg@b.test> SMTPUTF8\r\n",
    "RCPT TO:<b@mx.test>\r\n",
    "RCPT TO:<nobody@mx.test>\r\n",
    "RCPT TO:<postmaster>\r\n",
    "RCPT TO:<b@mx.test> NOTIFY=NEVER\r\n",
    "DATA\r\n",
    "hello\r\n",
    "..dot\r\n",
    ".\r\n",
    "\r\n.\n",
    "\n.\r\n",
    "BDAT 5\r\n",
    "BDAT 3 LAST\r\n",
    "BDAT 0 LAST\r\n",
    "RSET\r\n",
    "NOOP\r\n",
    "VRFY x\r\n",
    "EXPN x\r\n",
    "HELP\r\n",
    "AUTH PLAIN\r\n",
    "AUTH LOGIN\r\n",
    "AGFsaWNlAHNlY3JldCBzYXVjZQ==\r\n",
    "YWxpY2U=\r\n",
    "*\r\n",
    "AUTH PLAIN AGFsaWNlAHdyb25n\r\n",
    "BOGUS\r\n",
    "MAIL FROM:a@b\r\n",
    "NO\rOP\r\n",
    "NO\0OP\r\n",
    "\xff\xfe\r\n",
    "QUIT\r\n",
    "\r\n",
    "\r",
    "\n",
};

/* gen_next - xorshift32: a fixed sequence, no clock, no rand(). */
static uint32_t gen_next(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

/* gen_conversation - n vocabulary pieces, now and then a long run of one octet. */
static void gen_conversation(uint32_t *rng, size_t n, struct conv_str *out) {
  for (size_t i = 0; i < n; i++) {
    uint32_t r = gen_next(rng);
    if (r % 29 == 0) {
      char run[700];
      memset(run, 'A' + (int)(r % 26), sizeof run);
      conv_str_add(out, run, (size_t)(r >> 8) % sizeof run);
      continue;
    }
    const char *v = vocab[r % (sizeof vocab / sizeof vocab[0])];
    /* NUL inside a piece: length by hand. */
    size_t len = strlen(v);
    if (strcmp(v, "NO") == 0)
      len = sizeof "NO\0OP\r\n" - 1;
    conv_str_add(out, v, len);
  }
}

/* check_wire - every reply in out parses whole, without defects, with a valid code. */
static void check_wire(const char *out, size_t len, const char *in, size_t in_len) {
  size_t at = 0;
  while (at < len) {
    struct smtp_reply r;
    ssize_t n = smtp_reply_parse(out + at, len - at, &r);
    cr_assert_gt(n, 0, "unparsable reply at %zu of:\n%s\nfor input:\n%.*s", at, out, (int)in_len,
                 in);
    cr_assert_eq(r.defects, 0, "reply defects %#x at %zu of:\n%s", r.defects, at, out);
    cr_assert(r.code >= 200 && r.code <= 599);
    at += (size_t)n;
  }
}

Test(server_robust, keeps_every_reply_well_formed_and_split_invariant_on_generated_input) {
  uint32_t rng = 0x5eed1234u;
  for (int round = 0; round < 60; round++) {
    struct conv_setup s = conv_setup_default();
    s.cfg.extensions = SMTP_EXT_ALL & ~(unsigned)SMTP_EXT_STARTTLS;
    s.cfg.max_size = 40;
    s.cfg.max_errors = 1000;
    s.cfg.max_auth_failures = 1000;
    if (round % 3 == 1)
      s.cfg.extensions = SMTP_EXT_PIPELINING;
    struct conv_str in = {0};
    gen_conversation(&rng, 25, &in);
    struct conv_result whole;
    conv_run(&s, in.p, in.len, NULL, 0, &whole);
    check_wire(whole.out.p, whole.out.len, in.p, in.len);
    /* The expected bytes are the whole run's; conv_check_into compares every split. */
    struct conv_result again;
    conv_check_into(&s, in.p, in.len, whole.out.p, &again);
    conv_result_free(&again);
    conv_result_free(&whole);
    conv_str_free(&in);
  }
}

/* The command lines of a pure pipelined batch (no content, no SASL, no QUIT). */
static const char *const batch_vocab[] = {
    "EHLO c\r\n",
    "HELO c\r\n",
    "MAIL FROM:<a@b.test>\r\n",
    "RCPT TO:<b@mx.test>\r\n",
    "RCPT TO:<nobody@mx.test>\r\n",
    "RSET\r\n",
    "NOOP\r\n",
    "VRFY x\r\n",
    "EXPN x\r\n",
    "HELP\r\n",
    "BOGUS\r\n",
    "MAIL FROM:a@b\r\n",
    "NO\rOP\r\n",
    "DATA x\r\n",
    "RCPT TO:<>\r\n",
};

Test(server_robust, answers_each_pipelined_command_line_exactly_once) {
  uint32_t rng = 0xabcdef01u;
  for (int round = 0; round < 40; round++) {
    struct conv_setup s = conv_setup_default();
    s.cfg.max_errors = 1000;
    struct conv_str in = {0};
    size_t lines = 1 + gen_next(&rng) % 60;
    for (size_t i = 0; i < lines; i++)
      conv_str_addf(&in, "%s",
                    batch_vocab[gen_next(&rng) % (sizeof batch_vocab / sizeof batch_vocab[0])]);
    struct conv_result r;
    conv_run(&s, in.p, in.len, NULL, 0, &r);
    size_t replies = 0, at = 0;
    while (at < r.out.len) {
      struct smtp_reply rep;
      ssize_t n = smtp_reply_parse(r.out.p + at, r.out.len - at, &rep);
      cr_assert_gt(n, 0);
      at += (size_t)n;
      replies++;
    }
    cr_expect_eq(replies, lines + 1, "%zu lines got %zu replies (greeting included):\n%s\nfor:\n%s",
                 lines, replies, r.out.p, in.p);
    conv_result_free(&r);
    conv_str_free(&in);
  }
}
