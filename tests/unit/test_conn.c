/* test_conn.c - the harness connection: HOST:PORT parsing, TCP with timeouts, TLS.
 *
 * Peers are threads of this process on 127.0.0.1, ephemeral ports; TLS uses a
 * certificate made here for "localhost" (and 127.0.0.1), written to a temporary file. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "helper_cert.h"

/* One HOST:PORT vector: input, then the expected host and port (NULL: malformed). */
struct hp_vector {
  char in[24];
  char host[16]; /* "" when the input is malformed */
  char port[8];
};

static const struct hp_vector hp_vectors[] = {
    {"mx.example", "mx.example", "25"},
    {"mx.example:2525", "mx.example", "2525"},
    {"127.0.0.1", "127.0.0.1", "25"},
    {"127.0.0.1:587", "127.0.0.1", "587"},
    {"[::1]:465", "::1", "465"},
    {"[::1]", "::1", "25"},
    {"::1", "::1", "25"},
    {"fe80::1%eth0", "fe80::1%eth0", "25"},
    {"[fe80::1%eth0]:26", "fe80::1%eth0", "26"},
    {"mx.example:smtp", "mx.example", "smtp"},
    {"mx.example:65535", "mx.example", "65535"},
    {"", "", ""},
    {":25", "", ""},
    {"mx.example:", "", ""},
    {"mx.example:0", "", ""},
    {"mx.example:65536", "", ""},
    {"mx.example:25x y", "", ""},
    {"[::1", "", ""},
    {"[::1]x", "", ""},
    {"[::1]:", "", ""},
    {"[mx.example]:25", "", ""},
    {"[]:25", "", ""},
    {"mx example", "", ""},
    {"a]b:25", "", ""},
};

ParameterizedTestParameters(conn, hostport_vectors) {
  return cr_make_param_array(struct hp_vector, (void *)hp_vectors,
                             sizeof hp_vectors / sizeof hp_vectors[0]);
}

ParameterizedTest(const struct hp_vector *v, conn, hostport_vectors) {
  char host[64], port[16];
  int rc = hostport_parse(v->in, "25", host, sizeof host, port, sizeof port);
  if (!v->host[0]) {
    cr_assert_eq(rc, -1, "\"%s\" should be malformed, got host '%s' port '%s'", v->in, host, port);
    return;
  }
  cr_assert_eq(rc, 0, "\"%s\" should parse", v->in);
  cr_assert_str_eq(host, v->host, "\"%s\"", v->in);
  cr_assert_str_eq(port, v->port, "\"%s\"", v->in);
}

Test(conn, hostport_refuses_results_that_do_not_fit) {
  char host[4], port[16];
  cr_assert_eq(hostport_parse("mx.example", "25", host, sizeof host, port, sizeof port), -1);
  cr_assert_eq(hostport_parse("mx", "25", host, sizeof host, port, sizeof port), 0);
  cr_assert_eq(hostport_parse("mx", NULL, host, sizeof host, port, sizeof port), -1);
}

/* listen_any - a listening socket on 127.0.0.1 with an ephemeral port, in *port. */
static int listen_any(char *port, size_t cap) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_geq(fd, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(fd, 8), 0);
  socklen_t len = sizeof a;
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  snprintf(port, cap, "%u", (unsigned)ntohs(a.sin_port));
  return fd;
}

/* closed_port - an ephemeral port nobody listens on (bound, then closed). */
static void closed_port(char *port, size_t cap) {
  int fd = listen_any(port, cap);
  close(fd);
}

/* What a peer thread does with its one connection. */
enum peer_mode { PEER_ECHO_LINE, PEER_SILENT, PEER_CLOSE, PEER_TLS_ECHO };

struct peer {
  int lfd;
  enum peer_mode mode;
  SSL_CTX *tls;
  int hold_ms;
};

