/* test_data.c - DATA transparency (RFC 5321 4.5.2), end of data (4.1.1.4) and smuggling,
 * dot-stuffing, BDAT chunk accounting (RFC 3030). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/data.h"

/* What feeding a DATA stream produced. */
struct fed {
  char out[8192];
  size_t out_len;
  size_t consumed;
  bool done;
  unsigned defects;
};

/* feed - give in[0..len) to a fresh unstuffer in pieces of at most step octets (0 = whole),
 * first piece of first octets when first > 0; each piece through a guard copy. */
static void feed(const char *in, size_t len, size_t first, size_t step, struct fed *f) {
  struct smtp_unstuffer u;
  memset(&u, 0, sizeof u);
  memset(f, 0, sizeof *f);
  size_t at = 0;
  while (at < len && !f->done) {
    size_t n = len - at;
    if (at == 0 && first > 0 && first < n)
      n = first;
    else if (step > 0 && step < n)
      n = step;
    const char *piece = guard_copy(in + at, n);
    size_t w = 0;
    bool done = false;
    size_t used = smtp_unstuff(&u, piece, n, f->out + f->out_len, &w, &done);
    cr_assert_leq(w, n + 2, "wrote %zu for %zu in", w, n);
    cr_assert_leq(used, n);
    f->out_len += w;
    f->consumed = at + used;
    f->done = done;
    if (!done)
      cr_assert_eq(used, n, "consumed %zu of %zu without finishing", used, n);
    at += used;
    guard_free_all();
  }
  f->defects = u.defects;
  cr_assert_eq(u.total, f->out_len, "total counts the content produced");
}

/* One DATA vector: wire bytes, the content, and what else must be true. */
struct data_vec {
  const char *in;
  size_t in_len;
  const char *content;
  size_t content_len;
  bool done;
  size_t consumed; /* when done */
  unsigned defects;
  const char *about;
};

#define D(in, content, done, consumed, defects, about)                                             \
  { in, sizeof(in) - 1, content, sizeof(content) - 1, done, consumed, defects, about }

static const struct data_vec data_vecs[] = {
    D(".\r\n", "", true, 3, 0, "empty message"),
    D("a\r\n.\r\n", "a\r\n", true, 6, 0, "one line"),
    D("a\r\nb\r\n.\r\nQUIT\r\n", "a\r\nb\r\n", true, 9, 0, "stops at the end mark"),
    D("..\r\n.\r\n", ".\r\n", true, 7, 0, "stuffed dot line"),
    D("..a\r\n...\r\n.\r\n", ".a\r\n..\r\n", true, 13, 0, "leading dots unstuffed"),
    D(".a\r\n.\r\n", "a\r\n", true, 7, 0, "unstuffed single dot (4.5.2)"),
    D("a.\r\n.\r\n", "a.\r\n", true, 7, 0, "dot at line end kept"),
    D("a\r\n. \r\n.\r\n", "a\r\n \r\n", true, 10, 0, "dot then space"),
    D("a\r\n", "a\r\n", false, 0, 0, "no end yet"),
    D("a\r\n.", "a\r\n", false, 0, 0, "dot held back"),
    D("a\r\n.\r", "a\r\n", false, 0, 0, "dot CR held back"),
    D("a\r", "a", false, 0, 0, "CR held back"),
    D("a\r\n.\r\n.\r\n", "a\r\n", true, 6, 0, "only the first end mark counts"),
    /* smuggling variants (REFERENCES.md) are all content */
    D("a\n.\nb", "a\n.\nb", false, 0, SMTP_DATA_BARE_LF, "LF . LF"),
    D("a\n.\rb", "a\n.\rb", false, 0, SMTP_DATA_BARE_LF | SMTP_DATA_BARE_CR, "LF . CR"),
    D("a\r.\nb", "a\r.\nb", false, 0, SMTP_DATA_BARE_LF | SMTP_DATA_BARE_CR, "CR . LF"),
    D("a\r.\rb", "a\r.\rb", false, 0, SMTP_DATA_BARE_CR, "CR . CR"),
    D("a\n.\r\nb", "a\n.\r\nb", false, 0, SMTP_DATA_BARE_LF, "LF . CRLF"),
    D("a\r.\r\nb", "a\r.\r\nb", false, 0, SMTP_DATA_BARE_CR, "CR . CRLF"),
    D("a\r\n.\nb", "a\r\n\nb", false, 0, SMTP_DATA_BARE_LF, "CRLF . LF"),
    D("a\r\n.\rb", "a\r\n\rb", false, 0, SMTP_DATA_BARE_CR, "CRLF . CR"),
    D("a\r\n\0.\r\nb", "a\r\n\0.\r\nb", false, 0, SMTP_DATA_NUL, "CRLF NUL . CRLF"),
    D("a\r\n.\0\r\nb", "a\r\n\0\r\nb", false, 0, SMTP_DATA_NUL, "CRLF . NUL CRLF"),
    D("a\r\n.\r\r\nb", "a\r\n\r\r\nb", false, 0, SMTP_DATA_BARE_CR, "CRLF . CR CRLF"),
    D("a\r\r\n.\r\r\nb", "a\r\r\n\r\r\nb", false, 0, SMTP_DATA_BARE_CR, "CR CRLF . CR CRLF"),
    D("\n.\n", "\n.\n", false, 0, SMTP_DATA_BARE_LF, "LF . LF at the start"),
    D("a\n.\r\n.\r\n", "a\n.\r\n", true, 8, SMTP_DATA_BARE_LF, "real end after LF . CRLF"),
    D("caf\xc3\xa9\r\n.\r\n", "caf\xc3\xa9\r\n", true, 10, SMTP_DATA_8BIT, "8-bit content"),
};

