/* test_wire_read.c - the runner reads replies off a real socket: whole, one octet at a
 * time, pipelined, and from hostile peers (garbage, floods, silence, a close mid-reply). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "runner_session.h"

/* What the peer thread sends once a client connects. */
struct peer {
  int listener;
  const char *data;
  size_t len;
  bool one_by_one; /* one octet per send, 1 ms apart */
  bool flood;      /* repeat data until the client goes away */
  bool stay_open;  /* keep the connection open 2 s after sending */
  char port[16];
  pthread_t thread;
};

/* pause_ms - sleep a little. */
static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* peer_main - accept one client and send the peer's data as asked. */
static void *peer_main(void *arg) {
  struct peer *p = arg;
  int fd = accept(p->listener, NULL, NULL);
  if (fd < 0)
    return NULL;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (p->one_by_one) {
    for (size_t i = 0; i < p->len; i++) {
      if (send(fd, p->data + i, 1, MSG_NOSIGNAL) != 1)
        break;
      pause_ms(1);
    }
  } else if (p->flood) {
    for (int i = 0; i < 100000; i++)
      if (send(fd, p->data, p->len, MSG_NOSIGNAL) < 0)
        break;
  } else if (p->len) {
    send(fd, p->data, p->len, MSG_NOSIGNAL);
  }
  if (p->stay_open)
    pause_ms(2000);
  close(fd);
  return NULL;
}