/* sleep_ms - a short pause. */
static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* peer_main - accept one connection and behave as mode says. */
static void *peer_main(void *arg) {
  struct peer *p = arg;
  int fd = accept(p->lfd, NULL, NULL);
  if (fd < 0)
    return NULL;
  char buf[256];
  if (p->mode == PEER_ECHO_LINE) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0)
      (void)write(fd, buf, (size_t)n);
    sleep_ms(p->hold_ms);
  } else if (p->mode == PEER_SILENT) {
    sleep_ms(p->hold_ms);
  } else if (p->mode == PEER_TLS_ECHO) {
    SSL *ssl = SSL_new(p->tls);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n > 0)
        SSL_write(ssl, buf, n);
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
  }
  close(fd);
  return NULL;
}

/* start_peer - a listening socket and the thread that serves it. */
static pthread_t start_peer(struct peer *p, enum peer_mode mode, char *port, size_t cap) {
  p->lfd = listen_any(port, cap);
  p->mode = mode;
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, peer_main, p), 0);
  return t;
}

Test(conn, reports_a_refused_connection_with_the_address) {
  char port[16], err[256], want[64];
  closed_port(port, sizeof port);
  struct conn *c = conn_open("127.0.0.1", port, 2000, err, sizeof err);
  cr_assert_null(c);
  snprintf(want, sizeof want, "connect to 127.0.0.1:%s: Connection refused", port);
  cr_assert_str_eq(err, want);
}

Test(conn, reports_a_name_that_does_not_resolve) {
  char err[256];
  struct conn *c = conn_open("no-such-host.invalid", "25", 2000, err, sizeof err);
  cr_assert_null(c);
  cr_assert_neq(strstr(err, "no-such-host.invalid"), NULL, "%s", err);
}

Test(conn, writes_and_reads_back_over_tcp_and_names_the_peer) {
  char port[16], err[256], want[64], buf[64];
  struct peer p = {.hold_ms = 100};
  pthread_t t = start_peer(&p, PEER_ECHO_LINE, port, sizeof port);
  struct conn *c = conn_open("127.0.0.1", port, 2000, err, sizeof err);
  cr_assert_not_null(c, "%s", err);
  snprintf(want, sizeof want, "127.0.0.1:%s", port);
  cr_assert_str_eq(conn_peer(c), want);
  cr_assert_not(conn_is_tls(c));
  cr_assert_eq(conn_write_all(c, "NOOP\r\n", 6, 2000), 0);
  ssize_t n = conn_read(c, buf, sizeof buf, 2000);
  cr_assert_eq(n, 6);
  cr_assert(memcmp(buf, "NOOP\r\n", 6) == 0);
  cr_assert_eq(conn_read(c, buf, sizeof buf, 2000), 0, "EOF after the peer closed");
  conn_close(c);
  pthread_join(t, NULL);
  close(p.lfd);
}

Test(conn, times_out_a_read_from_a_silent_peer) {
  char port[16], err[256], buf[16];
  struct peer p = {.hold_ms = 600};
  pthread_t t = start_peer(&p, PEER_SILENT, port, sizeof port);
  struct conn *c = conn_open("127.0.0.1", port, 2000, err, sizeof err);
  cr_assert_not_null(c, "%s", err);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  cr_assert_eq(conn_read(c, buf, sizeof buf, 150), -2);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
  cr_assert_geq(ms, 140, "returned after %ld ms", ms);
  cr_assert_lt(ms, 550, "returned after %ld ms", ms);
  cr_assert_neq(strstr(conn_last_error(c), "timed out"), NULL);
  conn_close(c);
  pthread_join(t, NULL);
  close(p.lfd);
}

/* on_sigpipe - counts SIGPIPEs; the test fails if any arrives. */
static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) {
  (void)sig;
  sigpipes++;
}

Test(conn, writing_to_a_closed_peer_fails_without_sigpipe) {
  char port[16], err[256];
  struct sigaction sa = {.sa_handler = on_sigpipe}, old;
  sigaction(SIGPIPE, &sa, &old);
  struct peer p = {.hold_ms = 0};
  pthread_t t = start_peer(&p, PEER_CLOSE, port, sizeof port);
  struct conn *c = conn_open("127.0.0.1", port, 2000, err, sizeof err);
  cr_assert_not_null(c, "%s", err);
  pthread_join(t, NULL);
  static char big[65536];
  int rc = 0;
  for (int i = 0; i < 64 && rc == 0; i++) /* the first writes may land in buffers */
    rc = conn_write_all(c, big, sizeof big, 2000);
  cr_assert_eq(rc, -1);
  cr_assert_eq(sigpipes, 0);
  conn_close(c);
  close(p.lfd);
  sigaction(SIGPIPE, &old, NULL);
}

