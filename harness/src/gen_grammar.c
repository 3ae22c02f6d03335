/* gen_grammar.c - generated SMTP command lines, from the RFC 5321 4.1 grammar. */
#include "gen_grammar.h"

#include <string.h>
#include <strings.h>

const char *const gen_verbs[] = {"HELO", "EHLO", "MAIL", "RCPT",     "DATA", "RSET", "VRFY", "EXPN",
                                 "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH", "BDAT", "XYZZY"};
const unsigned gen_verb_count = sizeof gen_verbs / sizeof gen_verbs[0];

/* Verb indexes used below (order of gen_verbs). */
enum {
  V_HELO,
  V_EHLO,
  V_MAIL,
  V_RCPT,
  V_DATA,
  V_RSET,
  V_VRFY,
  V_EXPN,
  V_HELP,
  V_NOOP,
  V_QUIT,
  V_STARTTLS,
  V_AUTH,
  V_BDAT,
  V_UNKNOWN
};

/* RFC 5321 4.1.2 atext besides letters and digits. */
static const char gen_atext_specials[] = "!#$%&'*+-/=?^_`{|}~";

/* gen_atom - one atom of 1..max characters. */
static void gen_atom(struct gen_rand *r, struct gen_buf *b, size_t max) {
  static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  size_t n = gen_rand_range(r, 1, max);
  for (size_t i = 0; i < n; i++) {
    if (gen_rand_chance(r, 8))
      gen_buf_putc(b, gen_atext_specials[gen_rand_below(r, sizeof gen_atext_specials - 1)]);
    else
      gen_buf_putc(b, alnum[gen_rand_below(r, sizeof alnum - 1)]);
  }
}

/* gen_label - a sub-domain: Let-dig [Ldh-str] (RFC 5321 4.1.2). */
static void gen_label(struct gen_rand *r, struct gen_buf *b) {
  static const char ld[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  size_t n = gen_rand_range(r, 1, 12);
  for (size_t i = 0; i < n; i++) {
    bool inner = i > 0 && i + 1 < n;
    if (inner && gen_rand_chance(r, 10))
      gen_buf_putc(b, '-');
    else
      gen_buf_putc(b, ld[gen_rand_below(r, sizeof ld - 1)]);
  }
}

/* gen_domain - names, IPv4/IPv6/general literals, U-labels, and limit cases. */
void gen_domain(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const char *const fixed[] = {"example.org",
                                      "mail.example.com",
                                      "localhost",
                                      "[192.0.2.1]",
                                      "[IPv6:2001:db8::1]",
                                      "[IPv6:::1]",
                                      "[IPv6:2001:db8:0:0:0:0:0:1]",
                                      "[x-tag:opaque]",
                                      "[IPv6:::ffff:192.0.2.1]",
                                      "xn--bcher-kva.example"};
  static const char *const bad[] = {"-lead.example",
                                    "a..b",
                                    "[300.1.1.1]",
                                    "[IPv6:zz::]",
                                    "[192.0.2.1",
                                    "",
                                    "dot.",
                                    "[1.2.3]",
                                    "under_score.example",
                                    "[IPv6:1:2:3:4:5:6:7:8:9]"};
  unsigned pick = (unsigned)gen_rand_below(r, 10);
  if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 15)) {
    if (gen_rand_chance(r, 30)) {
      /* RFC 5321 4.5.3.1.2: 255 octets is the limit; make one just over or at it. */
      size_t total = gen_rand_chance(r, 50) ? 255 : 256;
      while (total > 0) {
        size_t n = total > 63 ? 63 : total;
        gen_buf_repeat(b, 'd', n);
        total -= n;
        if (total > 0) {
          gen_buf_putc(b, '.');
          total--;
        }
      }
      return;
    }
    gen_buf_puts(b, GEN_PICK(r, bad));
    return;
  }
  if ((flags & GEN_UTF8) && gen_rand_chance(r, 25)) {
    gen_buf_puts(b, gen_rand_chance(r, 50) ? "b\xc3\xbc"
                                             "cher.example"
                                           : "\xe4\xbe\x8b.\xe6\xb5\x8b");
    return;
  }
  if (pick < 4) {
    gen_buf_puts(b, GEN_PICK(r, fixed));
    return;
  }
  size_t labels = gen_rand_range(r, 1, 4);
  for (size_t i = 0; i < labels; i++) {
    if (i > 0)
      gen_buf_putc(b, '.');
    gen_label(r, b);
  }
}

