/* fuzz_address.c - the RFC 5321 4.1.2 Path parser (smtp_path_parse), with and without
 * SMTPUTF8 (RFC 6531), with and without the null path and bare postmaster.
 *
 * Input: the octets of a path, starting with '<'. Invariants:
 *  - an accepted path spans '<' .. '>' inside the input, its parts point into it and
 *    respect RFC 5321 4.5.3.1.1-2 (local part 64, domain 255);
 *  - without SMTP_ADDR_ALLOW_UTF8 no octet >= 0x80 is accepted; is_utf8 says if one was;
 *  - <> and <postmaster> are accepted only when their option is on;
 *  - more options never refuse what fewer accepted, nor change its meaning;
 *  - format -> parse -> format is a fixed point, and format honours its capacity. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "smtp/address.h"

/* Room for any formatted path (the parser caps paths far below this). */
#define ADDR_FORMAT_MAX 2048
/* Every combination of the three options. */
#define ADDR_OPTION_SETS 8

/* addr_same - two parses describe the same path. */
static bool addr_same(const struct smtp_path *a, const struct smtp_path *b) {
  return a->local_len == b->local_len && a->domain_len == b->domain_len &&
         (a->local_len == 0 || memcmp(a->local, b->local, a->local_len) == 0) &&
         (a->domain_len == 0 || memcmp(a->domain, b->domain, a->domain_len) == 0) &&
         a->domain_kind == b->domain_kind && a->is_null == b->is_null &&
         a->is_postmaster == b->is_postmaster && a->is_quoted == b->is_quoted &&
         a->is_utf8 == b->is_utf8;
}

/* addr_check_accepted - the properties of one accepted path under options opts. */
static void addr_check_accepted(const char *buf, size_t len, unsigned opts, ssize_t n,
                                const struct smtp_path *p) {
  FUZZ_CHECK(n >= 2 && (size_t)n <= len, "consumed %zd of %zu octets", n, len);
  FUZZ_CHECK(buf[0] == '<' && buf[n - 1] == '>', "accepted path is not <...>");
  FUZZ_CHECK(fuzz_inside(buf, len, p->local, p->local_len), "local part outside the input");
  FUZZ_CHECK(fuzz_inside(buf, len, p->domain, p->domain_len), "domain outside the input");
  /* RFC 5321 4.5.3.1.1-2 */
  FUZZ_CHECK(p->local_len <= SMTP_LOCAL_PART_MAX, "local part of %zu octets", p->local_len);
  FUZZ_CHECK(p->domain_len <= SMTP_DOMAIN_MAX, "domain of %zu octets", p->domain_len);
  FUZZ_CHECK(!p->is_null || (opts & SMTP_ADDR_ALLOW_NULL), "<> accepted without ALLOW_NULL");
  FUZZ_CHECK(!p->is_null || n == 2, "null path longer than <>");
  FUZZ_CHECK(!p->is_postmaster || (opts & SMTP_ADDR_ALLOW_POSTMASTER),
             "bare postmaster accepted without ALLOW_POSTMASTER");
  bool high = false;
  for (ssize_t i = 0; i < n; i++)
    high |= (unsigned char)buf[i] >= 0x80;
  FUZZ_CHECK(!high || (opts & SMTP_ADDR_ALLOW_UTF8), "octet >= 0x80 accepted without SMTPUTF8");
  bool part_high = false;
  for (size_t i = 0; i < p->local_len; i++)
    part_high |= (unsigned char)p->local[i] >= 0x80;
  for (size_t i = 0; i < p->domain_len; i++)
    part_high |= (unsigned char)p->domain[i] >= 0x80;
  FUZZ_CHECK(p->is_utf8 == part_high, "is_utf8 is %d but the parts %s 8-bit octets", p->is_utf8,
             part_high ? "have" : "have no");
  if (!p->is_null && !p->is_postmaster)
    FUZZ_CHECK(p->local_len > 0 && p->domain_len > 0, "mailbox without local part or domain");
}

/* addr_check_format - format, reparse and format again under the same options. */
static void addr_check_format(const struct smtp_path *p, unsigned opts) {
  char *a = malloc(ADDR_FORMAT_MAX), *b = malloc(ADDR_FORMAT_MAX);
  if (a == NULL || b == NULL)
    goto out;
  int n = smtp_path_format(p, a, ADDR_FORMAT_MAX);
  FUZZ_CHECK(n > 0 && (size_t)n < ADDR_FORMAT_MAX, "format returned %d", n);
  FUZZ_CHECK(strlen(a) == (size_t)n, "formatted path is not NUL-terminated at its length");
  FUZZ_CHECK(smtp_path_format(p, b, (size_t)n) == -1, "format wrote %d octets + NUL into %d", n, n);
  struct smtp_path again;
  enum smtp_addr_error err = SMTP_ADDR_OK;
  ssize_t m = smtp_path_parse(a, (size_t)n, opts, &again, &err);
  FUZZ_CHECK(m == n, "formatted path \"%s\" reparsed to %zd (%s)", a, m, smtp_addr_error_text(err));
  FUZZ_CHECK(addr_same(p, &again) && !again.has_source_route,
             "formatted path \"%s\" means something else", a);
  int n2 = smtp_path_format(&again, b, ADDR_FORMAT_MAX);
  FUZZ_CHECK(n2 == n && memcmp(a, b, (size_t)n) == 0, "format is not a fixed point: %s vs %s", a,
             b);
out:
  free(a);
  free(b);
}

/* LLVMFuzzerTestOneInput - every option set, then monotonicity across them. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  struct smtp_path paths[ADDR_OPTION_SETS];
  ssize_t rets[ADDR_OPTION_SETS];

  for (unsigned opts = 0; opts < ADDR_OPTION_SETS; opts++) {
    enum smtp_addr_error err = SMTP_ADDR_OK;
    rets[opts] = smtp_path_parse(buf, size, opts, &paths[opts], &err);
    if (rets[opts] < 0) {
      FUZZ_CHECK(rets[opts] == -1, "parse returned %zd", rets[opts]);
      FUZZ_CHECK(err > SMTP_ADDR_OK && err <= SMTP_ADDR_UTF8_NOT_ALLOWED, "bad error %d", (int)err);
      FUZZ_CHECK(smtp_addr_error_text(err) != NULL, "no text for error %d", (int)err);
      continue;
    }
    addr_check_accepted(buf, size, opts, rets[opts], &paths[opts]);
    addr_check_format(&paths[opts], opts);
  }
  /* Monotonic: a superset of options accepts the same path the same way. */
  for (unsigned a = 0; a < ADDR_OPTION_SETS; a++) {
    if (rets[a] < 0)
      continue;
    for (unsigned b = 0; b < ADDR_OPTION_SETS; b++) {
      if ((a & b) != a || a == b)
        continue;
      FUZZ_CHECK(rets[b] == rets[a], "accepted with options %u (%zd) but not with %u (%zd)", a,
                 rets[a], b, rets[b]);
      FUZZ_CHECK(addr_same(&paths[a], &paths[b]), "options %u and %u disagree on the path", a, b);
    }
  }
  return 0;
}