/* data_expect - compare one run with the vector. */
static void data_expect(const struct data_vec *v, const struct fed *f, const char *how) {
  cr_expect_eq(f->done, v->done, "%s (%s): done %d", v->about, how, f->done);
  if (v->done)
    cr_expect_eq(f->consumed, v->consumed, "%s (%s): consumed %zu", v->about, how, f->consumed);
  cr_expect(f->out_len == v->content_len && memcmp(f->out, v->content, f->out_len) == 0,
            "%s (%s): content of %zu octets differs", v->about, how, f->out_len);
  cr_expect_eq(f->defects, v->defects, "%s (%s): defects %#x, want %#x", v->about, how, f->defects,
               v->defects);
}

Test(unstuff, gives_the_content_of_every_vector_fed_whole) {
  for (size_t i = 0; i < sizeof data_vecs / sizeof data_vecs[0]; i++) {
    struct fed f;
    feed(data_vecs[i].in, data_vecs[i].in_len, 0, 0, &f);
    data_expect(&data_vecs[i], &f, "whole");
  }
}

Test(unstuff, gives_the_same_content_fed_one_byte_at_a_time) {
  for (size_t i = 0; i < sizeof data_vecs / sizeof data_vecs[0]; i++) {
    struct fed f;
    feed(data_vecs[i].in, data_vecs[i].in_len, 0, 1, &f);
    data_expect(&data_vecs[i], &f, "byte by byte");
  }
}

Test(unstuff, gives_the_same_content_split_at_every_byte_boundary) {
  for (size_t i = 0; i < sizeof data_vecs / sizeof data_vecs[0]; i++) {
    for (size_t cut = 1; cut < data_vecs[i].in_len; cut++) {
      struct fed f;
      char how[32];
      snprintf(how, sizeof how, "split at %zu", cut);
      feed(data_vecs[i].in, data_vecs[i].in_len, cut, 0, &f);
      data_expect(&data_vecs[i], &f, how);
    }
  }
}

/* The end-of-data spellings public smuggling scanners use (REFERENCES.md). */
static const struct {
  const char *s;
  size_t n;
} smuggle[] = {
    {"\n.\n", 3},       {"\n.\r", 3},       {"\r.\n", 3},       {"\r.\r", 3},
    {"\n.\r\n", 4},     {"\r.\r\n", 4},     {"\r\n.\n", 4},     {"\r\n.\r", 4},
    {"\r\n\0.\r\n", 6}, {"\r\n.\0\r\n", 6}, {"\r\n.\r\r\n", 6}, {"\r\r\n.\r\r\n", 7},
};