/* gen_local - dot-string, quoted-string, postmaster, UTF-8, limit cases. */
static void gen_local(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  unsigned pick = (unsigned)gen_rand_below(r, 10);
  if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 15)) {
    static const char *const bad[] = {".lead", "trail.",     "a..b", "\"unclosed", "sp ace",
                                      "a\"b",  "(comment)x", "a\\b", "\"\x01\""};
    if (gen_rand_chance(r, 40))
      gen_buf_repeat(b, 'l', gen_rand_chance(r, 50) ? 64 : 65); /* 4.5.3.1.1 */
    else
      gen_buf_puts(b, GEN_PICK(r, bad));
    return;
  }
  if ((flags & GEN_UTF8) && pick == 0) {
    gen_buf_puts(b, gen_rand_chance(r, 50) ? "j\xc3\xb6rg" : "\xe7\x94\xa8\xe6\x88\xb7");
    return;
  }
  if (pick == 1) {
    static const char *const quoted[] = {"\"a b\"", "\"john..doe\"", "\"q\\\"x\"",
                                         "\"\"",    "\"@\"",         "\"a\\\\b\""};
    gen_buf_puts(b, GEN_PICK(r, quoted));
    return;
  }
  if (pick == 2) {
    gen_buf_puts(b, gen_rand_chance(r, 50) ? "postmaster" : "PostMaster"); /* with a domain */
    return;
  }
  size_t atoms = gen_rand_range(r, 1, 3);
  for (size_t i = 0; i < atoms; i++) {
    if (i > 0)
      gen_buf_putc(b, '.');
    gen_atom(r, b, 10);
  }
}

/* gen_path - RFC 5321 4.1.2 Path, Reverse-path and Forward-path forms. */
void gen_path(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  unsigned pick = (unsigned)gen_rand_below(r, 12);
  if (!(flags & GEN_NO_PATH_NULL) && pick == 0) {
    gen_buf_puts(b, "<>");
    return;
  }
  if (pick == 1 && (flags & GEN_PATH_RCPT)) {
    /* RFC 5321 4.5.1: bare postmaster is a forward-path only. */
    gen_buf_puts(
        b, GEN_PICK(r, ((const char *const[]){"<postmaster>", "<POSTMASTER>", "<Postmaster>"})));
    return;
  }
  if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 20)) {
    static const char *const bad[] = {"a@b.example",
                                      "<a@b.example",
                                      "a@b.example>",
                                      "<a@b.example>>",
                                      "< a@b.example>",
                                      "<a@b.example >",
                                      "<@>",
                                      "<a@>",
                                      "<@b.example>",
                                      "<a>",
                                      "<<a@b>>",
                                      "<@r.example:>",
                                      "<@r.example,a@b.example>"};
    gen_buf_puts(b, GEN_PICK(r, bad));
    return;
  }
  gen_buf_putc(b, '<');
  if (pick == 2) {
    /* Source route: accepted and ignored (RFC 5321 4.1.2, Appendix C). */
    size_t hops = gen_rand_range(r, 1, 3);
    for (size_t i = 0; i < hops; i++) {
      /* RFC 5321 4.1.2: At-domain = "@" Domain: names only, no address literals. */
      gen_buf_puts(b, i ? ",@" : "@");
      gen_label(r, b);
      gen_buf_puts(b, ".example");
    }
    gen_buf_putc(b, ':');
  }
  gen_local(r, b, flags);
  gen_buf_putc(b, '@');
  gen_domain(r, b, flags);
  gen_buf_putc(b, '>');
}

/* gen_xtext - RFC 3461 4 xtext, with "+XX" escapes. */
static void gen_xtext(struct gen_rand *r, struct gen_buf *b) {
  static const char *const parts[] = {"abc", "+2B", "id", "+3D", "42", "x.y", "+20"};
  size_t n = gen_rand_range(r, 1, 4);
  for (size_t i = 0; i < n; i++)
    gen_buf_puts(b, GEN_PICK(r, parts));
}

