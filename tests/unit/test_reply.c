/* test_reply.c - RFC 5321 4.2 reply parser and formatter. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/reply.h"

/* One parser vector: bytes, what the call returns, and what it found. */
struct reply_vec {
  const char *in;
  size_t in_len;
  ssize_t ret; /* consumed, -1 or -2 */
  int code;
  size_t nlines;
  unsigned defects;
  const char *last_text; /* text of the last indexed line, NULL to skip the check */
  const char *about;
};

#define R(s, ret, code, nl, d, last, about)                                                        \
  { s, sizeof(s) - 1, ret, code, nl, d, last, about }

static const struct reply_vec reply_vecs[] = {
    R("250 OK\r\n", 8, 250, 1, 0, "OK", "single line"),
    R("250 OK\r\n250 next\r\n", 8, 250, 1, 0, "OK", "stops after one reply"),
    R("250-a\r\n250-b\r\n250 c\r\n", 21, 250, 3, 0, "c", "multi-line reply"),
    R("250-a\r\n250 \r\n", 13, 250, 2, 0, "", "last line with SP and no text"),
    R("250\r\n", 5, 250, 1, SMTP_REPLY_NO_TEXT_SEP, "", "code alone"),
    R("250-\r\n250 x\r\n", 13, 250, 2, 0, "x", "empty continuation text"),
    R("250 OK\n", 7, 250, 1, SMTP_REPLY_BARE_LF, "OK", "bare LF ending"),
    R("250-a\n250 b\r\n", 13, 250, 2, SMTP_REPLY_BARE_LF, "b", "bare LF inside multi-line"),
    R("250 O\rK\r\n", 9, 250, 1, SMTP_REPLY_BARE_CR, "O\rK", "bare CR in text"),
    R("250-a\r\n251 b\r\n", 14, 250, 2, SMTP_REPLY_MIXED_CODES, "b", "mixed codes"),
    R("250_OK\r\n", 8, 250, 1, SMTP_REPLY_BAD_SEPARATOR, "_OK", "bad separator ends reply"),
    R("199 x\r\n", 7, 199, 1, SMTP_REPLY_BAD_CODE, "x", "first digit 1"),
    R("600 x\r\n", 7, 600, 1, SMTP_REPLY_BAD_CODE, "x", "first digit 6"),
    R("260 x\r\n", 7, 260, 1, SMTP_REPLY_BAD_CODE, "x", "second digit 6"),
    R("250-a\r\nbogus\r\n250 b\r\n", 21, 250, 3, SMTP_REPLY_BAD_CODE, "b",
      "codeless line continues"),
    R("250 a\0b\r\n", 9, 250, 1, SMTP_REPLY_NUL, "a\0b", "NUL in text"),
    R("250 caf\xc3\xa9\r\n", 11, 250, 1, SMTP_REPLY_8BIT, NULL, "UTF-8 text"),
    R("hello\r\n", -1, 0, 0, 0, NULL, "no code"),
    R("25 x\r\n", -1, 0, 0, 0, NULL, "two digits"),
    R("\r\n", -1, 0, 0, 0, NULL, "empty line"),
    R("2x0 x\r\n", -1, 0, 0, 0, NULL, "letter in code"),
    R("250 OK", -2, 0, 0, 0, NULL, "no line end"),
    R("250 OK\r", -2, 0, 0, 0, NULL, "CR without LF yet"),
    R("250-a\r\n", -2, 0, 0, 0, NULL, "continuation only"),
    R("250-a\r\n250", -2, 0, 0, 0, NULL, "second line partial"),
    R("", -2, 0, 0, 0, NULL, "nothing"),
};

/* reply_check - run one vector at one length and compare. */
static void reply_check(const struct reply_vec *v) {
  const char *in = guard_copy(v->in, v->in_len);
  struct smtp_reply r;
  ssize_t ret = smtp_reply_parse(in, v->in_len, &r);
  cr_expect_eq(ret, v->ret, "%s: returned %zd, want %zd", v->about, ret, v->ret);
  if (ret > 0 && ret == v->ret) {
    cr_expect_eq(r.code, v->code, "%s: code %d", v->about, r.code);
    cr_expect_eq(r.nlines, v->nlines, "%s: nlines %zu", v->about, r.nlines);
    cr_expect_eq(r.defects, v->defects, "%s: defects %#x, want %#x", v->about, r.defects,
                 v->defects);
    cr_expect_eq(r.raw, in, "%s: raw starts the buffer", v->about);
    cr_expect_eq(r.raw_len, (size_t)ret, "%s: raw_len", v->about);
    if (v->last_text != NULL && r.nlines > 0) {
      const struct smtp_reply_line *l = &r.lines[r.nlines - 1];
      size_t want = 0;
      while (v->last_text[want] || (want < l->len && l->text[want] == '\0'))
        want++;
      cr_expect(l->len == want && memcmp(l->text, v->last_text, want) == 0, "%s: last text %.*s",
                v->about, (int)l->len, l->text);
    }
  }
  guard_free_all();
}

