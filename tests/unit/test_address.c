/* test_address.c - RFC 5321 4.1.2 Path / 4.1.3 address literals / RFC 6531 UTF-8. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helper_guard.h"
#include "smtp/address.h"

#define NUL_OK SMTP_ADDR_ALLOW_NULL
#define PM_OK SMTP_ADDR_ALLOW_POSTMASTER
#define U8 SMTP_ADDR_ALLOW_UTF8

/* One path vector: input, options, and the expected error and domain form. */
struct addr_vec {
  const char *in;
  unsigned options;
  enum smtp_addr_error err;
  enum smtp_domain_kind kind; /* when err is OK */
  const char *about;
};

#define OK(s, opt, kind, about)                                                                    \
  { s, opt, SMTP_ADDR_OK, kind, about }
#define BAD(s, opt, err, about)                                                                    \
  { s, opt, err, SMTP_DOMAIN_NONE, about }
#define NAME SMTP_DOMAIN_NAME
#define IP4 SMTP_DOMAIN_IPV4
#define IP6 SMTP_DOMAIN_IPV6
#define GEN SMTP_DOMAIN_GENERAL
#define NONE SMTP_DOMAIN_NONE
#define SYN SMTP_ADDR_SYNTAX

static const struct addr_vec addr_vecs[] = {
    /* Mailbox = Local-part "@" Domain */
    OK("<user@example.org>", 0, NAME, "plain mailbox"),
    OK("<a@b>", 0, NAME, "one-letter labels"),
    OK("<first.last@sub.example.org>", 0, NAME, "dotted local part"),
    OK("<!#$%&'*+-/=?^_`{|}~@x.org>", 0, NAME, "every atext special"),
    OK("<u@1example.org>", 0, NAME, "label may start with a digit"),
    OK("<u@ex-am-ple.org>", 0, NAME, "hyphens inside a label"),
    OK("<u@EXAMPLE.ORG>", 0, NAME, "upper-case domain"),
    OK("<u@123>", 0, NAME, "all-digit label is a sub-domain"),
    BAD("<.u@x.org>", 0, SYN, "leading dot in local part"),
    BAD("<u.@x.org>", 0, SYN, "trailing dot in local part"),
    BAD("<u..v@x.org>", 0, SYN, "double dot in local part"),
    BAD("<u v@x.org>", 0, SYN, "space in local part"),
    BAD("<u(c)@x.org>", 0, SYN, "comment in local part"),
    BAD("<u@-x.org>", 0, SYN, "label starting with hyphen"),
    BAD("<u@x-.org>", 0, SYN, "label ending with hyphen"),
    BAD("<u@x..org>", 0, SYN, "empty label"),
    BAD("<u@x.org.>", 0, SYN, "trailing dot in domain"),
    BAD("<u@.x.org>", 0, SYN, "leading dot in domain"),
    BAD("<u@x_y.org>", 0, SYN, "underscore in domain"),
    BAD("<u@>", 0, SYN, "empty domain"),
    BAD("<@x.org>", 0, SYN, "empty local part"),
    BAD("<user>", 0, SYN, "no domain"),
    BAD("<u@x.org", 0, SYN, "no closing bracket"),
    BAD("u@x.org", 0, SYN, "no angle brackets"),
    BAD("<u@x.org >", 0, SYN, "space before the closing bracket"),
    BAD("< u@x.org>", 0, SYN, "space after the opening bracket"),
    BAD("<u@@x.org>", 0, SYN, "two at signs"),
    BAD("<u@x.org@y>", 0, SYN, "at sign in domain"),
    BAD("<u\0v@x.org>", 0, SYN, "NUL in local part"),
    BAD("", 0, SYN, "empty input"),
    BAD("<", 0, SYN, "lone bracket"),
    /* Quoted-string */
    OK("<\"john doe\"@x.org>", 0, NAME, "quoted local part with space"),
    OK("<\"\"@x.org>", 0, NAME, "empty quoted string"),
    OK("<\"a\\\"b\"@x.org>", 0, NAME, "quoted-pair DQUOTE"),
    OK("<\"a\\\\b\"@x.org>", 0, NAME, "quoted-pair backslash"),
    OK("<\"a@b\"@x.org>", 0, NAME, "at sign inside quotes"),
    OK("<\"a\\ b\"@x.org>", 0, NAME, "quoted-pair SP"),
    BAD("<\"a\"b@x.org>", 0, SYN, "quoted string then atom"),
    BAD("<\"ab@x.org>", 0, SYN, "unterminated quoted string"),
    BAD("<\"a\tb\"@x.org>", 0, SYN, "HT is not qtextSMTP"),
    BAD("<\"a\\\tb\"@x.org>", 0, SYN, "quoted-pair HT is not %d32-126"),
    BAD("<\"a\\\x7f\"@x.org>", 0, SYN, "quoted-pair DEL"),
    BAD("<\"a\rb\"@x.org>", 0, SYN, "CR inside quotes"),
    /* address literals, 4.1.3 */
    OK("<u@[192.0.2.1]>", 0, IP4, "IPv4 literal"),
    OK("<u@[0.0.0.0]>", 0, IP4, "IPv4 zeros"),
    OK("<u@[255.255.255.255]>", 0, IP4, "IPv4 maximum"),
    OK("<u@[001.02.3.4]>", 0, IP4, "IPv4 leading zeros are 1*3DIGIT"),
    BAD("<u@[256.1.1.1]>", 0, SYN, "IPv4 octet 256"),
    BAD("<u@[1.2.3]>", 0, SYN, "IPv4 three parts"),
    BAD("<u@[1.2.3.4.5]>", 0, SYN, "IPv4 five parts"),
    BAD("<u@[1.2.3.0004]>", 0, SYN, "IPv4 four digits"),
    BAD("<u@[1..3.4]>", 0, SYN, "IPv4 empty part"),
    BAD("<u@[ 1.2.3.4]>", 0, SYN, "space in literal"),
    BAD("<u@[1.2.3.4>", 0, SYN, "unclosed literal"),
    BAD("<u@[]>", 0, SYN, "empty literal"),
    OK("<u@[IPv6:2001:db8:0:0:0:0:0:1]>", 0, IP6, "IPv6-full"),
    OK("<u@[ipv6:2001:DB8::1]>", 0, IP6, "IPv6-comp, tag case-insensitive"),
    OK("<u@[IPv6:::1]>", 0, IP6, "IPv6 loopback"),
    OK("<u@[IPv6:::]>", 0, IP6, "IPv6 all zeros"),
    OK("<u@[IPv6:1::]>", 0, IP6, "IPv6 trailing ::"),
    OK("<u@[IPv6:1:2:3::4:5:6]>", 0, IP6, "IPv6-comp with 6 groups"),
    OK("<u@[IPv6:::ffff:192.0.2.1]>", 0, IP6, "IPv6v4-comp"),
    OK("<u@[IPv6:::192.0.2.1]>", 0, IP6, "IPv6v4-comp without groups"),
    OK("<u@[IPv6:1:2:3:4:5:6:192.0.2.1]>", 0, IP6, "IPv6v4-full"),
    OK("<u@[IPv6:1:2::3:4:192.0.2.1]>", 0, IP6, "IPv6v4-comp with 4 groups"),
    BAD("<u@[IPv6:1:2:3:4:5:6:7]>", 0, SYN, "IPv6 seven groups, no ::"),
    BAD("<u@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, SYN, "IPv6 nine groups"),
    BAD("<u@[IPv6:1:2:3::4:5:6:7]>", 0, SYN, "IPv6-comp with 7 groups"),
    BAD("<u@[IPv6:1::2::3]>", 0, SYN, "two ::"),
    BAD("<u@[IPv6:12345::1]>", 0, SYN, "five hex digits"),
    BAD("<u@[IPv6:g::1]>", 0, SYN, "non-hex digit"),
    BAD("<u@[IPv6:1:]>", 0, SYN, "trailing single colon"),
    BAD("<u@[IPv6::1]>", 0, SYN, "leading single colon"),
    BAD("<u@[IPv6:1:::2]>", 0, SYN, "triple colon"),
    BAD("<u@[IPv6:]>", 0, SYN, "empty IPv6"),
    BAD("<u@[IPv6:1:2:3:4:5:192.0.2.1]>", 0, SYN, "IPv6v4-full with 5 groups"),
    BAD("<u@[IPv6:1:2:3::4:5:192.0.2.1]>", 0, SYN, "IPv6v4-comp with 5 groups"),
    BAD("<u@[IPv6:::256.0.0.1]>", 0, SYN, "bad embedded IPv4"),
    BAD("<u@[IPv6:::1.2.3.4:5]>", 0, SYN, "group after embedded IPv4"),
    BAD("<u@[IPv6:garbage]>", 0, SYN, "IPv6 tag never falls back to general"),
    OK("<u@[2001:db8::1]>", 0, GEN, "untagged IPv6 parses as a General literal (tag 2001)"),
    OK("<u@[x-tag:any-content!]>", 0, GEN, "General-address-literal"),
    BAD("<u@[tag-:x]>", 0, SYN, "tag ending in hyphen"),
    BAD("<u@[tag:]>", 0, SYN, "general literal without content"),
    BAD("<u@[tag:a[b]>", 0, SYN, "'[' is not dcontent"),
    BAD("<u@[tag:a\\b]>", 0, SYN, "'\\' is not dcontent"),
    BAD("<u@[t_g:x]>", 0, SYN, "underscore in tag"),
    /* source routes: accepted and ignored */
    OK("<@a.org:u@x.org>", 0, NAME, "one-hop source route"),
    OK("<@a.org,@b.org:u@x.org>", 0, NAME, "two-hop source route"),
    BAD("<@a.org:>", 0, SYN, "source route without mailbox"),
    BAD("<@a.org,b.org:u@x.org>", 0, SYN, "second hop without at sign"),
    BAD("<@a.org u@x.org>", 0, SYN, "source route without colon"),
    BAD("<@[1.2.3.4]:u@x.org>", 0, SYN, "At-domain is a Domain, not a literal"),
    BAD("<@:u@x.org>", 0, SYN, "empty source route domain"),
    /* null path and postmaster */
    OK("<>", NUL_OK, NONE, "null reverse-path"),
    BAD("<>", 0, SYN, "null path where not allowed"),
    OK("<postmaster>", PM_OK, NONE, "bare postmaster"),
    OK("<PostMaster>", PM_OK, NONE, "bare postmaster, any case"),
    BAD("<postmaster>", 0, SYN, "bare postmaster where not allowed"),
    BAD("<postmasters>", PM_OK, SYN, "not quite postmaster"),
    OK("<postmaster@x.org>", PM_OK, NAME, "postmaster with domain is a mailbox"),
    OK("<@r.org:Postmaster>", PM_OK, NONE, "routed bare postmaster (leniency, 4.1.1.3)"),
    BAD("<@r.org:postmaster>", 0, SYN, "routed bare postmaster where not allowed"),
    BAD("<@r.org:postmaster", PM_OK, SYN, "routed postmaster without bracket"),
    /* UTF-8, RFC 6531 */
    OK("<j\xc3\xb6rg@x.org>", U8, NAME, "UTF-8 local part"),
    OK("<u@b\xc3\xbc"
       "cher.de>",
       U8, NAME, "UTF-8 domain label"),
    OK("<\"\xe2\x82\xac uro\"@x.org>", U8, NAME, "UTF-8 in quoted string"),
    OK("<\xf0\x9f\x98\x80@x.org>", U8, NAME, "four-octet UTF-8"),
    BAD("<j\xc3\xb6rg@x.org>", 0, SMTP_ADDR_UTF8_NOT_ALLOWED, "UTF-8 without SMTPUTF8"),
    BAD("<u@b\xc3\xbc"
        "cher.de>",
        0, SMTP_ADDR_UTF8_NOT_ALLOWED, "UTF-8 domain without SMTPUTF8"),
    BAD("<\xc0\xaf@x.org>", U8, SYN, "overlong two-octet"),
    BAD("<\xe0\x80\xaf@x.org>", U8, SYN, "overlong three-octet"),
    BAD("<\xf0\x80\x80\xaf@x.org>", U8, SYN, "overlong four-octet"),
    BAD("<\xed\xa0\x80@x.org>", U8, SYN, "UTF-16 surrogate"),
    BAD("<\xf4\x90\x80\x80@x.org>", U8, SYN, "above U+10FFFF"),
    BAD("<\xc3@x.org>", U8, SYN, "truncated sequence"),
    BAD("<\x80@x.org>", U8, SYN, "lone continuation octet"),
    BAD("<\xff@x.org>", U8, SYN, "0xFF"),
    BAD("<\"a\\\xc3\xb6\"@x.org>", U8, SYN, "quoted-pair cannot take UTF-8"),
    BAD("<u@[1.2.3.\xc3\xb6]>", U8, SYN, "UTF-8 in a literal"),
    OK("<@\xc3\xa9.org:u@x.org>", U8, NAME, "U-label in an (ignored) source route"),
    BAD("<@\xc3\xa9.org:u@x.org>", 0, SMTP_ADDR_UTF8_NOT_ALLOWED, "U-label route without UTF-8"),
};

/* addr_check - parse v whole from a guard copy and compare. */
static void addr_check(const struct addr_vec *v, size_t len) {
  const char *in = guard_copy(v->in, len);
  struct smtp_path p;
  enum smtp_addr_error err = (enum smtp_addr_error) - 1;
  ssize_t r = smtp_path_parse(in, len, v->options, &p, &err);
  cr_expect_eq(err, v->err, "%s: error %d (%s), want %d", v->about, err, smtp_addr_error_text(err),
               v->err);
  if (v->err == SMTP_ADDR_OK) {
    cr_expect_eq(r, (ssize_t)len, "%s: consumed %zd of %zu", v->about, r, len);
    cr_expect_eq(p.domain_kind, v->kind, "%s: kind %d", v->about, p.domain_kind);
  } else {
    cr_expect_eq(r, -1, "%s: returned %zd", v->about, r);
  }
  guard_free_all();
}

/* addr_len - a vector's length (some vectors hold a NUL). */
static size_t addr_len(const struct addr_vec *v) {
  if (strcmp(v->about, "NUL in local part") == 0)
    return 12;
  return strlen(v->in);
}

Test(path_parse, follows_the_rfc5321_abnf_for_every_vector) {
  for (size_t i = 0; i < sizeof addr_vecs / sizeof addr_vecs[0]; i++)
    addr_check(&addr_vecs[i], addr_len(&addr_vecs[i]));
}

Test(path_parse, refuses_every_truncation_without_reading_past_the_end) {
  for (size_t i = 0; i < sizeof addr_vecs / sizeof addr_vecs[0]; i++) {
    const struct addr_vec *v = &addr_vecs[i];
    size_t len = addr_len(v);
    for (size_t n = 0; n < len; n++) {
      const char *in = guard_copy(v->in, n);
      struct smtp_path p;
      enum smtp_addr_error err;
      ssize_t r = smtp_path_parse(in, n, v->options, &p, &err);
      cr_expect(r == -1 && err != SMTP_ADDR_OK, "%s: prefix %zu accepted (%zd)", v->about, n, r);
      guard_free_all();
    }
  }
}

Test(path_parse, stops_at_the_closing_bracket_and_leaves_the_rest) {
  const char *in = guard_copy("<u@x.org> SIZE=10", 17);
  struct smtp_path p;
  enum smtp_addr_error err;
  cr_expect_eq(smtp_path_parse(in, 17, 0, &p, &err), 9);
  guard_free_all();
}

Test(path_parse, points_local_part_and_domain_into_the_buffer) {
  static const char s[] = "<@r.org:\"a b\"@[IPv6:::1]>";
  const char *in = guard_copy(s, sizeof s - 1);
  struct smtp_path p;
  enum smtp_addr_error err;
  cr_assert_eq(smtp_path_parse(in, sizeof s - 1, 0, &p, &err), (ssize_t)(sizeof s - 1));
  cr_expect(p.has_source_route && p.is_quoted && !p.is_null && !p.is_utf8);
  cr_expect(p.local == in + 8 && p.local_len == 5);
  cr_expect(p.domain == in + 14 && p.domain_len == 10);
  char out[64];
  cr_expect_eq(smtp_path_format(&p, out, sizeof out), 18);
  cr_expect_str_eq(out, "<\"a b\"@[IPv6:::1]>", "the source route is dropped");
  cr_expect_eq(smtp_path_format(&p, out, 18), -1, "no room for the NUL");
  guard_free_all();
}

Test(path_parse, marks_null_postmaster_and_utf8_paths) {
  struct smtp_path p;
  enum smtp_addr_error err;
  char out[32];
  const char *in = guard_copy("<>", 2);
  cr_assert_eq(smtp_path_parse(in, 2, NUL_OK, &p, &err), 2);
  cr_expect(p.is_null && p.domain_kind == SMTP_DOMAIN_NONE);
  cr_expect_eq(smtp_path_format(&p, out, sizeof out), 2);
  cr_expect_str_eq(out, "<>");
  in = guard_copy("<POSTMASTER>", 12);
  cr_assert_eq(smtp_path_parse(in, 12, PM_OK, &p, &err), 12);
  cr_expect(p.is_postmaster && p.local_len == 10 && p.domain_len == 0);
  cr_expect_eq(smtp_path_format(&p, out, sizeof out), 12);
  cr_expect_str_eq(out, "<POSTMASTER>");
  in = guard_copy("<\xc3\xa9@x>", 6);
  cr_assert_eq(smtp_path_parse(in, 6, U8, &p, &err), 6);
  cr_expect(p.is_utf8);
  in = guard_copy("<@\xc3\xa9:u@x>", 9);
  cr_assert_eq(smtp_path_parse(in, 9, U8, &p, &err), 9);
  cr_expect_not(p.is_utf8, "the ignored source route does not make the path UTF-8");
  guard_free_all();
}

/* build_path - "<" + L octets of 'l' + "@" + a domain of D octets + ">" into buf. */
static size_t build_path(char *buf, size_t local, size_t domain) {
  size_t n = 0;
  buf[n++] = '<';
  memset(buf + n, 'l', local);
  n += local;
  buf[n++] = '@';
  for (size_t i = 0; i < domain; i++)
    buf[n + i] = (i % 10 == 9) ? '.' : 'd'; /* labels of 9 octets */
  if (domain > 0 && buf[n + domain - 1] == '.')
    buf[n + domain - 1] = 'd';
  n += domain;
  buf[n++] = '>';
  return n;
}

Test(path_parse, enforces_the_64_255_256_octet_limits_exactly) {
  static char buf[600];
  struct smtp_path p;
  enum smtp_addr_error err;
  static const struct {
    size_t local, domain;
    enum smtp_addr_error err;
  } vecs[] = {
      {64, 10, SMTP_ADDR_OK},
      {65, 10, SMTP_ADDR_LOCAL_TOO_LONG},
      {1, 252, SMTP_ADDR_OK},            /* path: 1+1+1+252+1 = 256 */
      {1, 253, SMTP_ADDR_PATH_TOO_LONG}, /* 257 */
      {1, 255, SMTP_ADDR_PATH_TOO_LONG}, /* domain fits, path does not */
      {1, 256, SMTP_ADDR_DOMAIN_TOO_LONG},
      {64, 189, SMTP_ADDR_OK}, /* 1+64+1+189+1 = 256 */
      {64, 190, SMTP_ADDR_PATH_TOO_LONG},
  };
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
    size_t n = build_path(buf, vecs[i].local, vecs[i].domain);
    const char *in = guard_copy(buf, n);
    ssize_t r = smtp_path_parse(in, n, 0, &p, &err);
    cr_expect_eq(err, vecs[i].err, "local %zu domain %zu: %s", vecs[i].local, vecs[i].domain,
                 smtp_addr_error_text(err));
    cr_expect_eq(r, err == SMTP_ADDR_OK ? (ssize_t)n : -1);
    guard_free_all();
  }
}

