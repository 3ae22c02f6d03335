/* test_command_class.c - the octet class table of the command, parameter and address
 * parsers (reference-server/lib/command_class.c) against the grammar's own words, and
 * the folded-word comparisons that stand in for case-insensitive string compares. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>

#include "helper_guard.h"
#include "parse_util.h"

/* in - is c one of the octets of set? */
static bool in(int c, const char *set) {
  return c != 0 && strchr(set, c) != NULL;
}

/* want_bits - the class bits of c, from the ABNF written out plainly. */
static unsigned want_bits(int c) {
  bool digit = c >= '0' && c <= '9';
  bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  unsigned bits = 0;
  if (digit)
    bits |= PU_C_DIGIT;
  if (digit || alpha)
    bits |= PU_C_LETDIG;
  if (digit || alpha || c == '-')
    bits |= PU_C_LDH;
  if (digit || alpha || in(c, "!#$%&'*+-/=?^_`{|}~")) /* RFC 5322 3.2.3 atext */
    bits |= PU_C_ATEXT;
  if (c >= 33 && c <= 126 && c != '=') /* RFC 5321 4.1.2 esmtp-value */
    bits |= PU_C_VALUE;
  if (c >= 33 && c <= 126 && c != '=' && c != '+') /* RFC 3461 4 xchar */
    bits |= PU_C_XCHAR;
  if (digit || alpha || c == '-' || c == '_') /* RFC 4422 3.1 */
    bits |= PU_C_MECH;
  if (digit || alpha || in(c, "+/=")) /* base64 and "=" */
    bits |= PU_C_B64;
  if (digit || (c >= 'A' && c <= 'F')) /* RFC 3461 4 hexchar, upper case */
    bits |= PU_C_XHEX;
  return bits;
}

Test(command_class, gives_every_octet_exactly_the_classes_of_the_abnf) {
  for (int c = 0; c < 256; c++)
    cr_expect_eq(pu_class[c], want_bits(c), "octet %#x: classes %#x, want %#x", (unsigned)c,
                 pu_class[c], want_bits(c));
}

Test(command_class, spans_stop_at_the_first_octet_outside_the_class_at_any_length) {
  char buf[40];
  for (size_t n = 0; n < sizeof buf; n++) {
    for (size_t stop = 0; stop <= n; stop++) {
      memset(buf, 'a', n);
      if (stop < n)
        buf[stop] = '.';
      const char *in_buf = guard_copy(buf, n);
      cr_expect_eq(pu_span(in_buf, n, PU_C_LDH), stop, "n %zu, '.' at %zu", n, stop);
      guard_free_all();
    }
  }
}

Test(command_class, matches_words_in_either_case_and_nothing_else) {
  static const char word[] = "8BITMIME";
  char s[sizeof word];
  for (size_t pos = 0; pos < 8; pos++) {
    for (int c = 0x20; c < 256; c++) {
      if (c == 0x7f)
        continue; /* pu_fold32's condition: no control octet in s */
      memcpy(s, word, 8);
      s[pos] = (char)c;
      bool want = c == word[pos] || (word[pos] >= 'A' && c == word[pos] + 0x20);
      const char *in_s = guard_copy(s, 8);
      cr_expect_eq(pu_ieq_word(in_s, 8, word), want, "%#x at %zu", (unsigned)c, pos);
      guard_free_all();
    }
  }
  /* All letters: exact whatever s holds, control octets included. */
  for (int c = 0; c < 256; c++) {
    char p[] = "POSTMASTER";
    p[3] = (char)c;
    cr_expect_eq(pu_ieq_word(p, 10, "POSTMASTER"), c == 'T' || c == 't', "%#x", (unsigned)c);
  }
}
