/* test_relay_tls_peer.c - what a next hop must prove under --relay-tls verify: the host of
 * its HOST:PORT as a name or an address (tls_peer_parse), the mode names, and the
 * --relay-ca checks made while the options are parsed (exit status 2). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_guard.h"
#include "options.h"
#include "tls_peer.h"

/* One next hop and what it must be verified as (ok 0: refused). */
struct peer_vector {
  const char *next_hop;
  int ok;
  enum tls_peer_kind kind;
  const char *host;
  const char *why;
};

static const struct peer_vector peer_vectors[] = {
    {"localhost:25", 1, TLS_PEER_NAME, "localhost", "a name"},
    {"MX.B.Example:2525", 1, TLS_PEER_NAME, "MX.B.Example", "case kept: OpenSSL compares"},
    {"mx.b.example.:25", 1, TLS_PEER_NAME, "mx.b.example", "RFC 6066 3: no trailing dot"},
    {"bad.cafe:25", 1, TLS_PEER_NAME, "bad.cafe", "hex-looking names are names"},
    {"deadbeef:25", 1, TLS_PEER_NAME, "deadbeef", "a hex-looking one-label name"},
    {"_smtp.b.example:25", 1, TLS_PEER_NAME, "_smtp.b.example", "underscore tolerated"},
    {"127.0.0.1:2525", 1, TLS_PEER_IPV4, "127.0.0.1", "an IPv4 literal"},
    {"[::1]:25", 1, TLS_PEER_IPV6, "::1", "a bracketed IPv6 literal"},
    {"[2001:db8::1]:587", 1, TLS_PEER_IPV6, "2001:db8::1", "brackets removed"},
    {"::1:25", 1, TLS_PEER_IPV6, "::1", "bare IPv6 as host_port_valid lets through"},
    {"localhost", 0, TLS_PEER_NAME, "", "no port"},
    {"localhost:", 0, TLS_PEER_NAME, "", "empty port"},
    {":25", 0, TLS_PEER_NAME, "", "empty host"},
    {"[]:25", 0, TLS_PEER_NAME, "", "empty brackets"},
    {"[mx.b.example]:25", 0, TLS_PEER_NAME, "", "brackets around a name"},
    {"[127.0.0.1]:25", 0, TLS_PEER_NAME, "", "brackets around IPv4"},
    {"[::1:25", 0, TLS_PEER_NAME, "", "unclosed bracket"},
    {"mx..b.example:25", 0, TLS_PEER_NAME, "", "empty label"},
    {".b.example:25", 0, TLS_PEER_NAME, "", "leading dot"},
    {"mx b.example:25", 0, TLS_PEER_NAME, "", "space"},
    {"*.b.example:25", 0, TLS_PEER_NAME, "", "a wildcard is not a host"},
    {"mx\xc3\xa9.example:25", 0, TLS_PEER_NAME, "", "8-bit octets (U-label, not A-label)"},
    {"1.2.3:25", 1, TLS_PEER_NAME, "1.2.3", "not an IPv4 address, so checked as a name"},
};

Test(relay_tls_peer, each_next_hop_becomes_the_name_or_address_its_certificate_must_hold) {
  for (size_t i = 0; i < sizeof(peer_vectors) / sizeof(peer_vectors[0]); i++) {
    const struct peer_vector *v = &peer_vectors[i];
    /* The input ends at a guard page: any read past its NUL faults. */
    const char *in = guard_copy(v->next_hop, strlen(v->next_hop) + 1);
    struct tls_peer p;
    int rc = tls_peer_parse(in, &p);
    cr_expect_eq(rc, v->ok ? 0 : -1, "%s (%s): rc %d", v->next_hop, v->why, rc);
    if (v->ok && rc == 0) {
      cr_expect_eq(p.kind, v->kind, "%s (%s): kind %d", v->next_hop, v->why, (int)p.kind);
      cr_expect_str_eq(p.host, v->host, "%s (%s)", v->next_hop, v->why);
    }
  }
  guard_free_all();
}

Test(relay_tls_peer, a_host_longer_than_a_dns_name_is_refused) {
  char hop[400];
  struct tls_peer p;
  memset(hop, 'a', sizeof(hop));
  for (size_t i = 60; i < 300; i += 61)
    hop[i] = '.';
  memcpy(hop + 300, ":25", 4);
  cr_expect_eq(tls_peer_parse(hop, &p), -1, "a 300-octet host does not fit");
  memcpy(hop + 250, ":25", 4);
  cr_expect_eq(tls_peer_parse(hop, &p), 0, "a 250-octet host of short labels does");
  memset(hop, 'b', 64);
  memcpy(hop + 64, ".example:25", 12);
  cr_expect_eq(tls_peer_parse(hop, &p), -1, "RFC 1035 2.3.4: a 64-octet label is too long");
}

