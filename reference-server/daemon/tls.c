/* tls.c - OpenSSL server side over memory BIOs (as in OpenSSL's fuzz/server.c). */
#include "tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TLS 1.2 suites: ECDHE/DHE with AEAD only (Mozilla "intermediate"); TLS 1.3 defaults. */
static const char tls12_ciphers[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                                    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

/* ssl_error_text - the first queued OpenSSL error as text; clears the queue. */
static void ssl_error_text(char *err, size_t cap) {
  unsigned long e = ERR_get_error();
  if (cap == 0)
    return;
  if (e == 0)
    snprintf(err, cap, "unknown TLS error");
  else
    ERR_error_string_n(e, err, cap);
  ERR_clear_error();
}

/* tls_server_init - load the certificate chain and key; set the protocol floor. */
int tls_server_init(struct tls_server *t, const char *cert, const char *key, char *err,
                    size_t errcap) {
  char why[256];

  t->ctx = SSL_CTX_new(TLS_server_method());
  if (t->ctx == NULL) {
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "cannot create TLS context: %s", why);
    return -1;
  }
  /* RFC 8996: TLS 1.0 and 1.1 are deprecated; RFC 8314 4.1 asks for TLS 1.2 or later. */
  SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  /* Partial writes keep SSL_write non-blocking in spirit; released buffers keep idle
   * TLS sessions small. */
  SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_set_cipher_list(t->ctx, tls12_ciphers) != 1) {
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "cannot set TLS ciphers: %s", why);
    goto fail;
  }
  if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1) {
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "cannot load --tls-cert %s: %s", cert, why);
    goto fail;
  }
  if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1) {
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "cannot load --tls-key %s: %s", key, why);
    goto fail;
  }
  if (SSL_CTX_check_private_key(t->ctx) != 1) {
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "--tls-key %s does not match --tls-cert %s: %s", key, cert, why);
    goto fail;
  }
  return 0;
fail:
  tls_server_free(t);
  return -1;
}

/* tls_server_free - release the context. */
void tls_server_free(struct tls_server *t) {
  SSL_CTX_free(t->ctx);
  t->ctx = NULL;
}

/* tls_client_init - the client context for relaying. */
int tls_client_init(struct tls_client *t, char *err, size_t errcap) {
  char why[256];
  t->ctx = SSL_CTX_new(TLS_client_method());
  if (t->ctx == NULL) {
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "cannot create TLS client context: %s", why);
    return -1;
  }
  /* RFC 8996: no TLS 1.0/1.1. RFC 7435: encrypt without authenticating the peer. */
  SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return 0;
}

/* tls_client_free - release the client context. */
void tls_client_free(struct tls_client *t) {
  SSL_CTX_free(t->ctx);
  t->ctx = NULL;
}

/* conn_new - one connection over two memory BIOs on a context (either side). */
static struct tls_conn *conn_new(SSL_CTX *ctx, bool server, const char *sni) {
  struct tls_conn *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->ssl = SSL_new(ctx);
  c->in = BIO_new(BIO_s_mem());
  c->out = BIO_new(BIO_s_mem());
  if (c->ssl == NULL || c->in == NULL || c->out == NULL) {
    SSL_free(c->ssl);
    BIO_free(c->in);
    BIO_free(c->out);
    free(c);
    ERR_clear_error();
    return NULL;
  }
  /* An empty memory BIO means "retry later", not end of file. */
  BIO_set_mem_eof_return(c->in, -1);
  BIO_set_mem_eof_return(c->out, -1);
  SSL_set_bio(c->ssl, c->in, c->out); /* the SSL now owns both BIOs */
  if (server) {
    SSL_set_accept_state(c->ssl);
  } else {
    /* RFC 6066 3: SNI carries a host name, never an address literal. */
    if (sni != NULL && sni[0] != '\0' && strspn(sni, "0123456789.:[]abcdefABCDEF") != strlen(sni))
      SSL_set_tlsext_host_name(c->ssl, sni);
    SSL_set_connect_state(c->ssl);
  }
  return c;
}

/* tls_conn_new - a server-side connection. */
struct tls_conn *tls_conn_new(struct tls_server *t) {
  return conn_new(t->ctx, true, NULL);
}

/* tls_conn_new_client - a client-side connection. */
struct tls_conn *tls_conn_new_client(struct tls_client *t, const char *host) {
  return conn_new(t->ctx, false, host);
}

/* tls_conn_free - release it. */
void tls_conn_free(struct tls_conn *c) {
  if (c == NULL)
    return;
  SSL_free(c->ssl);
  free(c);
}

/* tls_conn_push - give OpenSSL ciphertext read from the socket. */
int tls_conn_push(struct tls_conn *c, const char *buf, size_t len) {
  while (len > 0) {
    int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
    int n = BIO_write(c->in, buf, chunk);
    if (n <= 0)
      return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* tls_conn_handshake - advance the handshake with what was pushed. */
enum tls_step tls_conn_handshake(struct tls_conn *c, char *err, size_t errcap) {
  int r = SSL_do_handshake(c->ssl);
  if (r == 1) {
    c->established = true;
    return TLS_STEP_DONE;
  }
  switch (SSL_get_error(c->ssl, r)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return TLS_STEP_WANT;
  default:
    ssl_error_text(err, errcap);
    return TLS_STEP_ERROR;
  }
}

/* tls_conn_read - decrypted octets: >0 count, 0 need more ciphertext, -1 closed/error. */
ssize_t tls_conn_read(struct tls_conn *c, char *buf, size_t cap) {
  int n = SSL_read(c->ssl, buf, cap > (1u << 30) ? (1 << 30) : (int)cap);
  if (n > 0)
    return n;
  switch (SSL_get_error(c->ssl, n)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return 0;
  default: /* close_notify (ZERO_RETURN) or a protocol error */
    ERR_clear_error();
    return -1;
  }
}

/* tls_conn_write - encrypt plaintext into the outbound BIO. */
ssize_t tls_conn_write(struct tls_conn *c, const char *buf, size_t len) {
  int n;
  if (len == 0)
    return 0;
  n = SSL_write(c->ssl, buf, len > (1u << 30) ? (1 << 30) : (int)len);
  if (n > 0)
    return n;
  switch (SSL_get_error(c->ssl, n)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return 0;
  default:
    ERR_clear_error();
    return -1;
  }
}

/* tls_conn_outbound - ciphertext waiting for the socket. */
size_t tls_conn_outbound(struct tls_conn *c, const char **p) {
  char *data = NULL;
  long n = BIO_get_mem_data(c->out, &data);
  *p = data;
  return n > 0 ? (size_t)n : 0;
}

/* tls_conn_outbound_done - n octets were sent: drop them from the BIO. */
void tls_conn_outbound_done(struct tls_conn *c, size_t n) {
  char scratch[4096];
  while (n > 0) {
    int chunk = n > sizeof(scratch) ? (int)sizeof(scratch) : (int)n;
    int got = BIO_read(c->out, scratch, chunk);
    if (got <= 0)
      break;
    n -= (size_t)got;
  }
}

/* tls_conn_shutdown - queue a close_notify alert. */
void tls_conn_shutdown(struct tls_conn *c) {
  if (c->established)
    SSL_shutdown(c->ssl);
  ERR_clear_error();
}

/* tls_conn_describe - protocol and cipher, for logs. */
void tls_conn_describe(const struct tls_conn *c, char *buf, size_t cap) {
  snprintf(buf, cap, "%s %s", SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
}
