/* helper_cert.h - throwaway TLS certificates for tests: self-signed, P-256, CA:TRUE, so a
 * certificate is its own trust anchor when given as the CA file. */
#ifndef HELPER_CERT_H
#define HELPER_CERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A certificate and its private key. */
struct test_cert {
  X509 *x509;
  EVP_PKEY *key;
};

/* test_cert_make - a self-signed certificate valid from a minute ago for an hour, subject
 * CN cn, subjectAltName san (e.g. "DNS:localhost,IP:127.0.0.1"; NULL: none). Aborts the
 * test program if OpenSSL fails. */
void test_cert_make(struct test_cert *c, const char *cn, const char *san);

/* test_cert_write - the certificate as PEM to cert_path and, unless key_path is NULL, the
 * key to key_path. Aborts the test program if a file cannot be written. */
void test_cert_write(const struct test_cert *c, const char *cert_path, const char *key_path);

/* test_cert_free - release both. */
void test_cert_free(struct test_cert *c);

#endif