/* gen_mail_param - MAIL parameter number `which` (RFC 1870, 6152, 3030, 6531, 3461, 4954). */
static void gen_mail_param(struct gen_rand *r, struct gen_buf *b, unsigned which, unsigned flags) {
  switch (which) {
  case 0:
    gen_buf_printf(b, "SIZE=%zu",
                   gen_rand_chance(r, 50) ? gen_rand_below(r, 5000) : gen_rand_below(r, 100000000));
    break;
  case 1:
    gen_buf_puts(b, GEN_PICK(r, ((const char *const[]){"BODY=7BIT", "BODY=8BITMIME",
                                                       "BODY=BINARYMIME", "body=8bitmime"})));
    break;
  case 2:
    gen_buf_puts(b, "SMTPUTF8");
    break;
  case 3:
    gen_buf_puts(b, gen_rand_chance(r, 50) ? "RET=FULL" : "RET=HDRS");
    break;
  case 4:
    gen_buf_puts(b, "ENVID=");
    gen_xtext(r, b);
    break;
  case 5:
    gen_buf_puts(b, gen_rand_chance(r, 50) ? "AUTH=<>" : "AUTH=user+40example.org");
    break;
  default:
    if (flags & GEN_NEAR_MISS) {
      static const char *const bad[] = {"SIZE=",         "SIZE=abc",  "SIZE=99999999999999999999",
                                        "BODY=9BIT",     "X-FOO=bar", "RET=ALL",
                                        "SIZE=1 SIZE=2", "=x",        "SMTPUTF8=yes",
                                        "ENVID=a+zz",    "BODY"};
      gen_buf_puts(b, GEN_PICK(r, bad));
    } else {
      gen_buf_printf(b, "SIZE=%zu", gen_rand_below(r, 1000));
    }
  }
}

/* gen_rcpt_param - RCPT parameter number `which` (RFC 3461 NOTIFY, ORCPT). */
static void gen_rcpt_param(struct gen_rand *r, struct gen_buf *b, unsigned which, unsigned flags) {
  static const char *const notify[] = {"NOTIFY=NEVER", "NOTIFY=SUCCESS", "NOTIFY=FAILURE,DELAY",
                                       "NOTIFY=SUCCESS,FAILURE,DELAY", "notify=delay"};
  static const char *const bad[] = {"NOTIFY=NEVER,SUCCESS", "NOTIFY=", "ORCPT=foo",
                                    "ORCPT=rfc822;",        "X-BAD",   "NOTIFY=SOMETIMES"};
  if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 25)) {
    gen_buf_puts(b, GEN_PICK(r, bad));
    return;
  }
  if (which == 0) {
    gen_buf_puts(b, GEN_PICK(r, notify));
  } else {
    gen_buf_puts(b, "ORCPT=rfc822;");
    gen_xtext(r, b);
    gen_buf_puts(b, "@example.org");
  }
}

/* gen_argument - per-verb argument grammar, with the leading separator. */
void gen_argument(struct gen_rand *r, struct gen_buf *b, unsigned verb, unsigned flags) {
  switch (verb) {
  case V_HELO:
  case V_EHLO:
    gen_buf_putc(b, ' ');
    gen_domain(r, b, flags);
    break;
  case V_MAIL:
  case V_RCPT: {
    const char *kw = verb == V_MAIL ? "FROM:" : "TO:";
    if (gen_rand_chance(r, 10))
      kw = verb == V_MAIL ? "from:" : "To:";
    if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 10))
      kw = verb == V_MAIL ? "FROM: " : "TO ";
    gen_buf_printf(b, " %s", kw);
    gen_path(r, b, verb == V_RCPT ? flags | GEN_NO_PATH_NULL | GEN_PATH_RCPT : flags);
    /* Each keyword at most once (a repeated one is a near miss, 501). */
    unsigned kinds = verb == V_MAIL ? ((flags & GEN_NEAR_MISS) ? 7 : 6) : 2, used = 0;
    size_t n = gen_rand_chance(r, 50) ? 0 : gen_rand_range(r, 1, verb == V_MAIL ? 3 : 2);
    bool repeat = (flags & GEN_NEAR_MISS) && gen_rand_chance(r, 5);
    if (repeat)
      n = 17; /* one over SMTP_PARAMS_MAX, with repeats */
    for (size_t i = 0; i < n; i++) {
      unsigned which = (unsigned)gen_rand_below(r, kinds);
      while (!repeat && (used & (1u << which)))
        which = (which + 1) % kinds;
      used |= 1u << which;
      gen_buf_putc(b, ' ');
      if (verb == V_MAIL)
        gen_mail_param(r, b, which, flags);
      else
        gen_rcpt_param(r, b, which, flags);
    }
    break;
  }
  case V_VRFY:
  case V_EXPN:
    gen_buf_putc(b, ' ');
    if (gen_rand_chance(r, 50))
      gen_path(r, b, flags | GEN_NO_PATH_NULL);
    else
      gen_buf_puts(b, GEN_PICK(r, ((const char *const[]){"postmaster", "John Smith", "list",
                                                         "user@example.org"})));
    break;
  case V_HELP:
  case V_NOOP:
    if (gen_rand_chance(r, 40))
      gen_buf_puts(b, GEN_PICK(r, ((const char *const[]){" MAIL", " anything at all", " "})));
    break;
  case V_AUTH: {
    static const char *const auth[] = {
        " PLAIN",    " PLAIN AHVzZXIAcGFzcw==", " LOGIN",  " LOGIN dXNlcg==", " PLAIN =",
        " CRAM-MD5", " plain AHVzZXIAd3Jvbmc=", " XOAUTH9"};
    static const char *const bad[] = {"", " PLAIN !!!notbase64", " PLAIN AHVzZXIAcGFzcw",
                                      " PLAIN AHVzZXIAcGFzcw== extra", " LOGIN ="};
    gen_buf_puts(b, (flags & GEN_NEAR_MISS) && gen_rand_chance(r, 25) ? GEN_PICK(r, bad)
                                                                      : GEN_PICK(r, auth));
    break;
  }
  case V_BDAT:
    if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 20))
      gen_buf_puts(b, GEN_PICK(r, ((const char *const[]){"", " -1", " x", " 5 LAST extra",
                                                         " 99999999999999999999", " 5 last"})));
    else
      gen_buf_printf(b, " %zu%s", gen_rand_below(r, 40), gen_rand_chance(r, 50) ? " LAST" : "");
    break;
  case V_UNKNOWN:
    if (gen_rand_chance(r, 50))
      gen_buf_puts(b, " arg");
    break;
  default: /* DATA RSET QUIT STARTTLS: no argument (4.1.1: arguments get 501) */
    if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 15))
      gen_buf_puts(b, " unexpected");
  }
}

