/* address.c - RFC 5321 4.1.2 Path / Mailbox and 4.1.3 address literals, with the
 * RFC 6531 3.3 UTF-8 extensions when SMTP_ADDR_ALLOW_UTF8 is given.
 *
 * Deliberate choices beyond the ABNF (each also noted where it is enforced):
 * - the 256-octet path limit (4.5.3.1.3) counts the whole path as written, angle
 *   brackets and any source route included;
 * - with SMTP_ADDR_ALLOW_POSTMASTER, "<@route:postmaster>" is the bare postmaster (the
 *   route stripped as 4.1.1.3 asks), though the ABNF has no route in that form;
 * - a domain label is at most 63 octets (RFC 1035 2.3.4), which 5321's ABNF leaves out;
 * - "[IPv6:...]" must hold an IPv6 address: the tag "IPv6" is not accepted as a
 *   General-address-literal even though the ABNF alone would allow it; any other
 *   Ldh-str tag is accepted as the ABNF says (so "[2001:db8::1]" is a General literal
 *   with tag "2001"), although 4.1.3 wants tags registered with IANA and none are;
 * - UTF-8 (RFC 6531) is checked for well-formedness (RFC 3629), not for IDNA2008
 *   U-label rules, which need tables a sans-I/O parser does not carry. */
#include "smtp/address.h"

#include <string.h>

#include "parse_util.h"

/* A cursor over the path being parsed. */
struct addr_cur {
  const char *s;
  size_t n;
  size_t i;
  unsigned options;
  bool utf8_seen;
  enum smtp_addr_error err; /* first error found */
};

/* addr_fail - remember why parsing stopped (the first reason wins) and return false. */
static bool addr_fail(struct addr_cur *c, enum smtp_addr_error err) {
  if (c->err == SMTP_ADDR_OK)
    c->err = err;
  return false;
}

/* addr_peek - the octet under the cursor, or -1 at the end. */
static int addr_peek(const struct addr_cur *c) {
  return c->i < c->n ? (unsigned char)c->s[c->i] : -1;
}

/* addr_utf8 - RFC 6531 3.3 UTF8-non-ascii at the cursor: its length, or 0 with the error
 * set (UTF-8 not allowed, or malformed). */
static size_t addr_utf8(struct addr_cur *c) {
  if (!(c->options & SMTP_ADDR_ALLOW_UTF8)) {
    addr_fail(c, SMTP_ADDR_UTF8_NOT_ALLOWED);
    return 0;
  }
  size_t k = pu_utf8_len(c->s + c->i, c->n - c->i);
  if (k == 0)
    addr_fail(c, SMTP_ADDR_SYNTAX);
  else
    c->utf8_seen = true;
  return k;
}

/* addr_dot_string - RFC 5321 4.1.2: Dot-string = Atom *("." Atom), Atom = 1*atext (RFC
 * 6531 3.3 adds UTF8-non-ascii). Runs of atext are skipped with one table lookup each. */
static bool addr_dot_string(struct addr_cur *c) {
  for (;;) {
    size_t atom = c->i;
    for (;;) {
      c->i += pu_span(c->s + c->i, c->n - c->i, PU_C_ATEXT);
      if (addr_peek(c) < 0x80)
        break;
      size_t k = addr_utf8(c);
      if (k == 0)
        return false;
      c->i += k;
    }
    if (c->i == atom)
      return addr_fail(c, SMTP_ADDR_SYNTAX);
    if (addr_peek(c) != '.')
      return true;
    c->i++;
  }
}

/* addr_quoted_string - RFC 5321 4.1.2: DQUOTE *QcontentSMTP DQUOTE, where
 * qtextSMTP = %d32-33 / %d35-91 / %d93-126 and quoted-pairSMTP = "\" %d32-126. */
static bool addr_quoted_string(struct addr_cur *c) {
  c->i++; /* the opening DQUOTE */
  for (;;) {
    int ch = addr_peek(c);
    if (ch == '"') {
      c->i++;
      return true;
    }
    if (ch == '\\') {
      c->i++;
      ch = addr_peek(c);
      /* RFC 6531 does not extend quoted-pairSMTP: "\" then UTF-8 is never valid. */
      if (ch < 32 || ch > 126)
        return addr_fail(c, ch >= 0x80 && !(c->options & SMTP_ADDR_ALLOW_UTF8)
                                ? SMTP_ADDR_UTF8_NOT_ALLOWED
                                : SMTP_ADDR_SYNTAX);
      c->i++;
    } else if (ch >= 0x80) {
      size_t k = addr_utf8(c);
      if (k == 0)
        return false;
      c->i += k;
    } else if (ch >= 32 && ch <= 126) {
      c->i++;
    } else {
      return addr_fail(c, SMTP_ADDR_SYNTAX); /* control octet or end of input */
    }
  }
}

