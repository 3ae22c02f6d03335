/* test_sbuf.c - the growable byte buffer every part of the harness appends to. */
#include <criterion/criterion.h>
#include <string.h>

#include "sbuf.h"

Test(sbuf, keeps_nul_octets_and_stays_nul_terminated) {
  struct sbuf b = {0};
  cr_assert_eq(sbuf_append(&b, "a\0b", 3), 0);
  cr_assert_eq(b.len, 3);
  cr_assert_eq(memcmp(b.p, "a\0b", 4), 0);
  sbuf_free(&b);
  cr_assert_null(b.p);
  cr_assert_eq(b.len + b.cap, 0);
}

Test(sbuf, grows_past_its_first_allocation_without_losing_octets) {
  struct sbuf b = {0};
  for (int i = 0; i < 10000; i++)
    cr_assert_eq(sbuf_append(&b, i % 2 ? "x" : "yz", i % 2 ? 1 : 2), 0);
  cr_assert_eq(b.len, 15000);
  cr_assert_eq(b.p[14999], 'x');
  cr_assert_eq(b.p[15000], '\0');
  cr_assert_eq(memcmp(b.p, "yzxyzx", 6), 0);
  sbuf_free(&b);
}

Test(sbuf, appends_formatted_text_longer_than_any_line_buffer) {
  struct sbuf b = {0};
  char big[5000];
  memset(big, 'q', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  cr_assert_eq(sbuf_appendf(&b, "<%s>", "x"), 0);
  cr_assert_eq(sbuf_appendf(&b, "%s|%d", big, 42), 0);
  cr_assert_eq(b.len, 3 + 4999 + 3);
  cr_assert_eq(memcmp(b.p, "<x>qq", 5), 0);
  cr_assert_str_eq(b.p + b.len - 4, "q|42");
  sbuf_free(&b);
}

Test(sbuf, reserve_of_nothing_still_makes_an_empty_string) {
  struct sbuf b = {0};
  cr_assert_eq(sbuf_append(&b, "", 0), 0);
  cr_assert_null(b.p, "appending nothing allocates nothing");
  cr_assert_eq(sbuf_reserve(&b, 0), 0);
  cr_assert_not_null(b.p);
  cr_assert_str_eq(b.p, "");
  cr_assert_eq(b.len, 0);
  sbuf_free(&b);
}

Test(sbuf, consume_moves_the_rest_to_the_front) {
  struct sbuf b = {0};
  cr_assert_eq(sbuf_append(&b, "hello world", 11), 0);
  sbuf_consume(&b, 6);
  cr_assert_str_eq(b.p, "world");
  cr_assert_eq(b.len, 5);
  sbuf_consume(&b, 99);
  cr_assert_eq(b.len, 0);
  cr_assert_str_eq(b.p, "");
  sbuf_free(&b);
  sbuf_consume(&b, 1); /* an empty, unallocated buffer is fine too */
  cr_assert_null(b.p);
}
