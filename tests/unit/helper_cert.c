/* helper_cert.c - throwaway TLS certificates for tests (see helper_cert.h). */
#include "helper_cert.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>

/* need - abort the test program with a message when ok is false. */
static void need(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "helper_cert: %s failed\n", what);
    abort();
  }
}

/* add_ext - add the extension nid with value to x, issued by x itself. */
static void add_ext(X509 *x, int nid, const char *value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
  need(ext != NULL, value);
  need(X509_add_ext(x, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

/* test_cert_make - see helper_cert.h. Serial numbers count up, so no two certificates of
 * one test program share issuer and serial (RFC 5280 4.1.2.2). */
void test_cert_make(struct test_cert *c, const char *cn, const char *san) {
  static long serial = 1;
  c->key = EVP_EC_gen("P-256");
  c->x509 = X509_new();
  need(c->key != NULL && c->x509 != NULL, "EVP_EC_gen/X509_new");
  X509 *x = c->x509;
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, c->key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  if (san != NULL)
    add_ext(x, NID_subject_alt_name, san);
  add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
  need(X509_sign(x, c->key, EVP_sha256()) > 0, "X509_sign");
}

/* test_cert_write - see helper_cert.h. */
void test_cert_write(const struct test_cert *c, const char *cert_path, const char *key_path) {
  FILE *f = fopen(cert_path, "w");
  need(f != NULL, cert_path);
  need(PEM_write_X509(f, c->x509) == 1, "PEM_write_X509");
  need(fclose(f) == 0, cert_path);
  if (key_path == NULL)
    return;
  f = fopen(key_path, "w");
  need(f != NULL, key_path);
  need(PEM_write_PrivateKey(f, c->key, NULL, NULL, 0, NULL, NULL) == 1, "PEM_write_PrivateKey");
  need(fclose(f) == 0, key_path);
}

/* test_cert_free - see helper_cert.h. */
void test_cert_free(struct test_cert *c) {
  X509_free(c->x509);
  EVP_PKEY_free(c->key);
  c->x509 = NULL;
  c->key = NULL;
}
