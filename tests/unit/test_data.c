/* test_data.c - DATA transparency (RFC 5321 4.5.2), end of data (4.1.1.4) and smuggling,
 * dot-stuffing, BDAT chunk accounting (RFC 3030). */
#include <criterion/criterion.h>
#include <stdint.h>
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

/* The unstuffer as first written, one octet at a time: the model the word-at-a-time
 * fast path must match exactly (content, consumption, end, defects, totals). */
struct model {
  int state; /* 0 line start, 1 ".", 2 "." CR, 3 inside a line, 4 CR, 5 done */
  size_t line_len;
  unsigned defects;
  size_t total;
};

/* model_emit - one content octet and its defects. */
static void model_emit(struct model *m, char c, char *out, size_t *o) {
  if (c == '\0')
    m->defects |= SMTP_DATA_NUL;
  else if ((unsigned char)c >= 0x80)
    m->defects |= SMTP_DATA_8BIT;
  out[(*o)++] = c;
  m->total++;
}

/* model_mid - one octet inside a line. */
static void model_mid(struct model *m, char c, char *out, size_t *o) {
  if (c == '\r') {
    m->state = 4;
    return;
  }
  if (c == '\n')
    m->defects |= SMTP_DATA_BARE_LF;
  model_emit(m, c, out, o);
  m->state = 3;
}

/* model_bare_cr - a held CR not followed by LF. */
static void model_bare_cr(struct model *m, char *out, size_t *o) {
  m->defects |= SMTP_DATA_BARE_CR;
  model_emit(m, '\r', out, o);
}

/* model_unstuff - RFC 5321 4.5.2 / 4.1.1.4, one octet per step. */
static size_t model_unstuff(struct model *m, const char *in, size_t len, char *out, size_t *olen) {
  size_t i = 0, o = 0;
  while (i < len && m->state != 5) {
    char c = in[i++];
    if (++m->line_len > 1000)
      m->defects |= SMTP_DATA_LINE_TOO_LONG;
    switch (m->state) {
    case 0:
      if (c == '.')
        m->state = 1;
      else
        model_mid(m, c, out, &o);
      break;
    case 1:
      if (c == '\r') {
        m->state = 2;
      } else if (c == '.') {
        model_emit(m, '.', out, &o);
        m->state = 3;
      } else {
        model_mid(m, c, out, &o);
      }
      break;
    case 2:
      if (c == '\n') {
        m->state = 5;
        m->line_len = 0;
      } else {
        model_bare_cr(m, out, &o);
        model_mid(m, c, out, &o);
      }
      break;
    case 3:
      model_mid(m, c, out, &o);
      break;
    default: /* 4: CR held */
      if (c == '\n') {
        model_emit(m, '\r', out, &o);
        model_emit(m, '\n', out, &o);
        m->state = 0;
        m->line_len = 0;
      } else {
        model_bare_cr(m, out, &o);
        model_mid(m, c, out, &o);
      }
      break;
    }
  }
  *olen = o;
  return i;
}

/* rng_next - xorshift64, fixed seed: the same inputs on every run. */
static uint64_t rng_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* random_wire - DATA-like bytes: text runs of 0-1200 octets, many near 1000 (so word-sized steps,
 * 1000 octet lines and NUL / 8-bit octets occur), CRLF, bare CR / LF, leading dots, marks. */
static size_t random_wire(uint64_t *s, char *buf, size_t cap) {
  static const char *const pieces[] = {"\r\n",      "\r\n",  "\r\n", "\r", "\n",   ".",   "..",
                                       "\r\n.\r\n", "\r\n.", ".\r",  "\0", "\x80", "\xff"};
  size_t n = 0;
  while (n + 1300 < cap) {
    uint64_t r = rng_next(s);
    if (r % 3 == 0) {
      size_t run = (size_t)(rng_next(s) % 40);
      if (r % 7 == 0)
        run = 994 + (size_t)(rng_next(s) % 9); /* around the 1000-octet line limit */
      else if (r % 11 == 0)
        run = (size_t)(rng_next(s) % 1200);
      for (size_t k = 0; k < run; k++)
        buf[n++] = (char)('a' + k % 26);
    } else {
      const char *p = pieces[(r >> 8) % (sizeof pieces / sizeof pieces[0])];
      size_t pl = p[0] == '\0' ? 1 : strlen(p);
      memcpy(buf + n, p, pl);
      n += pl;
    }
    if (r % 97 == 0)
      break;
  }
  return n;
}

Test(unstuff, matches_the_octet_at_a_time_model_on_random_input_in_random_pieces) {
  static char wire[16384], got[16384 + 2], want[16384 + 2];
  uint64_t seed = 0x9e3779b97f4a7c15u;
  for (int round = 0; round < 400; round++) {
    size_t len = random_wire(&seed, wire, sizeof wire);
    struct smtp_unstuffer u;
    struct model m;
    memset(&u, 0, sizeof u);
    memset(&m, 0, sizeof m);
    size_t at = 0, got_len = 0, want_len = 0;
    bool done = false;
    while (at < len && !done) {
      size_t step = round % 4 == 0 ? len - at : 1 + (size_t)(rng_next(&seed) % 64);
      size_t n = step < len - at ? step : len - at;
      const char *piece = guard_copy(wire + at, n);
      size_t w = 0, mw = 0;
      size_t used = smtp_unstuff(&u, piece, n, got + got_len, &w, &done);
      size_t mused = model_unstuff(&m, piece, n, want + want_len, &mw);
      guard_free_all();
      cr_assert_eq(used, mused, "round %d at %zu: consumed %zu, model %zu", round, at, used, mused);
      cr_assert_eq(done, m.state == 5, "round %d at %zu: done differs", round, at);
      cr_assert_eq(w, mw, "round %d at %zu: wrote %zu, model %zu", round, at, w, mw);
      got_len += w;
      want_len += mw;
      at += used;
    }
    cr_assert(memcmp(got, want, got_len) == 0, "round %d: content differs", round);
    cr_assert_eq(u.defects, m.defects, "round %d: defects %#x, model %#x", round, u.defects,
                 m.defects);
    cr_assert_eq(u.total, (uint64_t)m.total, "round %d: totals differ", round);
  }
}
