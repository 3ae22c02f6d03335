/* test_line.c - CRLF line framing: RFC 5321 2.3.8 and the 4.5.3.1 limits. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/line.h"

/* One framing vector: input, limit, and what smtp_line_find must say. */
struct line_vec {
  const char *in;
  size_t in_len;
  size_t max;
  enum smtp_line_status status;
  size_t len;       /* line length (COMPLETE) */
  unsigned defects; /* defect bits (COMPLETE) */
  const char *about;
};

#define V(s, max, st, l, d, about)                                                                 \
  { s, sizeof(s) - 1, max, st, l, d, about }

static const struct line_vec line_vecs[] = {
    V("NOOP\r\n", 512, SMTP_LINE_COMPLETE, 4, 0, "plain command line"),
    V("\r\n", 512, SMTP_LINE_COMPLETE, 0, 0, "empty line"),
    V("NOOP\r\nQUIT\r\n", 512, SMTP_LINE_COMPLETE, 4, 0, "first of two pipelined lines"),
    V("NOOP", 512, SMTP_LINE_PARTIAL, 0, 0, "no line end yet"),
    V("NOOP\r", 512, SMTP_LINE_PARTIAL, 0, 0, "CR waiting for its LF"),
    V("", 512, SMTP_LINE_PARTIAL, 0, 0, "empty buffer"),
    V("NO\nOP\r\n", 512, SMTP_LINE_COMPLETE, 5, SMTP_LINE_BARE_LF, "bare LF stays inside"),
    V("NO\rOP\r\n", 512, SMTP_LINE_COMPLETE, 5, SMTP_LINE_BARE_CR, "bare CR stays inside"),
    V("NO\r\rOP\r\n", 512, SMTP_LINE_COMPLETE, 6, SMTP_LINE_BARE_CR, "CR CR is one bare CR"),
    V("\nNOOP\r\n", 512, SMTP_LINE_COMPLETE, 5, SMTP_LINE_BARE_LF, "leading bare LF"),
    V("NO\0OP\r\n", 512, SMTP_LINE_COMPLETE, 5, SMTP_LINE_NUL, "NUL octet"),
    V("caf\xc3\xa9\r\n", 512, SMTP_LINE_COMPLETE, 5, SMTP_LINE_8BIT, "8-bit octets"),
    V("\r\r\n", 512, SMTP_LINE_COMPLETE, 1, SMTP_LINE_BARE_CR, "CR CR LF ends after a bare CR"),
    V("abcd\r\n", 6, SMTP_LINE_COMPLETE, 4, 0, "line exactly at the limit"),
    V("abcde\r\n", 6, SMTP_LINE_TOO_LONG, 0, 0, "one octet over the limit"),
    V("abcd\r", 5, SMTP_LINE_TOO_LONG, 0, 0, "CR at the limit cannot be completed"),
    V("abcdef", 6, SMTP_LINE_TOO_LONG, 0, 0, "limit reached with no CR"),
    V("abcde", 6, SMTP_LINE_PARTIAL, 0, 0, "below the limit still partial"),
};

Test(line_find, finds_lines_ended_only_by_crlf_and_reports_defects) {
  for (size_t i = 0; i < sizeof line_vecs / sizeof line_vecs[0]; i++) {
    const struct line_vec *v = &line_vecs[i];
    const char *in = guard_copy(v->in, v->in_len);
    struct smtp_line line;
    enum smtp_line_status st = smtp_line_find(in, v->in_len, v->max, &line);
    cr_expect_eq(st, v->status, "%s: status %d, want %d", v->about, st, v->status);
    if (st == SMTP_LINE_COMPLETE && v->status == SMTP_LINE_COMPLETE) {
      cr_expect_eq(line.data, in, "%s: data points into the buffer", v->about);
      cr_expect_eq(line.len, v->len, "%s: len %zu, want %zu", v->about, line.len, v->len);
      cr_expect_eq(line.consumed, v->len + 2, "%s: consumed", v->about);
      cr_expect_eq(line.defects, v->defects, "%s: defects %#x, want %#x", v->about, line.defects,
                   v->defects);
    } else {
      cr_expect_eq(line.consumed, 0, "%s: nothing consumed", v->about);
    }
    guard_free_all();
  }
}

