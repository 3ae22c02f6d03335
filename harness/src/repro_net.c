/* repro_net.c - the same conversation as fuzz_server, over the network. */
#include "repro_net.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "gen_session.h"
#include "repro_print.h"
#include "smtp/reply.h"

/* Octets kept from the server between reads (replies are printed as they complete). */
#define NET_BUF 65536

/* What the network replay holds. */
struct net_state {
  struct conn *c;
  char *buf;
  size_t len;
  int last_code;
  bool closed;
  struct repro_printer pr;
  struct smtp_reply *reply;
};

/* net_print_replies - print every complete reply in the buffer and drop it. */
static void net_print_replies(struct net_state *st) {
  size_t pos = 0;
  for (;;) {
    ssize_t n = smtp_reply_parse(st->buf + pos, st->len - pos, st->reply);
    if (n == -2)
      break;
    if (n < 0) {
      const char *lf = memchr(st->buf + pos, '\n', st->len - pos);
      n = lf ? lf - (st->buf + pos) + 1 : (ssize_t)(st->len - pos);
      repro_print_event(&st->pr, REPRO_EV_SERVER, st->buf + pos, (size_t)n);
      repro_print_event(&st->pr, REPRO_EV_NOTE, "not a reply", 11);
    } else {
      repro_print_event(&st->pr, REPRO_EV_SERVER, st->buf + pos, (size_t)n);
      st->last_code = st->reply->code;
      if (st->reply->defects != 0) {
        const char *d = smtp_reply_defect_text(st->reply->defects & -st->reply->defects);
        repro_print_event(&st->pr, REPRO_EV_NOTE, d, strlen(d));
      }
    }
    pos += (size_t)n;
  }
  memmove(st->buf, st->buf + pos, st->len - pos);
  st->len -= pos;
}

/* net_read_quiet - read until nothing arrives for quiet_ms (or EOF / buffer full). */
static int net_read_quiet(struct net_state *st, int quiet_ms) {
  while (!st->closed && st->len < NET_BUF) {
    ssize_t n = conn_read(st->c, st->buf + st->len, NET_BUF - st->len, quiet_ms);
    if (n == -2)
      break;
    if (n <= 0) {
      st->closed = true;
      repro_print_event(&st->pr, REPRO_EV_NOTE,
                        n == 0 ? "server closed the connection" : "read error", n == 0 ? 28 : 10);
      break;
    }
    st->len += (size_t)n;
    net_print_replies(st);
  }
  return 0;
}

/* repro_net_session - see repro_net.h. */
int repro_net_session(const char *hostport, const uint8_t *data, size_t size, int quiet_ms,
                      FILE *out) {
  char host[256], port[32], err[256];
  struct gen_session in;
  struct net_state st = {0};
  int rc = 1;

  if (hostport_parse(hostport, "25", host, sizeof host, port, sizeof port) != 0) {
    fprintf(stderr, "smtpcheck repro: bad HOST:PORT '%s'\n", hostport);
    return 2;
  }
  st.pr = (struct repro_printer){out, "C:", "S:"};
  st.buf = malloc(NET_BUF);
  st.reply = malloc(sizeof *st.reply);
  if (st.buf == NULL || st.reply == NULL)
    goto out;
  st.c = conn_open(host, port, 5000, err, sizeof err);
  if (st.c == NULL) {
    fprintf(stderr, "smtpcheck repro: %s\n", err);
    rc = 3;
    goto out;
  }
  gen_session_decode(data, size, &in);
  net_read_quiet(&st, quiet_ms);
  size_t pos = 0;
  for (size_t k = 0; pos < in.stream_len && !st.closed; k++) {
    size_t n = gen_session_read_len(&in, GEN_SRV_READS, k, in.stream + pos, in.stream_len - pos);
    repro_print_event(&st.pr, REPRO_EV_CLIENT, in.stream + pos, n);
    if (conn_write_all(st.c, in.stream + pos, n, 5000) != 0) {
      repro_print_event(&st.pr, REPRO_EV_NOTE, "write failed", 12);
      break;
    }
    pos += n;
    st.last_code = 0;
    net_read_quiet(&st, quiet_ms);
    /* A 220 after a read that held STARTTLS: switch as fuzz_server does. */
    static const char verb[] = "STARTTLS\r\n";
    bool asked = n >= sizeof verb - 1 && memmem(in.stream + pos - n, n, "STARTTLS", 8) != NULL;
    if (asked && st.last_code == 220 && !conn_is_tls(st.c)) {
      struct conn_tls_options o = {NULL, NULL, false};
      repro_print_event(&st.pr, REPRO_EV_NOTE, "TLS handshake", 13);
      if (conn_start_tls(st.c, &o, 5000, err, sizeof err) != 0) {
        repro_print_event(&st.pr, REPRO_EV_NOTE, err, strlen(err));
        break;
      }
      st.len = 0; /* anything buffered in plaintext does not count after the switch */
    }
  }
  if (!st.closed) {
    repro_print_event(&st.pr, REPRO_EV_NOTE, "end of input: closing", 21);
  }
  rc = 0;
out:
  if (st.c != NULL)
    conn_close(st.c);
  free(st.buf);
  free(st.reply);
  return rc;
}
