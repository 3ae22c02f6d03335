/* test_reply_limits.c - the reply parser at its limits (RFC 5321 4.2.1 multi-line
 * replies far beyond the 64 lines it indexes) and the words it has for each defect. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/reply.h"

/* many_lines - "250-line N" continuation lines then "250 end": n lines in all. */
static char *many_lines(size_t n, size_t *len) {
  size_t cap = n * 24 + 16, at = 0;
  char *buf = malloc(cap);
  cr_assert_not_null(buf);
  for (size_t i = 0; i + 1 < n; i++)
    at += (size_t)snprintf(buf + at, cap - at, "250-line %zu\r\n", i);
  at += (size_t)snprintf(buf + at, cap - at, "250 end\r\n");
  *len = at;
  return buf;
}

Test(reply_limits, parses_a_reply_of_1000_lines_whole_counting_every_line_and_flagging_the_excess) {
  size_t len;
  char *buf = many_lines(1000, &len);
  struct smtp_reply r;
  const char *in = guard_copy(buf, len);
  cr_assert_eq(smtp_reply_parse(in, len, &r), (ssize_t)len);
  cr_expect_eq(r.code, 250);
  cr_expect_eq(r.nlines, 1000);
  cr_expect_eq(r.defects, SMTP_REPLY_TOO_MANY_LINES);
  /* The last indexed line is the 64th: "line 63". */
  cr_expect(r.lines[SMTP_REPLY_LINES_MAX - 1].len == 7 &&
            memcmp(r.lines[SMTP_REPLY_LINES_MAX - 1].text, "line 63", 7) == 0);
  guard_free_all();
  free(buf);
}

Test(reply_limits, needs_more_input_at_every_prefix_of_a_1000_line_reply) {
  size_t len;
  char *buf = many_lines(1000, &len);
  struct smtp_reply r;
  /* One octet more at a time: no prefix is a whole reply, even at line ends. */
  for (size_t n = 0; n < len; n += n < 200 ? 1 : 97) {
    const char *in = guard_copy(buf, n);
    cr_assert_eq(smtp_reply_parse(in, n, &r), -2, "prefix of %zu octets", n);
    guard_free_all();
  }
  free(buf);
}

Test(reply_limits, stops_at_the_end_of_the_first_reply_when_another_follows) {
  size_t len;
  char *buf = many_lines(100, &len);
  char *two = malloc(len + 9);
  cr_assert_not_null(two);
  memcpy(two, buf, len);
  memcpy(two + len, "221 bye\r\n", 9);
  struct smtp_reply r;
  const char *in = guard_copy(two, len + 9);
  cr_expect_eq(smtp_reply_parse(in, len + 9, &r), (ssize_t)len);
  cr_expect_eq(r.nlines, 100);
  guard_free_all();
  free(two);
  free(buf);
}

Test(reply_limits, names_every_defect_in_its_own_words_and_anything_else_unknown) {
  const char *seen[16] = {0};
  size_t n = 0;
  for (unsigned bit = SMTP_REPLY_BARE_LF; bit <= SMTP_REPLY_TOO_MANY_LINES; bit <<= 1) {
    const char *t = smtp_reply_defect_text(bit);
    cr_assert_not_null(t);
    cr_expect_str_neq(t, "unknown reply defect", "defect bit %#x has no words", bit);
    for (size_t i = 0; i < n; i++)
      cr_expect_str_neq(seen[i], t, "two defects described alike: %s", t);
    seen[n++] = t;
  }
  cr_expect_eq(n, 10);
  cr_expect_str_eq(smtp_reply_defect_text(0), "unknown reply defect");
  cr_expect_str_eq(smtp_reply_defect_text(SMTP_REPLY_TOO_MANY_LINES << 1), "unknown reply defect");
  cr_expect_str_eq(smtp_reply_defect_text(SMTP_REPLY_BARE_LF | SMTP_REPLY_NUL),
                   "unknown reply defect", "a set of bits is not one defect");
}