Test(relay_tls_peer, the_mode_names_are_exactly_the_four_documented_ones) {
  static const struct {
    const char *name;
    int ok;
    enum relay_tls_mode mode;
  } modes[] = {
      {"opportunistic", 1, RELAY_TLS_OPPORTUNISTIC},
      {"require", 1, RELAY_TLS_REQUIRE},
      {"verify", 1, RELAY_TLS_VERIFY},
      {"none", 1, RELAY_TLS_NONE},
      {"Verify", 0, RELAY_TLS_NONE},
      {"secure", 0, RELAY_TLS_NONE},
      {"", 0, RELAY_TLS_NONE},
      {"verify ", 0, RELAY_TLS_NONE},
  };
  for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    enum relay_tls_mode m = RELAY_TLS_NONE;
    int rc = relay_tls_mode_parse(modes[i].name, &m);
    cr_expect_eq(rc, modes[i].ok ? 0 : -1, "'%s'", modes[i].name);
    if (modes[i].ok)
      cr_expect_eq(m, modes[i].mode, "'%s'", modes[i].name);
  }
}

/* temp_file - text into a fresh temp file; returns its path (malloc'd). */
static char *temp_file(const char *text) {
  char *path = strdup("/tmp/test_relay_tls_peer.XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

/* parse_relay - options_parse for a relaying server plus the extra arguments. */
static enum options_result parse_relay(struct refsmtpd_options *o, const char *tls, const char *ca,
                                       char *err, size_t cap) {
  const char *argv[12] = {"refsmtpd", "--listen", "127.0.0.1:2525", "--maildir",     "/tmp/m",
                          "--queue",  "/tmp/q",   "--relay-host",   "localhost:2526"};
  int argc = 9;
  if (tls != NULL)
    argv[argc++] = tls;
  if (ca != NULL) {
    argv[argc++] = "--relay-ca";
    argv[argc++] = ca;
  }
  return options_parse(o, argc, (char **)argv, err, cap);
}

Test(relay_tls_peer, verify_mode_with_the_system_store_needs_no_ca_file) {
  struct refsmtpd_options o;
  char err[512];
  cr_assert_eq(parse_relay(&o, "--relay-tls=verify", NULL, err, sizeof(err)), OPTIONS_OK, "%s",
               err);
  cr_expect_eq(o.relay_tls, RELAY_TLS_VERIFY);
  cr_expect_null(o.relay_ca, "NULL: SSL_CTX_set_default_verify_paths");
}

Test(relay_tls_peer, a_missing_ca_file_is_a_usage_error_naming_the_file) {
  struct refsmtpd_options o;
  char err[512];
  cr_assert_eq(parse_relay(&o, "--relay-tls=verify", "/nonexistent/ca.pem", err, sizeof(err)),
               OPTIONS_ERROR);
  cr_expect(strstr(err, "--relay-ca /nonexistent/ca.pem: cannot read it: No such file") != NULL,
            "%s", err);
}

Test(relay_tls_peer, a_ca_file_without_certificates_is_a_usage_error_naming_the_file) {
  static const char *const texts[] = {
      "", "not a certificate\n",
      "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"};
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    struct refsmtpd_options o;
    char err[512], want[128];
    char *path = temp_file(texts[i]);
    cr_expect_eq(parse_relay(&o, "--relay-tls=verify", path, err, sizeof(err)), OPTIONS_ERROR,
                 "text %zu", i);
    snprintf(want, sizeof(want), "--relay-ca %s: no PEM CA certificate", path);
    cr_expect(strstr(err, want) != NULL, "text %zu: %s", i, err);
    unlink(path);
    free(path);
  }
}

Test(relay_tls_peer, a_ca_file_without_verify_mode_is_refused_rather_than_ignored) {
  static const char *const modes[] = {NULL, "--relay-tls=require", "--relay-tls=opportunistic",
                                      "--relay-tls=none"};
  for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    struct refsmtpd_options o;
    char err[512];
    cr_expect_eq(parse_relay(&o, modes[i], "/etc/ssl/certs/ca-certificates.crt", err, sizeof(err)),
                 OPTIONS_ERROR, "%s", modes[i] != NULL ? modes[i] : "default mode");
    cr_expect(strstr(err, "needs --relay-tls verify") != NULL, "%s", err);
  }
}

Test(relay_tls_peer, verify_mode_without_a_queue_is_refused) {
  const char *argv[] = {"refsmtpd", "--listen",    "127.0.0.1:2525", "--maildir",
                        "/tmp/m",   "--relay-tls", "verify"};
  struct refsmtpd_options o;
  char err[512];
  cr_assert_eq(options_parse(&o, 7, (char **)argv, err, sizeof(err)), OPTIONS_ERROR);
  cr_expect(strstr(err, "--relay-tls verify needs --queue") != NULL, "%s", err);
}

Test(relay_tls_peer, an_unknown_mode_names_verify_among_the_choices) {
  struct refsmtpd_options o;
  char err[512];
  cr_assert_eq(parse_relay(&o, "--relay-tls=secure", NULL, err, sizeof(err)), OPTIONS_ERROR);
  cr_expect(strstr(err, "'secure' is not opportunistic, require, verify or none") != NULL, "%s",
            err);
}