Test(path_parse, limits_an_ascii_label_to_63_octets) {
  static char buf[100];
  size_t n = 0;
  n += (size_t)sprintf(buf, "<u@");
  memset(buf + n, 'a', 63);
  n += 63;
  buf[n++] = '>';
  const char *in = guard_copy(buf, n);
  struct smtp_path p;
  enum smtp_addr_error err;
  cr_expect_eq(smtp_path_parse(in, n, 0, &p, &err), (ssize_t)n);
  memmove(buf + 4, buf + 3, n - 3);
  n++;
  in = guard_copy(buf, n);
  cr_expect_eq(smtp_path_parse(in, n, 0, &p, &err), -1);
  cr_expect_eq(err, SMTP_ADDR_SYNTAX);
  guard_free_all();
}

/* ip6_lcg - a fixed pseudo-random sequence, so that a failure can be replayed. */
static unsigned ip6_lcg(unsigned *state) {
  *state = *state * 1103515245u + 12345u;
  return (*state >> 16) & 0x7fff;
}

/* ip6_random - an IPv6-looking string: groups, maybe "::", maybe an IPv4 tail, and now
 * and then a fault (5 hex digits, ":::", an empty group). Also returns the group count
 * it meant to write (the IPv4 tail counts 2) and whether it used "::". */