/* make_server_ctx - a server context with a self-signed certificate for localhost and
 * 127.0.0.1, whose certificate is also written to path (a CA file that trusts it). */
static SSL_CTX *make_server_ctx(const char *path) {
  struct test_cert c;
  test_cert_make(&c, "localhost", "DNS:localhost,IP:127.0.0.1");
  test_cert_write(&c, path, NULL);
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  cr_assert_not_null(ctx);
  cr_assert_eq(SSL_CTX_use_certificate(ctx, c.x509), 1);
  cr_assert_eq(SSL_CTX_use_PrivateKey(ctx, c.key), 1);
  test_cert_free(&c);
  return ctx;
}

/* tls_round - connect to a TLS echo peer with options o; returns conn_start_tls's code. */
static int tls_round(const char *host, const struct conn_tls_options *o, char *err, size_t cap) {
  char port[16], tmpl[] = "/tmp/test_conn_XXXXXX", path[64], buf[64];
  int tfd = mkstemp(tmpl);
  cr_assert_geq(tfd, 0);
  close(tfd);
  snprintf(path, sizeof path, "%s", tmpl);
  struct peer p = {.tls = make_server_ctx(path)};
  struct conn_tls_options opts = *o;
  if (opts.ca_file && !strcmp(opts.ca_file, "SELF"))
    opts.ca_file = path;
  pthread_t t = start_peer(&p, PEER_TLS_ECHO, port, sizeof port);
  struct conn *c = conn_open(host, port, 2000, err, cap);
  cr_assert_not_null(c, "%s", err);
  int rc = conn_start_tls(c, &opts, 3000, err, cap);
  if (rc == 0) {
    cr_assert(conn_is_tls(c));
    cr_assert_eq(conn_write_all(c, "EHLO x\r\n", 8, 2000), 0);
    ssize_t n = conn_read(c, buf, sizeof buf, 2000);
    cr_assert_eq(n, 8, "read %zd: %s", n, conn_last_error(c));
    cr_assert(memcmp(buf, "EHLO x\r\n", 8) == 0);
    cr_assert_eq(conn_read(c, buf, sizeof buf, 2000), 0, "close_notify reads as EOF");
    char d[64];
    cr_assert_eq(strncmp(conn_tls_describe(c, d, sizeof d), "TLSv1.", 6), 0);
  }
  conn_close(c);
  pthread_join(t, NULL);
  close(p.lfd);
  SSL_CTX_free(p.tls);
  unlink(path);
  return rc;
}

Test(conn, tls_without_verification_accepts_a_self_signed_certificate) {
  char err[256];
  struct conn_tls_options o = {.verify = false};
  cr_assert_eq(tls_round("127.0.0.1", &o, err, sizeof err), 0, "%s", err);
}

Test(conn, tls_verification_fails_for_an_unknown_issuer) {
  char err[256];
  /* The system's CAs do not know our self-signed certificate. */
  struct conn_tls_options o = {.verify = true, .sni = "localhost", .ca_file = NULL};
  cr_assert_eq(tls_round("127.0.0.1", &o, err, sizeof err), -1);
  cr_assert_neq(strstr(err, "certificate"), NULL, "%s", err);
}

Test(conn, tls_verification_passes_with_the_right_ca_and_name) {
  char err[256];
  struct conn_tls_options o = {.verify = true, .sni = "localhost", .ca_file = "SELF"};
  cr_assert_eq(tls_round("127.0.0.1", &o, err, sizeof err), 0, "%s", err);
  struct conn_tls_options ip = {.verify = true, .ca_file = "SELF"};
  cr_assert_eq(tls_round("127.0.0.1", &ip, err, sizeof err), 0, "by IP address: %s", err);
}

Test(conn, tls_verification_fails_for_the_wrong_host_name) {
  char err[256];
  struct conn_tls_options o = {.verify = true, .sni = "mx.example", .ca_file = "SELF"};
  cr_assert_eq(tls_round("127.0.0.1", &o, err, sizeof err), -1);
  cr_assert_neq(strstr(err, "hostname mismatch"), NULL, "%s", err);
}