/* addr_domain - RFC 5321 4.1.2: Domain = sub-domain *("." sub-domain),
 * sub-domain = Let-dig [Ldh-str]; RFC 6531 adds U-labels. */
static bool addr_domain(struct addr_cur *c) {
  size_t start = c->i;
  for (;;) {
    size_t label = c->i;
    bool u_label = false;
    /* A label never starts with a hyphen. */
    if (addr_peek(c) == '-')
      return addr_fail(c, SMTP_ADDR_SYNTAX);
    for (;;) {
      c->i += pu_span(c->s + c->i, c->n - c->i, PU_C_LDH);
      if (addr_peek(c) < 0x80)
        break;
      size_t k = addr_utf8(c);
      if (k == 0)
        return false;
      c->i += k;
      u_label = true;
    }
    /* Let-dig first and last; RFC 1035 2.3.4: an (ASCII) label is at most 63 octets. A
     * U-label is not held to 63 octets of UTF-8: only its A-label form is. */
    if (c->i == label || c->s[c->i - 1] == '-' || (!u_label && c->i - label > 63))
      return addr_fail(c, SMTP_ADDR_SYNTAX);
    if (c->i - start > SMTP_DOMAIN_MAX)
      return addr_fail(c, SMTP_ADDR_DOMAIN_TOO_LONG); /* RFC 5321 4.5.3.1.2 */
    if (addr_peek(c) != '.')
      return true;
    c->i++;
  }
}

/* addr_ipv4 - RFC 5321 4.1.3: Snum 3("." Snum), Snum = 1*3DIGIT in 0-255, over
 * s[0..n) exactly. */
static bool addr_ipv4(const char *s, size_t n) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    size_t digits = 0;
    unsigned v = 0;
    while (i < n && pu_digit((unsigned char)s[i]) && digits < 3) {
      v = v * 10 + (unsigned)(s[i] - '0');
      i++;
      digits++;
    }
    if (digits == 0 || v > 255)
      return false;
    if (part < 3) {
      if (i >= n || s[i] != '.')
        return false;
      i++;
    }
  }
  return i == n;
}

/* addr_ipv6 - RFC 5321 4.1.3 IPv6-addr over s[0..n) exactly: IPv6-full (8 groups),
 * IPv6-comp ("::" and at most 6 groups), IPv6v4-full (6 groups and IPv4), IPv6v4-comp
 * ("::", at most 4 groups, IPv4). */
static bool addr_ipv6(const char *s, size_t n) {
  size_t i = 0, groups = 0;
  bool compressed = false, v4 = false;
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    compressed = true;
    i = 2;
  }
  while (i < n) {
    size_t seg = i;
    while (seg < n && s[seg] != ':' && s[seg] != '.')
      seg++;
    if (seg < n && s[seg] == '.') {
      /* The rest must be the embedded IPv4 address. */
      if (!addr_ipv4(s + i, n - i))
        return false;
      v4 = true;
      break;
    }
    size_t digits = 0;
    while (i < n && pu_hexdig((unsigned char)s[i]) && digits < 4) {
      i++;
      digits++;
    }
    if (digits == 0 || (i < n && s[i] != ':'))
      return false;
    groups++;
    if (i == n)
      break;
    i++; /* ':' */
    if (i < n && s[i] == ':') {
      if (compressed)
        return false; /* at most one "::" */
      compressed = true;
      i++;
      continue; /* "::" may end the address */
    }
    if (i == n)
      return false; /* a single ':' cannot end it */
  }
  if (v4)
    return compressed ? groups <= 4 : groups == 6;
  return compressed ? groups <= 6 : groups == 8;
}

/* addr_ldh_str - RFC 5321 4.1.2: Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig. */
static bool addr_ldh_str(const char *s, size_t n) {
  if (n == 0 || s[n - 1] == '-')
    return false;
  for (size_t i = 0; i < n; i++)
    if (!pu_alpha((unsigned char)s[i]) && !pu_digit((unsigned char)s[i]) && s[i] != '-')
      return false;
  return true;
}