/* gen_verb_text - the verb, sometimes in another case (RFC 5321 2.4). */
static void gen_verb_text(struct gen_rand *r, struct gen_buf *b, unsigned verb) {
  const char *v = gen_verbs[verb];
  unsigned style = (unsigned)gen_rand_below(r, 10);
  for (size_t i = 0; v[i]; i++) {
    char c = v[i];
    if (style == 0 || (style == 1 && (i & 1)))
      c = (char)(c | 0x20);
    gen_buf_putc(b, c);
  }
}

/* gen_command_verb - verb + argument, sometimes a near miss. */
void gen_command_verb(struct gen_rand *r, struct gen_buf *b, unsigned verb, unsigned flags) {
  size_t start = b->sb.len;
  gen_verb_text(r, b, verb % gen_verb_count);
  gen_argument(r, b, verb % gen_verb_count, flags);
  if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 10))
    gen_near_miss_line(r, b, start);
}

/* gen_command - a command of any verb; the common ones more often. */
void gen_command(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  static const unsigned weights[] = {V_EHLO, V_EHLO, V_HELO,     V_MAIL, V_MAIL, V_MAIL,   V_RCPT,
                                     V_RCPT, V_RCPT, V_DATA,     V_RSET, V_VRFY, V_EXPN,   V_HELP,
                                     V_NOOP, V_QUIT, V_STARTTLS, V_AUTH, V_BDAT, V_UNKNOWN};
  gen_command_verb(r, b, weights[gen_rand_below(r, sizeof weights / sizeof weights[0])], flags);
}

/* gen_verb_index - case-insensitive lookup. */
int gen_verb_index(const char *name, unsigned long len) {
  for (unsigned i = 0; i < gen_verb_count; i++)
    if (strlen(gen_verbs[i]) == len && strncasecmp(gen_verbs[i], name, len) == 0)
      return (int)i;
  return -1;
}

/* gen_near_miss_line - the corruptions RFC 5321 2.3.8, 4.1.1 and 4.5.3.1.4 are about. */
void gen_near_miss_line(struct gen_rand *r, struct gen_buf *b, unsigned long start) {
  size_t len = b->sb.len - start;
  size_t at = start + gen_rand_below(r, len + 1);
  struct gen_buf tail = {0};
  gen_buf_put(&tail, b->sb.p + at, b->sb.len - at);
  gen_buf_truncate(b, at);
  switch (gen_rand_below(r, 7)) {
  case 0: { /* 4.5.3.1.4: 510 octets + CRLF is the limit; land on it, one over, or far */
    static const size_t targets[] = {510, 511, 1200};
    size_t want = targets[gen_rand_below(r, 3)];
    gen_buf_repeat(b, 'x', want > len ? want - len : 1);
    break;
  }
  case 1:
    gen_buf_putc(b, '\r'); /* 2.3.8: bare CR */
    break;
  case 2:
    gen_buf_putc(b, '\n'); /* 2.3.8: bare LF */
    break;
  case 3:
    gen_buf_putc(b, '\0');
    break;
  case 4:
    gen_buf_putc(b, (char)0xff);
    break;
  case 5:
    gen_buf_puts(b, "  ");
    break;
  default:
    gen_buf_putc(b, '\t');
  }
  gen_buf_put(b, tail.sb.p, tail.sb.len);
  gen_buf_free(&tail);
}