Test(reply_parse, parses_every_vector_whole) {
  for (size_t i = 0; i < sizeof reply_vecs / sizeof reply_vecs[0]; i++)
    reply_check(&reply_vecs[i]);
}

Test(reply_parse, needs_more_input_for_every_proper_prefix_of_a_reply) {
  for (size_t i = 0; i < sizeof reply_vecs / sizeof reply_vecs[0]; i++) {
    const struct reply_vec *v = &reply_vecs[i];
    if (v->ret <= 0)
      continue;
    for (size_t n = 0; n < (size_t)v->ret; n++) {
      const char *in = guard_copy(v->in, n);
      struct smtp_reply r;
      ssize_t ret = smtp_reply_parse(in, n, &r);
      cr_expect_eq(ret, -2, "%s: prefix %zu gave %zd", v->about, n, ret);
      guard_free_all();
    }
  }
}

Test(reply_parse, gives_the_same_answer_fed_one_byte_more_each_time) {
  /* A client appends bytes as they arrive and re-parses; the answer at the full length
   * must not depend on how the bytes came. */
  for (size_t i = 0; i < sizeof reply_vecs / sizeof reply_vecs[0]; i++) {
    const struct reply_vec *v = &reply_vecs[i];
    ssize_t ret = -2;
    size_t n = 0;
    while (ret == -2 && n < v->in_len) {
      n++;
      const char *in = guard_copy(v->in, n);
      struct smtp_reply r;
      ret = smtp_reply_parse(in, n, &r);
      guard_free_all();
    }
    cr_expect_eq(ret, v->ret, "%s: byte by byte gave %zd", v->about, ret);
  }
}

Test(reply_parse, points_at_the_offending_line_when_it_cannot_be_a_reply) {
  const char *in = guard_copy("junk\r\n250 OK\r\n", 14);
  struct smtp_reply r;
  cr_expect_eq(smtp_reply_parse(in, 14, &r), -1);
  cr_expect_eq(r.raw, in);
  cr_expect_eq(r.raw_len, 6);
  guard_free_all();
}

Test(reply_parse, reads_enhanced_status_codes_from_the_first_line) {
  static const struct {
    const char *in;
    bool has;
    int c, s, d;
  } vecs[] = {
      {"250 2.1.0 Sender OK\r\n", true, 2, 1, 0},
      {"550 5.7.1\r\n", true, 5, 7, 1},
      {"451 4.123.456 busy\r\n", true, 4, 123, 456},
      {"250-2.0.0 a\r\n250 2.0.0 b\r\n", true, 2, 0, 0},
      {"250 3.1.0 bad class\r\n", false, 0, 0, 0},
      {"250 2.1 short\r\n", false, 0, 0, 0},
      {"250 2.1.0000 long\r\n", false, 0, 0, 0},
      {"250 2.1.0x\r\n", false, 0, 0, 0},
      {"250 22.1.0 x\r\n", false, 0, 0, 0},
      {"250 OK\r\n", false, 0, 0, 0},
  };
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
    size_t n = strlen(vecs[i].in);
    const char *in = guard_copy(vecs[i].in, n);
    struct smtp_reply r;
    cr_assert_eq(smtp_reply_parse(in, n, &r), (ssize_t)n, "%s", vecs[i].in);
    cr_expect_eq(r.has_enhanced, vecs[i].has, "%s", vecs[i].in);
    if (vecs[i].has)
      cr_expect(r.enh_class == vecs[i].c && r.enh_subject == vecs[i].s && r.enh_detail == vecs[i].d,
                "%s: got %d.%d.%d", vecs[i].in, r.enh_class, r.enh_subject, r.enh_detail);
    guard_free_all();
  }
}