/* addr_literal - RFC 5321 4.1.3: "[" ( IPv4 / "IPv6:" IPv6-addr / General ) "]". */
static bool addr_literal(struct addr_cur *c, enum smtp_domain_kind *kind) {
  size_t open = c->i;
  size_t close = open + 1, tag_end = 0;
  /* One pass finds the closing bracket and the first colon (the end of a tag). */
  while (close < c->n && c->s[close] != ']') {
    if (c->s[close] == ':' && tag_end == 0)
      tag_end = close;
    close++;
  }
  if (close >= c->n)
    return addr_fail(c, SMTP_ADDR_SYNTAX);
  const char *body = c->s + open + 1;
  size_t n = close - open - 1;
  if (close + 1 - open > SMTP_DOMAIN_MAX)
    return addr_fail(c, SMTP_ADDR_DOMAIN_TOO_LONG);
  const char *colon = tag_end != 0 ? c->s + tag_end : NULL;
  if (colon == NULL) {
    if (!addr_ipv4(body, n))
      return addr_fail(c, SMTP_ADDR_SYNTAX);
    *kind = SMTP_DOMAIN_IPV4;
  } else if (pu_ieq(body, (size_t)(colon - body), "IPv6")) {
    /* Deliberately strict: the IPv6 tag never falls back to a General literal. */
    if (!addr_ipv6(colon + 1, n - (size_t)(colon - body) - 1))
      return addr_fail(c, SMTP_ADDR_SYNTAX);
    *kind = SMTP_DOMAIN_IPV6;
  } else {
    /* General-address-literal = Standardized-tag ":" 1*dcontent,
     * dcontent = %d33-90 / %d94-126. */
    size_t rest = n - (size_t)(colon - body) - 1;
    if (!addr_ldh_str(body, (size_t)(colon - body)) || rest == 0)
      return addr_fail(c, SMTP_ADDR_SYNTAX);
    for (size_t i = 0; i < rest; i++) {
      unsigned char ch = (unsigned char)colon[1 + i];
      if (ch < 33 || ch > 126 || (ch >= 91 && ch <= 93))
        return addr_fail(c, SMTP_ADDR_SYNTAX);
    }
    *kind = SMTP_DOMAIN_GENERAL;
  }
  c->i = close + 1;
  return true;
}

/* addr_source_route - RFC 5321 4.1.2: A-d-l = At-domain *( "," At-domain ) ":", accepted
 * and ignored (Appendix C). */
static bool addr_source_route(struct addr_cur *c) {
  for (;;) {
    c->i++; /* '@' */
    if (!addr_domain(c))
      return false;
    int ch = addr_peek(c);
    if (ch == ':') {
      c->i++;
      return true;
    }
    if (ch != ',')
      return addr_fail(c, SMTP_ADDR_SYNTAX);
    c->i++;
    if (addr_peek(c) != '@')
      return addr_fail(c, SMTP_ADDR_SYNTAX);
  }
}

/* addr_mailbox - RFC 5321 4.1.2: Mailbox = Local-part "@" ( Domain / address-literal ). */
static bool addr_mailbox(struct addr_cur *c, struct smtp_path *out) {
  size_t local = c->i;
  if (addr_peek(c) == '"') {
    out->is_quoted = true;
    if (!addr_quoted_string(c))
      return false;
  } else if (!addr_dot_string(c)) {
    return false;
  }
  out->local = c->s + local;
  out->local_len = c->i - local;
  if (out->local_len > SMTP_LOCAL_PART_MAX)
    return addr_fail(c, SMTP_ADDR_LOCAL_TOO_LONG); /* RFC 5321 4.5.3.1.1 */
  if (addr_peek(c) != '@')
    return addr_fail(c, SMTP_ADDR_SYNTAX);
  c->i++;
  size_t domain = c->i;
  if (addr_peek(c) == '[') {
    if (!addr_literal(c, &out->domain_kind))
      return false;
  } else {
    if (!addr_domain(c))
      return false;
    out->domain_kind = SMTP_DOMAIN_NAME;
  }
  out->domain = c->s + domain;
  out->domain_len = c->i - domain;
  return true;
}

/* addr_special - "<>" and "<postmaster>" (RFC 5321 4.1.1.2, 4.1.1.3), when the options
 * allow them. Returns true and fills out when the path is one of them. */
static bool addr_special(struct addr_cur *c, struct smtp_path *out) {
  const char *s = c->s;
  if ((c->options & SMTP_ADDR_ALLOW_NULL) && c->n >= 2 && s[1] == '>') {
    out->is_null = true;
    c->i = 2;
    return true;
  }
  if ((c->options & SMTP_ADDR_ALLOW_POSTMASTER) && c->n >= 12 && s[11] == '>' &&
      pu_ieq_word(s + 1, 10, "POSTMASTER")) {
    out->is_postmaster = true;
    out->local = s + 1;
    out->local_len = 10;
    c->i = 12;
    return true;
  }
  return false;
}