Test(unstuff, never_ends_data_on_a_smuggling_variant_and_ends_on_the_real_mark) {
  static const char head[] = "Subject: x\r\n\r\nbody";
  static const char tail[] = "MAIL FROM:<evil@x.org>\r\nRCPT TO:<v@y.org>\r\nDATA\r\n";
  for (size_t i = 0; i < sizeof smuggle / sizeof smuggle[0]; i++) {
    char stream[256];
    size_t n = 0;
    memcpy(stream + n, head, sizeof head - 1);
    n += sizeof head - 1;
    memcpy(stream + n, smuggle[i].s, smuggle[i].n);
    n += smuggle[i].n;
    memcpy(stream + n, tail, sizeof tail - 1);
    n += sizeof tail - 1;
    size_t fake_end = n;
    memcpy(stream + n, "\r\n.\r\n", 5);
    n += 5;
    for (size_t step = 0; step <= 1; step++) {
      struct fed f;
      feed(stream, fake_end, 0, step, &f);
      cr_expect_not(f.done, "variant %zu ended the data (step %zu)", i, step);
      feed(stream, n, 0, step, &f);
      cr_expect(f.done, "variant %zu: the real CRLF.CRLF did not end the data", i);
      cr_expect_eq(f.consumed, n, "variant %zu: ended at %zu of %zu", i, f.consumed, n);
      /* The content ends in the smuggled commands plus the CRLF that began the end mark. */
      cr_expect(f.out_len > sizeof tail + 1 &&
                    memcmp(f.out + f.out_len - 2 - (sizeof tail - 1), tail, sizeof tail - 1) == 0,
                "variant %zu: the smuggled commands are content", i);
      cr_expect(f.defects & (SMTP_DATA_BARE_CR | SMTP_DATA_BARE_LF | SMTP_DATA_NUL),
                "variant %zu flagged", i);
    }
    for (size_t cut = 1; cut < n; cut++) {
      struct fed f;
      feed(stream, n, cut, 0, &f);
      cr_expect(f.done && f.consumed == n, "variant %zu split at %zu", i, cut);
    }
  }
}

Test(unstuff, flags_a_text_line_over_1000_octets) {
  static char buf[1100];
  memset(buf, 'x', sizeof buf);
  memcpy(buf + 998, "\r\n.\r\n", 5);
  struct fed f;
  feed(buf, 1003, 0, 0, &f);
  cr_expect(f.done);
  cr_expect_eq(f.defects, 0, "998 octets + CRLF = 1000 is allowed");
  memset(buf, 'x', sizeof buf);
  memcpy(buf + 999, "\r\n.\r\n", 5);
  feed(buf, 1004, 0, 1, &f);
  cr_expect(f.done);
  cr_expect_eq(f.defects, SMTP_DATA_LINE_TOO_LONG, "999 octets + CRLF = 1001");
  memset(buf, 'x', sizeof buf);
  memcpy(buf, "..", 2);
  memcpy(buf + 998, "\r\n.\r\n", 5);
  feed(buf, 1003, 0, 0, &f);
  cr_expect_eq(f.defects, 0, "the stuffed dot counts on the wire, not in the content");
  cr_expect_eq(f.out_len, 999);
}

Test(unstuff, consumes_nothing_more_once_done) {
  struct smtp_unstuffer u;
  memset(&u, 0, sizeof u);
  char out[16];
  size_t w;
  bool done;
  const char *in = guard_copy(".\r\nNOOP", 7);
  cr_expect_eq(smtp_unstuff(&u, in, 7, out, &w, &done), 3);
  cr_expect(done);
  cr_expect_eq(smtp_unstuff(&u, in + 3, 4, out, &w, &done), 0);
  cr_expect(done && w == 0);
  guard_free_all();
}

