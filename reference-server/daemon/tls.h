/* tls.h - TLS for refsmtpd through memory BIOs: ciphertext in, ciphertext out, so the
 * session code decides when sockets are read and written and the engine stays sans-I/O. */
#ifndef REFSMTPD_TLS_H
#define REFSMTPD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;

/* The server context: certificate, key, protocol floor, ciphers. */
struct tls_server {
  SSL_CTX *ctx;
};

/* tls_server_init - load a PEM certificate chain and key; TLS 1.2 or later only,
 * forward-secret AEAD ciphers for TLS 1.2. -1 with a message in err on failure. */
int tls_server_init(struct tls_server *t, const char *cert, const char *key, char *err,
                    size_t errcap);
/* tls_server_free - release the context. */
void tls_server_free(struct tls_server *t);

/* The client context for STARTTLS to a next hop when relaying. */
struct tls_client {
  SSL_CTX *ctx;
  bool verify; /* --relay-tls verify: the next hop's certificate must chain and match */
};

/* tls_client_init - TLS 1.2 or later. Without verify the next hop's certificate is not
 * checked (opportunistic TLS, RFC 7435: it protects against passive eavesdroppers only).
 * With verify it must chain to a CA of ca_file (PEM; NULL: the system store) and match
 * the next hop's name or address (RFC 6125); see tls_conn_verified. -1 with a message
 * in err on failure. */
int tls_client_init(struct tls_client *t, bool verify, const char *ca_file, char *err,
                    size_t errcap);
/* tls_client_free - release the client context. */
void tls_client_free(struct tls_client *t);
/* tls_ca_file_check - does path hold at least one PEM certificate OpenSSL accepts? 0, or
 * -1 with a message naming the file in err (for --relay-ca at start-up). */
int tls_ca_file_check(const char *path, char *err, size_t errcap);
/* tls_conn_new_client - a client-side connection to next_hop ("HOST:PORT"): SNI when the
 * host is a name, and with verify the name or address the certificate must match. NULL
 * with a reason in err (out of memory, or a host that cannot be checked). */
struct tls_conn *tls_conn_new_client(struct tls_client *t, const char *next_hop, char *err,
                                     size_t errcap);
/* tls_conn_verified - after the handshake of a verifying client: 0 if the peer's
 * certificate chained to a trusted CA and matched; else -1 and why in err, as
 * "certificate verify failed: hostname mismatch (depth 0, /CN=mx.other.test)". */
int tls_conn_verified(const struct tls_conn *c, char *err, size_t errcap);

/* One connection's TLS state. */
struct tls_conn {
  SSL *ssl;
  BIO *in;  /* ciphertext from the peer, written by us, read by OpenSSL */
  BIO *out; /* ciphertext for the peer, written by OpenSSL, read by us */
  bool established;
  long verify_error; /* the first X509_V_ERR_* the chain check met (X509_V_OK: none) */
  int verify_depth;  /* where in the chain it was met */
};

/* Outcome of a handshake step. */
enum tls_step { TLS_STEP_DONE = 0, TLS_STEP_WANT, TLS_STEP_ERROR };

/* tls_conn_new - a server-side connection; NULL if out of memory. */
struct tls_conn *tls_conn_new(struct tls_server *t);
/* tls_conn_free - release it (no close_notify; see tls_conn_shutdown). */
void tls_conn_free(struct tls_conn *c);
/* tls_conn_push - give OpenSSL ciphertext read from the socket. 0 or -1. */
int tls_conn_push(struct tls_conn *c, const char *buf, size_t len);
/* tls_conn_handshake - advance the handshake with what was pushed. */
enum tls_step tls_conn_handshake(struct tls_conn *c, char *err, size_t errcap);
/* tls_conn_read - decrypted octets: >0 count, 0 need more ciphertext, -1 closed/error. */
ssize_t tls_conn_read(struct tls_conn *c, char *buf, size_t cap);
/* tls_conn_write - encrypt plaintext: octets taken (may be fewer than len), -1 error. */
ssize_t tls_conn_write(struct tls_conn *c, const char *buf, size_t len);
/* tls_conn_outbound - ciphertext waiting for the socket (pointer valid until next call). */
size_t tls_conn_outbound(struct tls_conn *c, const char **p);
/* tls_conn_outbound_done - n octets of it were sent. */
void tls_conn_outbound_done(struct tls_conn *c, size_t n);
/* tls_conn_shutdown - queue a close_notify alert. */
void tls_conn_shutdown(struct tls_conn *c);
/* tls_conn_describe - "TLSv1.3 TLS_AES_256_GCM_SHA384" for logs. */
void tls_conn_describe(const struct tls_conn *c, char *buf, size_t cap);

#endif
