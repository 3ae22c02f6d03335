/* test_relay_tls_verify.c - the relay client's TLS against refsmtpd's own server side, in
 * memory (two tls_conn shuttling records, as OpenSSL's fuzz/client.c does): SNI, and under
 * verify the chain (RFC 5280) and the name or address match (RFC 6125) that
 * tls_conn_verified reports. */
#include <criterion/criterion.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_cert.h"
#include "tls.h"

/* A certificate on disk: cert.pem and key.pem of a self-signed CA:TRUE certificate, which
 * is its own trust anchor when given as the CA file. */
struct cert_files {
  char cert[64], key[64];
};

/* temp_path - the name of a fresh, empty temp file. */
static void temp_path(char *path, size_t cap) {
  snprintf(path, cap, "/tmp/test_relay_tls.XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  close(fd);
}

/* make_cert - a self-signed certificate with subject CN cn and subjectAltName san (NULL:
 * none), written with its key into temp files. */
static void make_cert(struct cert_files *f, const char *cn, const char *san) {
  struct test_cert c;
  test_cert_make(&c, cn, san);
  temp_path(f->cert, sizeof(f->cert));
  temp_path(f->key, sizeof(f->key));
  test_cert_write(&c, f->cert, f->key);
  test_cert_free(&c);
}

/* cert_files_remove - unlink both files. */
static void cert_files_remove(const struct cert_files *f) {
  unlink(f->cert);
  unlink(f->key);
}

/* move - ciphertext waiting in from's outbound BIO into to. */
static void move(struct tls_conn *from, struct tls_conn *to) {
  const char *p;
  size_t n;
  while ((n = tls_conn_outbound(from, &p)) > 0) {
    cr_assert_eq(tls_conn_push(to, p, n), 0);
    tls_conn_outbound_done(from, n);
  }
}

/* The outcome of one handshake. */
struct round {
  enum tls_step client, server;
  int verified; /* tls_conn_verified: 0 or -1 */
  char why[512];
  char sni[256]; /* what the server saw ("" for none) */
};

/* handshake_round - refsmtpd's server with cert f, a client of mode verify (CA file ca)
 * to next_hop; shuttle records (bounded) until both sides are done or one fails. */
static void handshake_round(const struct cert_files *f, bool verify, const char *ca,
                            const char *next_hop, struct round *r) {
  struct tls_server srv;
  struct tls_client cli;
  struct tls_conn *s, *c;
  char err[512];
  const char *sni;

  memset(r, 0, sizeof(*r));
  cr_assert_eq(tls_server_init(&srv, f->cert, f->key, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(tls_client_init(&cli, verify, ca, err, sizeof(err)), 0, "%s", err);
  s = tls_conn_new(&srv);
  c = tls_conn_new_client(&cli, next_hop, err, sizeof(err));
  cr_assert_not_null(s);
  cr_assert_not_null(c, "%s", err);
  r->client = r->server = TLS_STEP_WANT;
  for (int i = 0; i < 20 && (r->client == TLS_STEP_WANT || r->server == TLS_STEP_WANT); i++) {
    if (r->client == TLS_STEP_WANT)
      r->client = tls_conn_handshake(c, err, sizeof(err));
    move(c, s);
    if (r->server == TLS_STEP_WANT)
      r->server = tls_conn_handshake(s, err, sizeof(err));
    move(s, c);
  }
  sni = SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name);
  snprintf(r->sni, sizeof(r->sni), "%s", sni != NULL ? sni : "");
  if (verify)
    r->verified = tls_conn_verified(c, r->why, sizeof(r->why));
  tls_conn_free(c);
  tls_conn_free(s);
  tls_client_free(&cli);
  tls_server_free(&srv);
}

Test(relay_tls_verify, a_certificate_for_the_name_from_a_trusted_ca_is_verified) {
  struct cert_files f;
  struct round r;
  make_cert(&f, "localhost", "DNS:localhost");
  handshake_round(&f, true, f.cert, "localhost:25", &r);
  cr_expect_eq(r.client, TLS_STEP_DONE);
  cr_expect_eq(r.server, TLS_STEP_DONE);
  cr_expect_eq(r.verified, 0, "%s", r.why);
  cr_expect_str_eq(r.sni, "localhost", "RFC 6066 3: SNI names the next hop");
  handshake_round(&f, true, f.cert, "LOCALHOST.:2525", &r);
  cr_expect_eq(r.verified, 0, "RFC 6125 6.4.1: case and a trailing dot do not matter: %s", r.why);
  cert_files_remove(&f);
}

Test(relay_tls_verify, a_certificate_for_another_name_is_a_hostname_mismatch) {
  struct cert_files f;
  struct round r;
  make_cert(&f, "mx.other.test", "DNS:mx.other.test");
  handshake_round(&f, true, f.cert, "localhost:25", &r);
  cr_expect_eq(r.client, TLS_STEP_DONE, "the handshake ends, so QUIT can go out over TLS");
  cr_expect_eq(r.verified, -1);
  cr_expect(strstr(r.why, "certificate verify failed: hostname mismatch") != NULL, "%s", r.why);
  cr_expect(strstr(r.why, "/CN=mx.other.test") != NULL, "the certificate is named: %s", r.why);
  cert_files_remove(&f);
}

Test(relay_tls_verify, the_common_name_counts_only_without_dns_names) {
  struct cert_files f;
  struct round r;
  /* RFC 6125 6.4.4: CN-ID only when there is no DNS-ID. */
  make_cert(&f, "localhost", "DNS:mx.other.test");
  handshake_round(&f, true, f.cert, "localhost:25", &r);
  cr_expect_eq(r.verified, -1, "a CN of localhost beside a DNS name for another host");
  cert_files_remove(&f);
  make_cert(&f, "localhost", "IP:192.0.2.1");
  handshake_round(&f, true, f.cert, "localhost:25", &r);
  cr_expect_eq(r.verified, 0, "no DNS name at all: the CN is used: %s", r.why);
  cert_files_remove(&f);
}

Test(relay_tls_verify, wildcards_match_one_whole_left_most_label_only) {
  struct cert_files f;
  struct round r;
  make_cert(&f, "wild", "DNS:*.example.test");
  handshake_round(&f, true, f.cert, "mx.example.test:25", &r);
  cr_expect_eq(r.verified, 0, "*.example.test matches mx.example.test: %s", r.why);
  handshake_round(&f, true, f.cert, "a.mx.example.test:25", &r);
  cr_expect_eq(r.verified, -1, "RFC 6125 6.4.3: one label only");
  handshake_round(&f, true, f.cert, "example.test:25", &r);
  cr_expect_eq(r.verified, -1, "the wildcard needs a label to match");
  cert_files_remove(&f);
  make_cert(&f, "wild", "DNS:mx*.example.test");
  handshake_round(&f, true, f.cert, "mx1.example.test:25", &r);
  cr_expect_eq(r.verified, -1, "RFC 6125 6.4.3: no partial-label wildcards");
  cert_files_remove(&f);
}

Test(relay_tls_verify, an_address_literal_is_matched_against_ip_address_entries) {
  struct cert_files f;
  struct round r;
  make_cert(&f, "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1");
  handshake_round(&f, true, f.cert, "127.0.0.1:25", &r);
  cr_expect_eq(r.verified, 0, "%s", r.why);
  cr_expect_str_eq(r.sni, "", "RFC 6066 3: no SNI for an address literal");
  handshake_round(&f, true, f.cert, "[::1]:25", &r);
  cr_expect_eq(r.verified, 0, "IPv6: %s", r.why);
  handshake_round(&f, true, f.cert, "127.0.0.2:25", &r);
  cr_expect_eq(r.verified, -1);
  cr_expect(strstr(r.why, "IP address mismatch") != NULL, "%s", r.why);
  cert_files_remove(&f);
  make_cert(&f, "127.0.0.1", "DNS:127.0.0.1");
  handshake_round(&f, true, f.cert, "127.0.0.1:25", &r);
  cr_expect_eq(r.verified, -1, "an address written as a DNS name or CN is not an IP entry");
  cert_files_remove(&f);
}

Test(relay_tls_verify, a_certificate_no_trusted_ca_signed_is_refused_with_the_x509_reason) {
  struct cert_files f, other;
  struct round r;
  make_cert(&f, "localhost", "DNS:localhost");
  make_cert(&other, "localhost", "DNS:localhost");
  handshake_round(&f, true, other.cert, "localhost:25", &r);
  cr_expect_eq(r.client, TLS_STEP_DONE);
  cr_expect_eq(r.verified, -1);
  cr_expect(strstr(r.why, "certificate verify failed: self-signed certificate (depth 0") != NULL,
            "the first error met is reported: %s", r.why);
  cert_files_remove(&f);
  cert_files_remove(&other);
}

Test(relay_tls_verify, without_verify_any_certificate_is_accepted_and_sni_is_sent_for_names) {
  struct cert_files f;
  struct round r;
  make_cert(&f, "mx.other.test", "DNS:mx.other.test");
  handshake_round(&f, false, NULL, "bad.cafe:25", &r);
  cr_expect_eq(r.client, TLS_STEP_DONE, "RFC 7435: opportunistic TLS does not authenticate");
  cr_expect_eq(r.server, TLS_STEP_DONE);
  cr_expect_str_eq(r.sni, "bad.cafe", "a name of hex letters is still a name");
  handshake_round(&f, false, NULL, "[::1]:25", &r);
  cr_expect_eq(r.client, TLS_STEP_DONE);
  cr_expect_str_eq(r.sni, "");
  cert_files_remove(&f);
}

Test(relay_tls_verify, a_next_hop_that_cannot_be_named_is_not_connected_under_verify) {
  struct tls_client cli;
  char err[512] = "";
  cr_assert_eq(tls_client_init(&cli, true, NULL, err, sizeof(err)), 0, "system store: %s", err);
  cr_expect_null(tls_conn_new_client(&cli, "[mx.b.example]:25", err, sizeof(err)));
  cr_expect(strstr(err, "cannot verify [mx.b.example]:25") != NULL, "%s", err);
  tls_client_free(&cli);
}

Test(relay_tls_verify, a_client_context_with_an_unusable_ca_file_names_the_file) {
  struct tls_client cli;
  struct cert_files f;
  char err[512] = "";
  make_cert(&f, "localhost", NULL);
  cr_expect_eq(tls_client_init(&cli, true, f.key, err, sizeof(err)), -1, "a key is not a CA");
  cr_expect(strstr(err, f.key) != NULL, "%s", err);
  cr_expect_null(cli.ctx, "released on failure");
  cr_expect_eq(tls_ca_file_check(f.cert, err, sizeof(err)), 0, "%s", err);
  cr_expect_eq(tls_ca_file_check("/nonexistent/ca.pem", err, sizeof(err)), -1);
  cr_expect(strstr(err, "/nonexistent/ca.pem") != NULL, "%s", err);
  cert_files_remove(&f);
}