/* stuff_all - stuff in[0..n) in pieces of step octets (0 = whole) plus the end mark. */
static size_t stuff_all(const char *in, size_t n, size_t step, char *out) {
  struct smtp_stuffer s;
  memset(&s, 0, sizeof s);
  size_t o = 0, at = 0;
  while (at < n) {
    size_t k = step == 0 || step > n - at ? n - at : step;
    const char *piece = guard_copy(in + at, k);
    o += smtp_stuff(&s, piece, k, out + o);
    guard_free_all();
    at += k;
  }
  return o + smtp_stuff_end(&s, out + o);
}

Test(stuff, doubles_leading_dots_and_ends_with_crlf_dot_crlf) {
  static const struct {
    const char *in, *out;
  } vecs[] = {
      {"", ".\r\n"},
      {"a", "a\r\n.\r\n"},
      {"a\r\n", "a\r\n.\r\n"},
      {".", "..\r\n.\r\n"},
      {".\r\n", "..\r\n.\r\n"},
      {"a\r\n.b\r\n", "a\r\n..b\r\n.\r\n"},
      {"a.b", "a.b\r\n.\r\n"},
      {"a\n.\n", "a\r\n..\r\n.\r\n"},
      {"a\r\r\n", "a\r\r\n.\r\n"},
      {"a\r", "a\r\r\n.\r\n"},
      {"\n", "\r\n.\r\n"},
  };
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
    for (size_t step = 0; step <= 1; step++) {
      char out[64];
      size_t n = stuff_all(vecs[i].in, strlen(vecs[i].in), step, out);
      cr_expect(n == strlen(vecs[i].out) && memcmp(out, vecs[i].out, n) == 0,
                "vector %zu step %zu: got %.*s", i, step, (int)n, out);
    }
  }
}

/* lcg - a fixed pseudo-random sequence, so that a failure can be replayed. */
static unsigned lcg(unsigned *state) {
  *state = *state * 1103515245u + 12345u;
  return (*state >> 16) & 0x7fff;
}

Test(stuff, round_trips_through_the_unstuffer_for_crlf_normalised_content) {
  unsigned seed = 42;
  static const char *const pieces[] = {".", "..", "\r\n", "a", " ", ".\r\n", "x.y", "\xc3\xa9"};
  for (int round = 0; round < 400; round++) {
    char content[600], wire[1300];
    size_t n = 0;
    int count = (int)(lcg(&seed) % 40);
    for (int k = 0; k < count; k++) {
      const char *p = pieces[lcg(&seed) % (sizeof pieces / sizeof pieces[0])];
      memcpy(content + n, p, strlen(p));
      n += strlen(p);
    }
    size_t step = lcg(&seed) % 4; /* 0 = whole */
    size_t w = stuff_all(content, n, step, wire);
    struct fed f;
    feed(wire, w, 0, lcg(&seed) % 3, &f);
    cr_assert(f.done, "round %d: no end", round);
    cr_assert_eq(f.consumed, w, "round %d: ended early", round);
    bool ends_crlf = n >= 2 && content[n - 2] == '\r' && content[n - 1] == '\n';
    size_t want = n + ((n == 0 || ends_crlf) ? 0 : 2);
    cr_assert(f.out_len == want && memcmp(f.out, content, n) == 0,
              "round %d: %zu octets back for %zu", round, f.out_len, n);
    cr_assert_eq(f.defects & ~SMTP_DATA_8BIT, 0, "round %d: defects %#x", round, f.defects);
  }
}

Test(bdat, takes_exactly_the_announced_chunk_size) {
  struct smtp_bdat b = {10, false, 0};
  cr_expect_eq(smtp_bdat_take(&b, 4), 4);
  cr_expect_eq(b.remaining, 6);
  cr_expect_eq(smtp_bdat_take(&b, 100), 6, "the rest belongs to the next command");
  cr_expect_eq(b.remaining, 0);
  cr_expect_eq(smtp_bdat_take(&b, 5), 0);
  cr_expect_eq(b.total, 10);
  b.remaining = 3;
  b.last = true;
  cr_expect_eq(smtp_bdat_take(&b, 3), 3);
  cr_expect_eq(b.total, 13, "total runs across chunks");
}
