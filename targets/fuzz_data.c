/* fuzz_data.c - DATA transparency (RFC 5321 4.5.2, 4.1.1.4) and BDAT accounting (RFC 3030).
 *
 * Input: octets after a 354, as a client (or an attacker) sends them. Invariants:
 *  - the unstuffer gives the same content, end point and defects however the stream is
 *    cut into reads: whole, one octet at a time, and in chunks the input chooses;
 *  - it stops only right after CRLF "." CRLF (or "." CRLF at the very start): no
 *    smuggling variant (LF.LF, CR.CR, ...) ends the message;
 *  - stuff -> end mark -> unstuff gives back any content (bare LF turned into CRLF, a
 *    final CRLF added when missing), ending exactly at the mark;
 *  - BDAT accounting never hands out more than the chunk owes or the buffer holds. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "smtp/data.h"

/* What one unstuffing run produced. */
struct unstuff_run {
  char *out; /* content, size + 2 octets of room */
  size_t out_len;
  size_t consumed;
  bool done;
  unsigned defects;
  uint64_t total;
};

/* data_chunk_len - the length of read number i, chosen by the input itself (1..17). */
static size_t data_chunk_len(const uint8_t *data, size_t size, size_t i) {
  return size == 0 ? 1 : 1 + data[(i * 7 + 3) % size] % 17;
}

/* data_unstuff_run - unstuff in reads of chunk(i) octets (0: everything at once).
 * mode 0: whole, 1: one octet at a time, 2: input-chosen chunks. Returns 0 or -1 (OOM). */
static int data_unstuff_run(const uint8_t *in, size_t len, int mode, struct unstuff_run *r) {
  struct smtp_unstuffer u;
  memset(&u, 0, sizeof u);
  memset(r, 0, sizeof *r);
  r->out = malloc(len + 2);
  /* One scratch buffer per run; each call gets exactly want + 2 octets of it. */
  char *tmp = malloc(len + 2);
  if (r->out == NULL || tmp == NULL) {
    free(tmp);
    return -1;
  }
  size_t pos = 0;
  for (size_t i = 0; pos < len && !r->done; i++) {
    size_t want = mode == 0 ? len - pos : mode == 1 ? 1 : data_chunk_len(in, len, i);
    if (want > len - pos)
      want = len - pos;
    /* The unstuffer may release a CR held from an earlier read: want + 2 octets of room. */
    size_t got = 0;
    size_t used = smtp_unstuff(&u, (const char *)in + pos, want, tmp, &got, &r->done);
    FUZZ_CHECK(used <= want, "unstuff consumed %zu of %zu", used, want);
    FUZZ_CHECK(got <= want + 2, "unstuff wrote %zu octets from %zu", got, want);
    FUZZ_CHECK(used == want || r->done, "unstuff stopped after %zu of %zu without the end", used,
               want);
    FUZZ_CHECK(r->out_len + got <= len + 2, "more content than input");
    memcpy(r->out + r->out_len, tmp, got);
    r->out_len += got;
    pos += used;
  }
  free(tmp);
  r->consumed = pos;
  r->defects = u.defects;
  r->total = u.total;
  return 0;
}

/* data_check_end - the end of data is only CRLF "." CRLF (RFC 5321 4.1.1.4). */
static void data_check_end(const uint8_t *in, const struct unstuff_run *r) {
  if (!r->done)
    return;
  size_t n = r->consumed;
  bool at_start = n == 3 && memcmp(in, ".\r\n", 3) == 0;
  bool after_crlf = n >= 5 && memcmp(in + n - 5, "\r\n.\r\n", 5) == 0;
  FUZZ_CHECK(at_start || after_crlf, "end of data after %zu octets that do not end in CRLF.CRLF",
             n);
}

/* data_same_run - two ways of cutting the input agree. */
static void data_same_run(const struct unstuff_run *a, const struct unstuff_run *b,
                          const char *how) {
  FUZZ_CHECK(a->done == b->done && a->consumed == b->consumed,
             "%s: end of data at %zu (done %d) vs %zu (done %d)", how, a->consumed, a->done,
             b->consumed, b->done);
  FUZZ_CHECK(a->out_len == b->out_len && memcmp(a->out, b->out, a->out_len) == 0,
             "%s: different content (%zu vs %zu octets)", how, a->out_len, b->out_len);
  FUZZ_CHECK(a->defects == b->defects, "%s: defects 0x%x vs 0x%x", how, a->defects, b->defects);
  FUZZ_CHECK(a->total == b->total, "%s: total %llu vs %llu", how, (unsigned long long)a->total,
             (unsigned long long)b->total);
}