/* smtp_path_parse - RFC 5321 4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">". */
ssize_t smtp_path_parse(const char *buf, size_t len, unsigned options, struct smtp_path *out,
                        enum smtp_addr_error *err) {
  struct addr_cur c = {buf, len, 0, options, false, SMTP_ADDR_OK};

  memset(out, 0, sizeof *out);
  if (len == 0 || buf[0] != '<') {
    addr_fail(&c, SMTP_ADDR_SYNTAX);
    goto out;
  }
  if (addr_special(&c, out))
    goto out;
  c.i = 1;
  if (addr_peek(&c) == '@') {
    out->has_source_route = true;
    if (!addr_source_route(&c))
      goto out;
    /* The route is ignored (Appendix C), so is_utf8 speaks only of the mailbox kept;
     * without SMTP_ADDR_ALLOW_UTF8 a U-label in the route is still refused. */
    c.utf8_seen = false;
    /* Leniency: 4.1.1.3 says to strip the route and use what remains, so
     * "<@relay:postmaster>" is taken as "<postmaster>" (Postfix does the same), although
     * the ABNF gives the bare postmaster form no route. */
    if ((options & SMTP_ADDR_ALLOW_POSTMASTER) && len - c.i >= 11 &&
        pu_ieq_word(buf + c.i, 10, "POSTMASTER") && buf[c.i + 10] == '>') {
      out->is_postmaster = true;
      out->local = buf + c.i;
      out->local_len = 10;
      c.i += 11;
      goto out;
    }
  }
  if (!addr_mailbox(&c, out))
    goto out;
  if (addr_peek(&c) != '>') {
    addr_fail(&c, SMTP_ADDR_SYNTAX);
    goto out;
  }
  c.i++;
out:
  /* RFC 5321 4.5.3.1.3: the whole path, brackets included, is at most 256 octets. */
  if (c.err == SMTP_ADDR_OK && c.i > SMTP_PATH_MAX)
    c.err = SMTP_ADDR_PATH_TOO_LONG;
  *err = c.err;
  if (c.err != SMTP_ADDR_OK) {
    memset(out, 0, sizeof *out);
    return -1;
  }
  out->is_utf8 = c.utf8_seen;
  return (ssize_t)c.i;
}

/* smtp_domain_parse - a Domain or address-literal on its own (EHLO, HELO). */
ssize_t smtp_domain_parse(const char *buf, size_t len, unsigned options,
                          enum smtp_domain_kind *kind, enum smtp_addr_error *err) {
  struct addr_cur c = {buf, len, 0, options, false, SMTP_ADDR_OK};
  bool ok;

  *kind = SMTP_DOMAIN_NONE;
  if (addr_peek(&c) == '[') {
    ok = addr_literal(&c, kind);
  } else {
    ok = addr_domain(&c);
    *kind = SMTP_DOMAIN_NAME;
  }
  *err = c.err;
  if (!ok) {
    *kind = SMTP_DOMAIN_NONE;
    return -1;
  }
  return (ssize_t)c.i;
}

/* smtp_path_format - "<local@domain>" without any source route, NUL-terminated. */
int smtp_path_format(const struct smtp_path *p, char *buf, size_t cap) {
  size_t n = 2 + p->local_len + (p->domain_len > 0 ? 1 + p->domain_len : 0);
  if (p->is_null)
    n = 2;
  if (n + 1 > cap || n > 0x7fffffff)
    return -1;
  size_t at = 0;
  buf[at++] = '<';
  if (!p->is_null) {
    memcpy(buf + at, p->local, p->local_len);
    at += p->local_len;
    if (p->domain_len > 0) {
      buf[at++] = '@';
      memcpy(buf + at, p->domain, p->domain_len);
      at += p->domain_len;
    }
  }
  buf[at++] = '>';
  buf[at] = '\0';
  return (int)at;
}

/* smtp_addr_error_text - why a path was refused, in words. */
const char *smtp_addr_error_text(enum smtp_addr_error err) {
  switch (err) {
  case SMTP_ADDR_OK:
    return "ok";
  case SMTP_ADDR_SYNTAX:
    return "syntax error in mailbox address";
  case SMTP_ADDR_LOCAL_TOO_LONG:
    return "local part longer than 64 octets";
  case SMTP_ADDR_DOMAIN_TOO_LONG:
    return "domain longer than 255 octets";
  case SMTP_ADDR_PATH_TOO_LONG:
    return "path longer than 256 octets";
  case SMTP_ADDR_UTF8_NOT_ALLOWED:
    return "non-ASCII address without SMTPUTF8";
  }
  return "unknown address error";
}