Test(reply_parse, flags_a_line_over_512_octets_and_refuses_one_over_4096) {
  static char buf[5000];
  memset(buf, 'x', sizeof buf);
  memcpy(buf, "250 ", 4);
  memcpy(buf + 510, "\r\n", 2);
  struct smtp_reply r;
  const char *in = guard_copy(buf, 512);
  cr_expect_eq(smtp_reply_parse(in, 512, &r), 512);
  cr_expect_eq(r.defects, 0, "512 octets with CRLF is allowed");
  memset(buf, 'x', sizeof buf);
  memcpy(buf, "250 ", 4);
  memcpy(buf + 511, "\r\n", 2);
  in = guard_copy(buf, 513);
  cr_expect_eq(smtp_reply_parse(in, 513, &r), 513);
  cr_expect_eq(r.defects, SMTP_REPLY_LINE_TOO_LONG);
  memset(buf, 'x', sizeof buf);
  memcpy(buf, "250 ", 4);
  in = guard_copy(buf, 4096);
  cr_expect_eq(smtp_reply_parse(in, 4096, &r), -1, "4096 octets and no LF");
  in = guard_copy(buf, 4095);
  cr_expect_eq(smtp_reply_parse(in, 4095, &r), -2, "4095 octets may still end");
  guard_free_all();
}

Test(reply_parse, counts_lines_beyond_the_index_and_flags_them) {
  static char buf[80 * 8];
  size_t n = 0;
  for (int i = 0; i < 69; i++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "250-l%02d\r\n", i);
  n += (size_t)snprintf(buf + n, sizeof buf - n, "250 end\r\n");
  const char *in = guard_copy(buf, n);
  struct smtp_reply r;
  cr_expect_eq(smtp_reply_parse(in, n, &r), (ssize_t)n);
  cr_expect_eq(r.nlines, 70);
  cr_expect_eq(r.defects, SMTP_REPLY_TOO_MANY_LINES);
  cr_expect_eq(r.lines[SMTP_REPLY_LINES_MAX - 1].len, 3);
  guard_free_all();
}

Test(reply_keyword, finds_ehlo_keywords_case_insensitively_with_their_parameters) {
  static const char ehlo[] = "250-mx.example.org Hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
                             "250-auth  PLAIN LOGIN\r\n250-SIZEX\r\n250 8BITMIME\r\n";
  const char *in = guard_copy(ehlo, sizeof ehlo - 1);
  struct smtp_reply r;
  const char *p;
  size_t pl;
  cr_assert_eq(smtp_reply_parse(in, sizeof ehlo - 1, &r), (ssize_t)(sizeof ehlo - 1));
  cr_expect(smtp_reply_keyword(&r, "pipelining", &p, &pl));
  cr_expect_eq(pl, 0);
  cr_expect(smtp_reply_keyword(&r, "SIZE", &p, &pl));
  cr_expect(pl == 4 && memcmp(p, "1000", 4) == 0);
  cr_expect(smtp_reply_keyword(&r, "AUTH", &p, &pl));
  cr_expect(pl == 11 && memcmp(p, "PLAIN LOGIN", 11) == 0);
  cr_expect(smtp_reply_keyword(&r, "8BITMIME", NULL, NULL));
  cr_expect_not(smtp_reply_keyword(&r, "SIZ", &p, &pl), "a prefix is not a keyword");
  cr_expect_not(smtp_reply_keyword(&r, "mx.example.org", &p, &pl), "greeting line skipped");
  cr_expect_not(smtp_reply_keyword(&r, "STARTTLS", &p, &pl));
  guard_free_all();
}

/* format_ok - format and compare with the exact wire bytes. */
static void format_ok(int code, const char *enh, const char *text, const char *want) {
  char buf[2048];
  int n = smtp_reply_format(buf, sizeof buf, code, enh, text);
  cr_expect_eq(n, (int)strlen(want), "%d %s: length %d, want %zu", code, text, n, strlen(want));
  if (n > 0)
    cr_expect(memcmp(buf, want, (size_t)n) == 0, "%d %s: got %.*s", code, text, n, buf);
}