Test(line_find, says_partial_for_every_proper_prefix_of_a_complete_line) {
  for (size_t i = 0; i < sizeof line_vecs / sizeof line_vecs[0]; i++) {
    const struct line_vec *v = &line_vecs[i];
    if (v->status != SMTP_LINE_COMPLETE)
      continue;
    for (size_t n = 0; n < v->len + 2; n++) {
      const char *in = guard_copy(v->in, n);
      struct smtp_line line;
      enum smtp_line_status st = smtp_line_find(in, n, v->max, &line);
      cr_expect_eq(st, SMTP_LINE_PARTIAL, "%s: prefix of %zu octets gave %d", v->about, n, st);
      guard_free_all();
    }
  }
}

Test(line_find, accepts_a_512_octet_command_line_and_refuses_513) {
  char buf[600];
  memset(buf, 'a', sizeof buf);
  memcpy(buf + 510, "\r\n", 2);
  struct smtp_line line;
  const char *in = guard_copy(buf, 512);
  cr_expect_eq(smtp_line_find(in, 512, SMTP_COMMAND_LINE_MAX, &line), SMTP_LINE_COMPLETE);
  cr_expect_eq(line.len, 510);
  memset(buf, 'a', sizeof buf);
  memcpy(buf + 511, "\r\n", 2);
  in = guard_copy(buf, 513);
  cr_expect_eq(smtp_line_find(in, 513, SMTP_COMMAND_LINE_MAX, &line), SMTP_LINE_TOO_LONG);
  guard_free_all();
}

Test(line_skip, skips_through_the_next_crlf) {
  int pending = 0;
  const char *in = guard_copy("junk\nmore\r\nNOOP\r\n", 17);
  cr_expect_eq(smtp_line_skip(in, 17, &pending), 11);
  cr_expect_eq(pending, 0);
  guard_free_all();
}

Test(line_skip, remembers_a_cr_split_across_calls) {
  int pending = 0;
  const char *a = guard_copy("junk\r", 5);
  cr_expect_eq(smtp_line_skip(a, 5, &pending), 0);
  cr_expect_eq(pending, 1);
  const char *b = guard_copy("\nNOOP\r\n", 7);
  cr_expect_eq(smtp_line_skip(b, 7, &pending), 1);
  cr_expect_eq(pending, 0);
  guard_free_all();
}

Test(line_skip, does_not_take_a_bare_lf_after_a_non_cr_as_the_end) {
  int pending = 0;
  const char *a = guard_copy("junk", 4);
  cr_expect_eq(smtp_line_skip(a, 4, &pending), 0);
  cr_expect_eq(pending, 0);
  const char *b = guard_copy("\nx\r\n", 4);
  cr_expect_eq(smtp_line_skip(b, 4, &pending), 4);
  const char *c = guard_copy("", 0);
  cr_expect_eq(smtp_line_skip(c, 0, &pending), 0);
  guard_free_all();
}

Test(line_skip, resynchronises_one_byte_at_a_time) {
  static const char stream[] = "xxxxxxxx\rx\r\r\nNOOP";
  size_t n = sizeof stream - 1, at = 0, end = 0;
  int pending = 0;
  for (; at < n; at++) {
    const char *b = guard_copy(stream + at, 1);
    size_t k = smtp_line_skip(b, 1, &pending);
    guard_free_all();
    if (k > 0) {
      end = at + k;
      break;
    }
  }
  cr_expect_eq(end, 13, "the skip ends after CR CR LF at 13, got %zu", end);
}

/* The guard page is what makes every "never reads past the end" claim here testable.
 * Under AddressSanitizer the fault is reported by ASan, which then exits with 1. */
#if defined(__SANITIZE_ADDRESS__)
#define GUARD_FAULT .exit_code = 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GUARD_FAULT .exit_code = 1
#endif
#endif
#ifndef GUARD_FAULT
#define GUARD_FAULT .signal = SIGSEGV
#endif

Test(guard_copy, keeps_the_bytes_and_faults_on_a_read_one_past_the_end, GUARD_FAULT) {
  const char *in = guard_copy("NOOP\r\n", 6);
  cr_expect(memcmp(in, "NOOP\r\n", 6) == 0);
  volatile const char *p = in;
  char c = p[6];
  cr_expect_fail("read past the end returned %d", c);
}

Test(guard_copy, faults_on_any_read_of_an_empty_copy, GUARD_FAULT) {
  volatile const char *p = guard_copy("", 0);
  char c = p[0];
  cr_expect_fail("read of an empty copy returned %d", c);
}