static void ip6_random(unsigned *seed, char *buf, size_t *groups, bool *dc) {
  size_t n = 0, g = ip6_lcg(seed) % 10, at = ip6_lcg(seed) % (g + 1);
  bool v4 = ip6_lcg(seed) % 3 == 0;
  *dc = ip6_lcg(seed) % 2 == 0;
  *groups = g + (v4 ? 2 : 0);
  for (size_t i = 0; i <= g; i++) {
    if (*dc && i == at)
      n += (size_t)sprintf(buf + n, "%s", (i == 0) ? "::" : ":");
    if (i == g)
      break;
    if (i > 0 && !(*dc && i == at))
      buf[n++] = ':';
    unsigned digits = 1 + ip6_lcg(seed) % 4;
    if (ip6_lcg(seed) % 50 == 0)
      digits = 5; /* fault */
    for (unsigned k = 0; k < digits; k++)
      buf[n++] = "0123456789abcdefABCDEF"[ip6_lcg(seed) % 22];
  }
  if (v4) {
    if (n > 0 && buf[n - 1] != ':')
      buf[n++] = ':';
    n += (size_t)sprintf(buf + n, "%u.%u.%u.%u", ip6_lcg(seed) % 256, ip6_lcg(seed) % 256,
                         ip6_lcg(seed) % 256, ip6_lcg(seed) % 300);
  }
  if (ip6_lcg(seed) % 40 == 0 && n > 0)
    buf[ip6_lcg(seed) % n] = ':'; /* fault: ":::" or an empty group, sometimes */
  buf[n] = '\0';
}

