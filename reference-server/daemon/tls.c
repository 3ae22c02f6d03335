/* tls.c - OpenSSL over memory BIOs (as in OpenSSL's fuzz/server.c): the server side, and
 * the relay client side with optional verification of the next hop (RFC 6125). */
#include "tls.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_peer.h"

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

/* verify_note - OpenSSL's chain and name checks report each problem here: keep the first
 * for the log and let the handshake end, so that QUIT goes out over TLS (as Postfix's
 * smtp client does) before the connection closes; tls_conn_verified then refuses the
 * channel, so no mail is ever sent over it. */
static int verify_note(int ok, X509_STORE_CTX *store) {
  SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  struct tls_conn *c = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
  if (c == NULL)
    return ok; /* not ours: fail closed */
  if (!ok && c->verify_error == X509_V_OK) {
    c->verify_error = X509_STORE_CTX_get_error(store);
    c->verify_depth = X509_STORE_CTX_get_error_depth(store);
    if (c->verify_error == X509_V_OK)
      c->verify_error = X509_V_ERR_UNSPECIFIED;
  }
  return 1;
}

/* load_ca - the trust anchors for next hops: a PEM bundle, or the system store. */
static int load_ca(SSL_CTX *ctx, const char *ca_file, char *err, size_t errcap) {
  char why[256];
  FILE *f;
  if (ca_file == NULL) {
    if (SSL_CTX_set_default_verify_paths(ctx) == 1)
      return 0;
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "cannot load the system's trusted CA certificates: %s", why);
    return -1;
  }
  f = fopen(ca_file, "r");
  if (f == NULL) {
    snprintf(err, errcap, "--relay-ca %s: cannot read it: %s", ca_file, strerror(errno));
    return -1;
  }
  fclose(f);
  if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "--relay-ca %s: no PEM CA certificate could be loaded from it (%s)",
             ca_file, why);
    return -1;
  }
  return 0;
}

/* tls_client_init - the client context for relaying. */
int tls_client_init(struct tls_client *t, bool verify, const char *ca_file, char *err,
                    size_t errcap) {
  char why[256];
  t->verify = verify;
  t->ctx = SSL_CTX_new(TLS_client_method());
  if (t->ctx == NULL) {
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "cannot create TLS client context: %s", why);
    return -1;
  }
  /* RFC 8996: no TLS 1.0/1.1. */
  SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!verify) {
    /* RFC 7435: encrypt without authenticating the peer. */
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
    return 0;
  }
  /* RFC 7672 3.2 / Postfix "verify": the chain must lead to a trusted CA. */
  SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, verify_note);
  if (load_ca(t->ctx, ca_file, err, errcap) != 0) {
    tls_client_free(t);
    return -1;
  }
  return 0;
}

/* tls_client_free - release the client context. */
void tls_client_free(struct tls_client *t) {
  SSL_CTX_free(t->ctx);
  t->ctx = NULL;
}

/* tls_ca_file_check - load path into a scratch context to see that it is usable. */
int tls_ca_file_check(const char *path, char *err, size_t errcap) {
  char why[256];
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  int rc;
  if (ctx == NULL) {
    ssl_error_text(why, sizeof(why));
    snprintf(err, errcap, "--relay-ca %s: cannot create a TLS context: %s", path, why);
    return -1;
  }
  rc = load_ca(ctx, path, err, errcap);
  SSL_CTX_free(ctx);
  return rc;
}

/* conn_new - one connection over two memory BIOs on a context (either side). */
static struct tls_conn *conn_new(SSL_CTX *ctx, bool server) {
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
  c->verify_error = X509_V_OK;
  SSL_set_app_data(c->ssl, c); /* for verify_note */
  /* An empty memory BIO means "retry later", not end of file. */
  BIO_set_mem_eof_return(c->in, -1);
  BIO_set_mem_eof_return(c->out, -1);
  SSL_set_bio(c->ssl, c->in, c->out); /* the SSL now owns both BIOs */
  if (server)
    SSL_set_accept_state(c->ssl);
  else
    SSL_set_connect_state(c->ssl);
  return c;
}

/* tls_conn_new - a server-side connection. */
struct tls_conn *tls_conn_new(struct tls_server *t) {
  return conn_new(t->ctx, true);
}

/* client_identity - SNI, and with verify the name or address the certificate must hold. */
static int client_identity(SSL *ssl, const char *next_hop, bool verify, char *err, size_t errcap) {
  struct tls_peer p;
  X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
  int ok;
  if (tls_peer_parse(next_hop, &p) != 0) {
    if (!verify)
      return 0; /* opportunistic: nothing to name, nothing to check */
    snprintf(err, errcap, "cannot verify %s: its host is neither a name nor an IP address",
             next_hop);
    return -1;
  }
  /* RFC 6066 3: SNI carries a host name, never an address literal. */
  if (p.kind == TLS_PEER_NAME && SSL_set_tlsext_host_name(ssl, p.host) != 1) {
    snprintf(err, errcap, "cannot set SNI %s", p.host);
    return -1;
  }
  if (!verify)
    return 0;
  /* RFC 6125 6.4.3: a wildcard matches only as the whole left-most label. */
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  /* RFC 6125 6.4: the reference identity is the next hop's name; an address literal is
   * matched against the certificate's iPAddress entries (RFC 5280 4.2.1.6). */
  ok = p.kind == TLS_PEER_NAME ? SSL_set1_host(ssl, p.host)
                               : X509_VERIFY_PARAM_set1_ip_asc(param, p.host);
  if (ok != 1) {
    snprintf(err, errcap, "cannot set up certificate matching for %s", p.host);
    return -1;
  }
  return 0;
}

/* tls_conn_new_client - a client-side connection to next_hop. */
struct tls_conn *tls_conn_new_client(struct tls_client *t, const char *next_hop, char *err,
                                     size_t errcap) {
  struct tls_conn *c = conn_new(t->ctx, false);
  if (c == NULL) {
    snprintf(err, errcap, "out of memory for TLS");
    return NULL;
  }
  if (client_identity(c->ssl, next_hop, t->verify, err, errcap) != 0) {
    ERR_clear_error();
    tls_conn_free(c);
    return NULL;
  }
  return c;
}

/* tls_conn_verified - the verdict on the peer once the handshake is done. */
int tls_conn_verified(const struct tls_conn *c, char *err, size_t errcap) {
  long e = c->verify_error;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  const X509 *peer = SSL_get0_peer_certificate(c->ssl);
#else /* OpenSSL 1.1.1: the reference is held by the session, so it may be dropped here */
  X509 *peer = SSL_get_peer_certificate(c->ssl);
  X509_free(peer);
#endif
  char subject[256] = "";

  if (e == X509_V_OK)
    e = SSL_get_verify_result(c->ssl);
  if (c->established && peer != NULL && e == X509_V_OK)
    return 0;
  if (peer == NULL) {
    snprintf(err, errcap, "certificate verify failed: the next hop sent no certificate");
    return -1;
  }
  X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof(subject));
  snprintf(err, errcap, "certificate verify failed: %s (depth %d; certificate %s)",
           e == X509_V_OK ? "handshake not finished" : X509_verify_cert_error_string(e),
           c->verify_depth, subject);
  return -1;
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
