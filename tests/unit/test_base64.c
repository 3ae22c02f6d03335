/* test_base64.c - RFC 4648 base64: test vectors of section 10 and strict refusals. */
#include <criterion/criterion.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/base64.h"

/* RFC 4648 10: the published test vectors. */
static const struct {
  const char *plain, *encoded;
} b64_vecs[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
    {"\0user\0pass", "AHVzZXIAcGFzcw=="},
};

Test(base64, encodes_the_rfc4648_test_vectors) {
  for (size_t i = 0; i < sizeof b64_vecs / sizeof b64_vecs[0]; i++) {
    size_t n = i == 7 ? 10 : strlen(b64_vecs[i].plain);
    char out[32];
    memset(out, '#', sizeof out);
    size_t w = smtp_base64_encode((const unsigned char *)b64_vecs[i].plain, n, out);
    cr_expect_eq(w, strlen(b64_vecs[i].encoded));
    cr_expect_str_eq(out, b64_vecs[i].encoded);
    cr_expect_eq(w + 1, SMTP_BASE64_ENCODED_SIZE(n));
  }
}

Test(base64, decodes_the_rfc4648_test_vectors_exactly_to_the_end_of_input) {
  for (size_t i = 0; i < sizeof b64_vecs / sizeof b64_vecs[0]; i++) {
    size_t n = i == 7 ? 10 : strlen(b64_vecs[i].plain);
    size_t el = strlen(b64_vecs[i].encoded);
    const char *in = guard_copy(b64_vecs[i].encoded, el);
    unsigned char out[32];
    cr_expect_eq(smtp_base64_decode(in, el, out, sizeof out), (ssize_t)n, "%s",
                 b64_vecs[i].encoded);
    cr_expect(memcmp(out, b64_vecs[i].plain, n) == 0, "%s", b64_vecs[i].encoded);
    cr_expect_eq(smtp_base64_decode(in, el, out, n), (ssize_t)n, "exact capacity");
    if (n > 0)
      cr_expect_eq(smtp_base64_decode(in, el, out, n - 1), -1, "one octet short");
    guard_free_all();
  }
}

Test(base64, refuses_every_non_canonical_or_malformed_input) {
  static const char *const bad[] = {
      "Zg",       /* missing padding */
      "Zg=",      /* short padding */
      "Zm9",      /* length not a multiple of 4 */
      "Zg===",    /* too much padding */
      "Z===",     /* three '=' */
      "====",     /* only padding */
      "Zm=v",     /* '=' before data */
      "Zg==Zg==", /* padding in the middle */
      "Zm9v\r\n", /* line break */
      "Zm 9v",    /* space */
      " Zm9v",    /* leading space */
      "Zm9v\n",   /* trailing LF */
      "Zh==",     /* non-zero pad bits (one octet) */
      "Zm9=",     /* non-zero pad bits (two octets) */
      "Zm-v",     /* base64url alphabet */
      "Zm_v",     /* base64url alphabet */
      "Zm9\x80",  /* 8-bit octet */
      "Zm9\0",    /* NUL (length 4 below) */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t n = i == 17 ? 4 : strlen(bad[i]);
    const char *in = guard_copy(bad[i], n);
    unsigned char out[16];
    cr_expect_eq(smtp_base64_decode(in, n, out, sizeof out), -1, "accepted %s", bad[i]);
    guard_free_all();
  }
}

Test(base64, round_trips_every_length_and_octet_value) {
  unsigned char plain[300], back[300];
  char enc[SMTP_BASE64_ENCODED_SIZE(300)];
  for (size_t i = 0; i < sizeof plain; i++)
    plain[i] = (unsigned char)(i * 7 + 3);
  for (size_t n = 0; n <= sizeof plain; n++) {
    size_t el = smtp_base64_encode(plain, n, enc);
    const char *in = guard_copy(enc, el);
    cr_assert_eq(smtp_base64_decode(in, el, back, sizeof back), (ssize_t)n, "length %zu", n);
    cr_assert(memcmp(plain, back, n) == 0, "length %zu", n);
    guard_free_all();
  }
}

Test(base64, accepts_only_canonical_spellings_of_every_short_input) {
  /* Every 4-character string over an alphabet that mixes data, padding and junk: what
   * the decoder accepts must encode back to exactly the same characters. */
  static const char alphabet[] = "AQgw/+=- \n";
  size_t k = sizeof alphabet - 1, accepted = 0;
  for (size_t a = 0; a < k * k * k * k; a++) {
    char s[4];
    size_t v = a;
    for (int i = 0; i < 4; i++, v /= k)
      s[i] = alphabet[v % k];
    const char *in = guard_copy(s, 4);
    unsigned char out[3];
    ssize_t n = smtp_base64_decode(in, 4, out, sizeof out);
    if (n >= 0) {
      char back[5];
      cr_assert_eq(smtp_base64_encode(out, (size_t)n, back), 4);
      cr_assert(memcmp(back, s, 4) == 0, "accepted non-canonical %.4s", s);
      accepted++;
    }
    guard_free_all();
  }
  cr_expect_gt(accepted, 1000, "accepted %zu", accepted);
}