/* data_expected - content as the stuffer must deliver it: bare LF -> CRLF, final CRLF. */
static size_t data_expected(const uint8_t *in, size_t len, char *out) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
      out[n++] = '\r';
    out[n++] = (char)in[i];
  }
  if (n > 0 && !(n >= 2 && out[n - 2] == '\r' && out[n - 1] == '\n')) {
    out[n++] = '\r';
    out[n++] = '\n';
  }
  return n;
}

/* data_check_roundtrip - the input as message content: stuff it, unstuff it. */
static void data_check_roundtrip(const uint8_t *in, size_t len) {
  struct smtp_stuffer s;
  struct unstuff_run r;
  memset(&s, 0, sizeof s);
  memset(&r, 0, sizeof r);
  char *stuffed = malloc(2 * len + 5), *expect = malloc(2 * len + 2);
  if (stuffed == NULL || expect == NULL)
    goto out;
  size_t n = 0;
  for (size_t pos = 0, i = 0; pos < len; i++) {
    size_t want = data_chunk_len(in, len, i + 1);
    if (want > len - pos)
      want = len - pos;
    size_t w = smtp_stuff(&s, (const char *)in + pos, want, stuffed + n);
    FUZZ_CHECK(w <= 2 * want, "stuff wrote %zu octets from %zu", w, want);
    n += w;
    pos += want;
  }
  size_t e = smtp_stuff_end(&s, stuffed + n);
  FUZZ_CHECK(e == 3 || e == 5, "end mark of %zu octets", e);
  n += e;
  if (data_unstuff_run((const uint8_t *)stuffed, n, 2, &r) != 0)
    goto out;
  FUZZ_CHECK(r.done && r.consumed == n, "stuffed message ended at %zu of %zu (done %d)", r.consumed,
             n, r.done);
  size_t xn = data_expected(in, len, expect);
  FUZZ_CHECK(r.out_len == xn && memcmp(r.out, expect, xn) == 0,
             "stuff -> unstuff changed the content (%zu octets, want %zu)", r.out_len, xn);
  FUZZ_CHECK(!(r.defects & SMTP_DATA_BARE_LF), "stuffed content still has a bare LF");
out:
  free(r.out);
  free(stuffed);
  free(expect);
}

/* data_check_bdat - chunk accounting with sizes and reads taken from the input. */
static void data_check_bdat(const uint8_t *in, size_t len) {
  if (len < 2)
    return;
  struct smtp_bdat b = {0};
  b.remaining = (uint64_t)in[0] * 64 + in[1];
  b.last = in[1] & 1;
  uint64_t announced = b.remaining;
  for (size_t i = 2; i < len; i++) {
    size_t avail = in[i] % 80;
    uint64_t before = b.remaining, total = b.total;
    size_t take = smtp_bdat_take(&b, avail);
    FUZZ_CHECK(take <= avail && take <= before, "BDAT take %zu of %zu available, %llu owed", take,
               avail, (unsigned long long)before);
    FUZZ_CHECK(b.remaining == before - take, "BDAT remaining did not drop by what was taken");
    FUZZ_CHECK(b.total == total + take, "BDAT total did not grow by what was taken");
    FUZZ_CHECK(take == (avail < before ? avail : before), "BDAT took %zu, not all it could", take);
  }
  FUZZ_CHECK(b.total <= announced, "BDAT received more than announced");
}

/* LLVMFuzzerTestOneInput - three ways of cutting the stream, the round trip, BDAT. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct unstuff_run whole, bytes, chunks;
  memset(&whole, 0, sizeof whole);
  memset(&bytes, 0, sizeof bytes);
  memset(&chunks, 0, sizeof chunks);
  if (data_unstuff_run(data, size, 0, &whole) != 0 ||
      data_unstuff_run(data, size, 1, &bytes) != 0 || data_unstuff_run(data, size, 2, &chunks) != 0)
    goto out;
  data_check_end(data, &whole);
  data_same_run(&whole, &bytes, "one octet at a time");
  data_same_run(&whole, &chunks, "input-chosen reads");
  FUZZ_CHECK(whole.total == whole.out_len || !whole.done, "total %llu but %zu octets of content",
             (unsigned long long)whole.total, whole.out_len);
  data_check_roundtrip(data, size);
  data_check_bdat(data, size);
out:
  free(whole.out);
  free(bytes.out);
  free(chunks.out);
  return 0;
}