Test(reply_format, writes_single_and_multi_line_replies_with_crlf) {
  format_ok(250, NULL, "OK", "250 OK\r\n");
  format_ok(250, "2.1.0", "Sender OK", "250 2.1.0 Sender OK\r\n");
  format_ok(250, NULL, "a\nb\nc", "250-a\r\n250-b\r\n250 c\r\n");
  format_ok(250, "2.0.0", "a\nb", "250-2.0.0 a\r\n250 2.0.0 b\r\n");
  format_ok(250, NULL, "a\n", "250 a\r\n");
  format_ok(250, NULL, "a\n\nb", "250-a\r\n250-\r\n250 b\r\n");
  format_ok(250, NULL, "", "250\r\n");
  format_ok(250, NULL, NULL, "250\r\n");
  format_ok(221, "2.0.0", "", "221 2.0.0\r\n");
  format_ok(500, NULL, "bad\r\x01x\x80", "500 bad?x?\r\n");
}

Test(reply_format, refuses_bad_codes_and_enhanced_codes) {
  char buf[64];
  cr_expect_eq(smtp_reply_format(buf, sizeof buf, 199, NULL, "x"), -1);
  cr_expect_eq(smtp_reply_format(buf, sizeof buf, 600, NULL, "x"), -1);
  cr_expect_eq(smtp_reply_format(buf, sizeof buf, 270, NULL, "x"), -1);
  cr_expect_eq(smtp_reply_format(buf, sizeof buf, 250, "2.0", "x"), -1);
  cr_expect_eq(smtp_reply_format(buf, sizeof buf, 250, "3.0.0", "x"), -1);
  cr_expect_eq(smtp_reply_format(buf, sizeof buf, 250, "2.0.0 ", "x"), -1);
}

Test(reply_format, refuses_output_that_does_not_fit_and_never_writes_past_cap) {
  char buf[16];
  memset(buf, '#', sizeof buf);
  cr_expect_eq(smtp_reply_format(buf, 8, 250, NULL, "OK"), 8, "exact fit, no NUL");
  cr_expect_eq(buf[8], '#');
  cr_expect_eq(smtp_reply_format(buf, 7, 250, NULL, "OK"), -1);
  cr_expect_eq(smtp_reply_format(buf, 9, 250, NULL, "OK"), 8);
  cr_expect_eq(buf[8], '\0', "NUL written when there is room");
}

Test(reply_format, wraps_long_text_into_lines_of_at_most_512_octets_that_parse_back) {
  static char text[3000], out[4000];
  for (size_t i = 0; i < sizeof text - 1; i++)
    text[i] = (i % 7 == 6) ? ' ' : 'a';
  text[sizeof text - 1] = '\0';
  static char solid[1200];
  memset(solid, 'b', sizeof solid - 1);
  solid[sizeof solid - 1] = '\0';
  const char *texts[] = {text, solid};
  for (size_t t = 0; t < 2; t++) {
    int n = smtp_reply_format(out, sizeof out, 550, "5.7.1", texts[t]);
    cr_assert_gt(n, 0);
    const char *in = guard_copy(out, (size_t)n);
    struct smtp_reply r;
    cr_assert_eq(smtp_reply_parse(in, (size_t)n, &r), n);
    cr_expect_eq(r.defects, 0, "wrapped reply has defects %#x", r.defects);
    cr_expect_gt(r.nlines, 1);
    size_t total = 0;
    for (size_t i = 0; i < r.nlines; i++) {
      cr_expect_leq(r.lines[i].len + 6, 512, "line %zu too long", i);
      cr_expect(r.lines[i].len >= 6 && memcmp(r.lines[i].text, "5.7.1 ", 6) == 0);
      total += r.lines[i].len - 6;
    }
    size_t want = strlen(texts[t]);
    cr_expect(total == want || total + (r.nlines - 1) == want, "text kept: %zu of %zu", total,
              want);
    guard_free_all();
  }
}

Test(reply_format, cuts_text_of_more_than_64_lines_so_the_parser_can_index_all) {
  static char text[300], out[2000];
  for (size_t i = 0; i < 100; i++) {
    text[2 * i] = (char)('a' + i % 26);
    text[2 * i + 1] = '\n';
  }
  text[199] = '\0';
  int n = smtp_reply_format(out, sizeof out, 250, NULL, text);
  cr_assert_gt(n, 0);
  const char *in = guard_copy(out, (size_t)n);
  struct smtp_reply r;
  cr_assert_eq(smtp_reply_parse(in, (size_t)n, &r), n);
  cr_expect_eq(r.nlines, SMTP_REPLY_LINES_MAX);
  cr_expect_eq(r.defects, 0);
  cr_expect(r.lines[63].len == 1 && r.lines[63].text[0] == 'a' + 63 % 26);
  guard_free_all();
}