Test(path_parse, agrees_with_inet_pton_on_ipv6_except_where_rfc5321_is_stricter) {
  /* RFC 5321 4.1.3 is inet_pton's IPv6 grammar, except that "::" must stand for at least
   * two groups of zeros (so at most 6 explicit groups, an IPv4 tail counting 2). */
  unsigned seed = 7;
  int accepted = 0;
  for (int round = 0; round < 20000; round++) {
    char addr[128], path[160];
    size_t groups;
    bool dc;
    ip6_random(&seed, addr, &groups, &dc);
    unsigned char bin[16];
    bool pton = inet_pton(AF_INET6, addr, bin) == 1;
    /* Count the explicit groups of the final string (the fault may have changed them). */
    groups = 0;
    for (const char *q = addr; *q != '\0';) {
      size_t part = strcspn(q, ":");
      if (part > 0)
        groups += memchr(q, '.', part) != NULL ? 2 : 1;
      q += part;
      if (*q == ':')
        q++;
    }
    bool want = pton && !(strstr(addr, "::") != NULL && groups > 6);
    int n = snprintf(path, sizeof path, "<u@[IPv6:%s]>", addr);
    const char *in = guard_copy(path, (size_t)n);
    struct smtp_path p;
    enum smtp_addr_error err;
    bool got = smtp_path_parse(in, (size_t)n, 0, &p, &err) == n;
    cr_assert_eq(got, want, "%s: parser %d, inet_pton %d (groups %zu)", addr, got, pton, groups);
    accepted += got;
    guard_free_all();
  }
  cr_expect_gt(accepted, 2000, "the generator must produce valid addresses too (%d)", accepted);
}