/* peer_start - listen on an ephemeral 127.0.0.1 port and serve one client. */
static void peer_start(struct peer *p) {
  p->listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  cr_assert_eq(bind(p->listener, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(p->listener, 1), 0);
  getsockname(p->listener, (struct sockaddr *)&a, &al);
  snprintf(p->port, sizeof p->port, "%u", ntohs(a.sin_port));
  pthread_create(&p->thread, NULL, peer_main, p);
}

/* A session connected to a peer. */
struct fixture {
  struct run_config cfg;
  struct script_test t;
  struct test_result res;
  struct session s;
};

/* connect_to - open a session on the peer's port. */
static void connect_to(struct fixture *f, struct peer *p) {
  memset(f, 0, sizeof *f);
  f->t.id = "t";
  f->t.level = LEVEL_SHOULD;
  f->res.test = &f->t;
  f->s.cfg = &f->cfg;
  f->s.t = &f->t;
  f->s.res = &f->res;
  f->s.timeout_ms = 1000;
  char err[256];
  f->s.c = conn_open("127.0.0.1", p->port, 2000, err, sizeof err);
  cr_assert_not_null(f->s.c, "%s", err);
}

/* finish - close everything the fixture and peer hold. */
static void finish(struct fixture *f, struct peer *p) {
  conn_close(f->s.c);
  pthread_join(p->thread, NULL);
  close(p->listener);
  sbuf_free(&f->s.in);
  for (size_t i = 0; i < f->res.nentries; i++)
    free(f->res.entries[i].data);
  free(f->res.entries);
}

#define EHLO_REPLY "250-mx.test\r\n250-PIPELINING\r\n250 SIZE 100\r\n"

/* read_ehlo - read one reply from a peer sending EHLO_REPLY, whole or octet by octet. */
static void read_ehlo(bool one_by_one) {
  struct peer p = {.data = EHLO_REPLY, .len = strlen(EHLO_REPLY), .one_by_one = one_by_one};
  peer_start(&p);
  struct fixture f;
  connect_to(&f, &p);
  struct smtp_reply r;
  size_t used, partial;
  cr_assert_eq(session_read_reply(&f.s, 2000, &r, &used, &partial), READ_REPLY);
  cr_assert_eq(used, strlen(EHLO_REPLY));
  cr_assert_eq(r.code, 250);
  cr_assert_eq(r.nlines, 3);
  cr_assert_eq(r.defects, 0);
  cr_assert_eq(f.res.nentries, 1, "one transcript entry for the whole reply");
  cr_assert_eq(f.res.entries[0].len, strlen(EHLO_REPLY));
  finish(&f, &p);
}

Test(wire_read, reads_a_multiline_reply_sent_whole) {
  read_ehlo(false);
}

Test(wire_read, reads_a_multiline_reply_sent_one_octet_at_a_time) {
  read_ehlo(true);
}

Test(wire_read, reads_pipelined_replies_one_at_a_time) {
  const char *two = "250 2.1.0 ok\r\n354 go\r\n";
  struct peer p = {.data = two, .len = strlen(two)};
  peer_start(&p);
  struct fixture f;
  connect_to(&f, &p);
  struct smtp_reply r;
  size_t used, partial;
  cr_assert_eq(session_read_reply(&f.s, 2000, &r, &used, &partial), READ_REPLY);
  cr_assert_eq(r.code, 250);
  sbuf_consume(&f.s.in, used);
  cr_assert_eq(session_read_reply(&f.s, 2000, &r, &used, &partial), READ_REPLY);
  cr_assert_eq(r.code, 354);
  sbuf_consume(&f.s.in, used);
  cr_assert_eq(session_read_reply(&f.s, 2000, &r, &used, &partial), READ_EOF);
  finish(&f, &p);
}

Test(wire_read, a_bare_lf_reply_is_read_and_flagged) {
  struct peer p = {.data = "220 hi\n", .len = 7, .one_by_one = true};
  peer_start(&p);
  struct fixture f;
  connect_to(&f, &p);
  struct smtp_reply r;
  size_t used, partial;
  cr_assert_eq(session_read_reply(&f.s, 2000, &r, &used, &partial), READ_REPLY);
  cr_assert(r.defects & SMTP_REPLY_BARE_LF);
  finish(&f, &p);
}

Test(wire_read, garbage_is_reported_with_the_offending_octets) {
  static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\r\n";
  struct peer p = {.data = junk, .len = sizeof junk - 1};
  peer_start(&p);
  struct fixture f;
  connect_to(&f, &p);
  struct smtp_reply r;
  size_t used, partial;
  cr_assert_eq(session_read_reply(&f.s, 2000, &r, &used, &partial), READ_GARBAGE);
  cr_assert_eq(partial, sizeof junk - 1);
  cr_assert_eq(f.res.nentries, 1);
  cr_assert_eq(memcmp(f.res.entries[0].data, junk, sizeof junk - 1), 0);
  finish(&f, &p);
}

Test(wire_read, a_flood_stops_at_the_reply_cap) {
  static char line[64];
  memset(line, 'x', sizeof line);
  memcpy(line, "250-", 4);
  memcpy(line + 62, "\r\n", 2);
  struct peer p = {.data = line, .len = sizeof line, .flood = true};
  peer_start(&p);
  struct fixture f;
  connect_to(&f, &p);
  struct smtp_reply r;
  size_t used, partial;
  cr_assert_eq(session_read_reply(&f.s, 5000, &r, &used, &partial), READ_FLOOD);
  cr_assert_geq(partial, RUNNER_REPLY_MAX);
  cr_assert_lt(partial, RUNNER_REPLY_MAX + 16384);
  cr_assert_eq(f.res.entries[0].len, RUNNER_ENTRY_MAX, "the transcript keeps a bounded part");
  finish(&f, &p);
}

Test(wire_read, silence_times_out_within_the_bound) {
  struct peer p = {.stay_open = true};
  peer_start(&p);
  struct fixture f;
  connect_to(&f, &p);
  struct smtp_reply r;
  size_t used, partial;
  long start = clock_now_ms();
  cr_assert_eq(session_read_reply(&f.s, 300, &r, &used, &partial), READ_TIMEOUT);
  long took = clock_now_ms() - start;
  cr_assert(took >= 290 && took < 1500, "took %ld ms", took);
  finish(&f, &p);
}

Test(wire_read, a_close_in_the_middle_of_a_reply_keeps_the_partial_octets) {
  const char *half = "220-first\r\n220-sec";
  struct peer p = {.data = half, .len = strlen(half), .one_by_one = true};
  peer_start(&p);
  struct fixture f;
  connect_to(&f, &p);
  struct smtp_reply r;
  size_t used, partial;
  cr_assert_eq(session_read_reply(&f.s, 2000, &r, &used, &partial), READ_EOF);
  cr_assert_eq(partial, strlen(half));
  cr_assert_eq(f.res.nentries, 2, "the partial octets and a note");
  cr_assert_eq(f.res.entries[1].dir, '*');
  finish(&f, &p);
}