Test(conn, a_failed_handshake_without_verification_gives_the_real_reason) {
  /* The peer (TLS 1.2) sends its self-signed certificate, then demands one from us and
   * ends the handshake with an alert when none comes. Verification is off, so it is not
   * the reason, although OpenSSL records a failed verify result for the certificate. */
  char port[16], err[256], tmpl[] = "/tmp/test_conn_XXXXXX";
  int tfd = mkstemp(tmpl);
  cr_assert_geq(tfd, 0);
  close(tfd);
  struct peer p = {.tls = make_server_ctx(tmpl)};
  SSL_CTX_set_max_proto_version(p.tls, TLS1_2_VERSION);
  SSL_CTX_set_verify(p.tls, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  pthread_t t = start_peer(&p, PEER_TLS_ECHO, port, sizeof port);
  struct conn *c = conn_open("127.0.0.1", port, 2000, err, sizeof err);
  cr_assert_not_null(c, "%s", err);
  struct conn_tls_options o = {.verify = false};
  int rc = conn_start_tls(c, &o, 3000, err, sizeof err);
  conn_close(c);
  pthread_join(t, NULL);
  close(p.lfd);
  SSL_CTX_free(p.tls);
  unlink(tmpl);
  cr_assert_eq(rc, -1, "the handshake succeeded");
  cr_assert_eq(strstr(err, "certificate verification"), NULL, "%s", err);
  cr_assert_neq(strstr(err, "alert"), NULL, "the peer's alert is the reason: %s", err);
}

Test(conn, tls_handshake_times_out_against_a_silent_peer) {
  char port[16], err[256];
  struct peer p = {.hold_ms = 800};
  pthread_t t = start_peer(&p, PEER_SILENT, port, sizeof port);
  struct conn *c = conn_open("127.0.0.1", port, 2000, err, sizeof err);
  cr_assert_not_null(c, "%s", err);
  struct conn_tls_options o = {0};
  cr_assert_eq(conn_start_tls(c, &o, 200, err, sizeof err), -2);
  cr_assert_neq(strstr(err, "timed out"), NULL, "%s", err);
  cr_assert_not(conn_is_tls(c));
  conn_close(c);
  pthread_join(t, NULL);
  close(p.lfd);
}

Test(conn, a_listening_address_may_ask_for_port_zero_but_a_server_may_not) {
  char host[64], port[16];
  cr_assert_eq(hostport_parse("127.0.0.1:0", "25", host, sizeof host, port, sizeof port), -1);
  cr_assert_eq(hostport_parse_listen("127.0.0.1:0", "2525", host, sizeof host, port, sizeof port),
               0);
  cr_assert_str_eq(host, "127.0.0.1");
  cr_assert_str_eq(port, "0");
  cr_assert_eq(hostport_parse_listen("[::1]:0", "2525", host, sizeof host, port, sizeof port), 0);
  cr_assert_str_eq(host, "::1");
  cr_assert_str_eq(port, "0");
  cr_assert_eq(hostport_parse_listen("localhost", "2525", host, sizeof host, port, sizeof port), 0);
  cr_assert_str_eq(port, "2525");
  cr_assert_eq(
      hostport_parse_listen("127.0.0.1:65536", "2525", host, sizeof host, port, sizeof port), -1);
  cr_assert_eq(hostport_parse_listen("127.0.0.1:", "2525", host, sizeof host, port, sizeof port),
               -1);
  cr_assert_eq(hostport_parse_listen("[::1]", "2525", host, sizeof host, port, sizeof port), 0);
  cr_assert_str_eq(port, "2525");
}

Test(conn, formats_socket_addresses_with_brackets_for_ipv6) {
  char out[64];
  struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(25)};
  a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  hostport_format((struct sockaddr *)&a4, sizeof a4, out, sizeof out);
  cr_assert_str_eq(out, "127.0.0.1:25");
  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(587)};
  a6.sin6_addr = in6addr_loopback;
  hostport_format((struct sockaddr *)&a6, sizeof a6, out, sizeof out);
  cr_assert_str_eq(out, "[::1]:587");
}
