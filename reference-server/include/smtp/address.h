/* smtp/address.h - RFC 5321 4.1.2 Path / Mailbox parser (and RFC 6531 UTF-8 addresses). */
#ifndef SMTP_ADDRESS_H
#define SMTP_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* RFC 5321 4.5.3.1.1-3 size limits. */
#define SMTP_LOCAL_PART_MAX 64
#define SMTP_DOMAIN_MAX 255
#define SMTP_PATH_MAX 256

/* Parser options. */
enum smtp_addr_option {
  SMTP_ADDR_ALLOW_UTF8 = 1u << 0,       /* RFC 6531: UTF-8 in local part and domain */
  SMTP_ADDR_ALLOW_NULL = 1u << 1,       /* "<>" is acceptable (MAIL FROM reverse-path) */
  SMTP_ADDR_ALLOW_POSTMASTER = 1u << 2, /* "<postmaster>" without domain (RCPT, 4.5.1) */
};

/* Why a path was refused. */
enum smtp_addr_error {
  SMTP_ADDR_OK = 0,
  SMTP_ADDR_SYNTAX,           /* not a Path per the 4.1.2 ABNF */
  SMTP_ADDR_LOCAL_TOO_LONG,   /* local part over 64 octets */
  SMTP_ADDR_DOMAIN_TOO_LONG,  /* domain over 255 octets */
  SMTP_ADDR_PATH_TOO_LONG,    /* path over 256 octets */
  SMTP_ADDR_UTF8_NOT_ALLOWED, /* non-ASCII without SMTP_ADDR_ALLOW_UTF8 */
};

/* The form of the domain part. */
enum smtp_domain_kind {
  SMTP_DOMAIN_NONE = 0, /* null path or bare postmaster */
  SMTP_DOMAIN_NAME,     /* sub-domain *("." sub-domain), or a U-label domain under UTF-8 */
  SMTP_DOMAIN_IPV4,     /* [1.2.3.4] */
  SMTP_DOMAIN_IPV6,     /* [IPv6:...] */
  SMTP_DOMAIN_GENERAL,  /* [tag:content] */
};

/* A parsed path: pointers into the caller's buffer, no allocation. */
struct smtp_path {
  const char *local; /* local part as written (quotes included when quoted) */
  size_t local_len;
  const char *domain; /* domain as written (brackets included for literals) */
  size_t domain_len;
  enum smtp_domain_kind domain_kind;
  bool is_null;          /* "<>" */
  bool is_postmaster;    /* "<postmaster>" without domain, any case */
  bool has_source_route; /* "<@a,@b:user@c>": accepted and ignored (4.1.2, Appendix C) */
  bool is_quoted;        /* local part is a quoted-string */
  bool is_utf8;          /* contains octets >= 0x80 */
};

/* smtp_path_parse - parse a Path beginning with '<' at buf (at most len octets).
 * Returns the octets consumed (through the closing '>') or -1 with *err set.
 * options: enum smtp_addr_option bits. */
ssize_t smtp_path_parse(const char *buf, size_t len, unsigned options, struct smtp_path *out,
                        enum smtp_addr_error *err);

/* smtp_domain_parse - parse a Domain or address-literal (RFC 5321 4.1.2, 4.1.3), as in
 * EHLO, at buf (at most len octets). Returns the octets consumed or -1 with *err set;
 * *kind tells the form. options: only SMTP_ADDR_ALLOW_UTF8 matters. */
ssize_t smtp_domain_parse(const char *buf, size_t len, unsigned options,
                          enum smtp_domain_kind *kind, enum smtp_addr_error *err);

/* smtp_path_format - write "<local@domain>" (no source route; "<>" for null) into buf
 * NUL-terminated. Returns the length, or -1 if cap is too small. */
int smtp_path_format(const struct smtp_path *p, char *buf, size_t cap);

/* smtp_addr_error_text - a short English description of err. */
const char *smtp_addr_error_text(enum smtp_addr_error err);

#endif
