/* test_escape.c - the one escaping loop and its styles (wire, JSON, XML use it). */
#include <criterion/criterion.h>
#include <string.h>

#include "escape.h"
#include "helper_guard.h"

/* star_named - a test style: '*' becomes "<star>", NUL stays numeric. */
static const char *star_named(unsigned char c) {
  return c == '*' ? "<star>" : NULL;
}

/* escaped - the input through style, whole, as a string the test owns. */
static char *escaped(const char *in, size_t n, const struct escape_style *st) {
  struct sbuf b = {0};
  cr_assert_eq(escape_append(guard_copy(in, n), n, st, &b), 0);
  cr_assert_eq(sbuf_reserve(&b, 0), 0);
  return b.p;
}

Test(escape, names_numbers_and_copies_octets_as_the_style_says) {
  const struct escape_style st = {.named = star_named, .numeric = "%"};
  char *out = escaped("a*b\x01\x7f\xc3\xa9 ", 8, &st);
  cr_assert_str_eq(out, "a<star>b%01%7f%c3%a9 ");
  free(out);
  guard_free_all();
}

Test(escape, keeps_valid_utf8_and_del_only_when_the_style_allows) {
  const struct escape_style st = {
      .named = star_named, .numeric = "\\x", .keep_del = true, .utf8 = true};
  /* é (2 octets), € (3), U+1F600 (4) kept; an overlong 0xc0 0xaf, a lone continuation
   * octet, a surrogate (ED A0 80) and a cut sequence at the end are not. */
  const char in[] = "\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc0\xaf\x80\xed\xa0\x80\xe2\x82";
  char *out = escaped(in, sizeof in - 1, &st);
  cr_assert_str_eq(out, "\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                        "\\xc0\\xaf\\x80\\xed\\xa0\\x80\\xe2\\x82");
  free(out);
  guard_free_all();
}

Test(escape, utf8_len_accepts_only_shortest_forms_up_to_u10ffff) {
  cr_assert_eq(utf8_len((const unsigned char *)"\xc3\xa9", 2), 2);
  cr_assert_eq(utf8_len((const unsigned char *)"\xc3\xa9", 1), 0);
  cr_assert_eq(utf8_len((const unsigned char *)"\xe0\x80\x80", 3), 0);     /* overlong */
  cr_assert_eq(utf8_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4); /* U+10FFFF */
  cr_assert_eq(utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0); /* over it */
  cr_assert_eq(utf8_len((const unsigned char *)"a", 1), 0);
}

Test(escape, an_empty_input_appends_nothing) {
  const struct escape_style st = {.named = star_named, .numeric = "\\x"};
  struct sbuf b = {0};
  cr_assert_eq(escape_append("", 0, &st, &b), 0);
  cr_assert_eq(b.len, 0);
  sbuf_free(&b);
}
