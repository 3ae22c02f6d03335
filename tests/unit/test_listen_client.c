/* test_listen_client.c - one `smtpcheck listen` session driven as the poll loop drives it
 * (listen_client.h), over a socketpair: replies are held their delay, octets sent
 * meanwhile are early, the idle and session timeouts end a session, and a client that
 * closes is an end without QUIT. Timings are asserted only as lower bounds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "listen_client.h"

/* A session under test: the listener's side in c, the client's socket in peer. */
struct rig {
  struct listen_scenario sc;
  struct listen_net_limits lim;
  struct listen_client c;
  int peer;
  bool ended;
  char buf[4096]; /* the listener's read buffer */
  char got[2048]; /* what the client read and no expect consumed yet */
  size_t ngot;
};

/* rig_start - a session on the default scenario with the given delays and limits. */
static void rig_start(struct rig *r, long greeting_delay, long idle_ms, long session_ms) {
  memset(r, 0, sizeof *r);
  listen_scenario_default(&r->sc);
  r->sc.greeting_delay_ms = greeting_delay;
  r->lim = (struct listen_net_limits){
      .session_ms = session_ms, .idle_ms = idle_ms, .max_octets = 1u << 20};
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  r->peer = sv[1];
  struct listen_session_config cfg = {.scenario = &r->sc, .hostname = "mx.test"};
  cr_assert_eq(listen_client_start(&r->c, sv[0], NULL, &r->lim, &cfg), 0);
}

/* drive - run the session as listen_serve does until it ends or ms pass; true if ended. */
static bool drive(struct rig *r, long ms) {
  long stop = clock_now_ms() + ms;
  while (!r->ended) {
    long now = clock_now_ms();
    if (now >= stop)
      break;
    long wake = listen_client_wake(&r->c);
    long t = wake - now < stop - now ? wake - now : stop - now;
    struct pollfd p = {.fd = listen_client_fd(&r->c), .events = listen_client_events(&r->c)};
    int n = poll(&p, 1, t < 0 ? 0 : (int)t);
    r->ended = listen_client_step(&r->c, n > 0 ? p.revents : 0, r->buf, sizeof r->buf);
  }
  return r->ended;
}

/* await_reply - drive until what the client side read (r->got, kept across calls)
 * contains needle, at most ms. */
static bool await_reply(struct rig *r, const char *needle, long ms) {
  long stop = clock_now_ms() + ms;
  for (;;) {
    if (strstr(r->got, needle))
      return true;
    if (clock_now_ms() >= stop || r->ended)
      return false;
    drive(r, 5);
    ssize_t n = recv(r->peer, r->got + r->ngot, sizeof r->got - 1 - r->ngot, 0);
    if (n > 0)
      r->ngot += (size_t)n;
    r->got[r->ngot] = '\0';
  }
}

/* rig_end - drive the session to its end (within ms) and grade it. */
static void rig_end(struct rig *r, long ms) {
  cr_assert(drive(r, ms), "the session did not end within %ld ms", ms);
  listen_session_finish(&r->c.s);
}

/* rig_free - close both sides and free the engine. */
static void rig_free(struct rig *r) {
  listen_client_close(&r->c);
  close(r->peer);
}

/* say - the client sends text. */
static void say(struct rig *r, const char *text) {
  size_t n = strlen(text);
  cr_assert_eq(send(r->peer, text, n, 0), (ssize_t)n, "cannot send %s", text);
}

/* expect - the client reads until needle arrives, then consumes the line holding it. */
static void expect(struct rig *r, const char *needle) {
  cr_assert(await_reply(r, needle, 3000), "no [%s] within 3 s: [%s]", needle, r->got);
  char *end = strstr(strstr(r->got, needle), "\r\n");
  size_t used = end ? (size_t)(end + 2 - r->got) : r->ngot;
  memmove(r->got, r->got + used, r->ngot - used + 1);
  r->ngot -= used;
}

/* quit - QUIT, its 221, then the end of the session (graded). */
static void quit(struct rig *r) {
  say(r, "QUIT\r\n");
  expect(r, "221 ");
  rig_end(r, 3000);
}

/* transcript_has - a '*' note of the session contains text. */
static bool transcript_has(const struct listen_client *c, const char *text) {
  for (size_t i = 0; i < c->s.transcript.nentries; i++) {
    const struct transcript_entry *e = &c->s.transcript.entries[i];
    if (e->dir == '*' && memmem(e->data, e->len, text, strlen(text)))
      return true;
  }
  return false;
}

Test(listen_client, holds_the_greeting_its_delay_and_counts_a_command_sent_meanwhile_as_early) {
  struct rig r;
  rig_start(&r, 200, 5000, 10000);
  long t0 = clock_now_ms();
  say(&r, "EHLO early.test\r\n");
  expect(&r, "220 ");
  cr_assert_geq(clock_now_ms() - t0, 200, "the greeting came before its 200 ms delay");
  expect(&r, "250 ");
  quit(&r);
  cr_expect_eq(r.c.s.verdicts.v[LC_GREETING_WAIT], LV_FAIL);
  cr_expect_eq(r.c.s.verdicts.v[LC_QUIT_SENT], LV_PASS);
  cr_expect_eq(r.c.s.verdicts.v[LC_QUIT_WAIT], LV_PASS);
  rig_free(&r);
}

Test(listen_client, passes_a_client_that_waits_for_the_greeting) {
  struct rig r;
  rig_start(&r, 50, 5000, 10000);
  expect(&r, "220 ");
  say(&r, "EHLO patient.test\r\n");
  expect(&r, "250 ");
  quit(&r);
  cr_expect_eq(r.c.s.verdicts.v[LC_GREETING_WAIT], LV_PASS);
  rig_free(&r);
}

Test(listen_client, ends_a_silent_client_at_the_idle_timeout_without_quit) {
  struct rig r;
  rig_start(&r, 0, 300, 10000);
  expect(&r, "220 ");
  long t0 = clock_now_ms();
  rig_end(&r, 5000);
  cr_expect_geq(clock_now_ms() - t0, 250, "ended before the 300 ms idle timeout");
  cr_expect(transcript_has(&r.c, "idle timeout"));
  cr_expect_eq(r.c.s.verdicts.v[LC_QUIT_SENT], LV_FAIL);
  rig_free(&r);
}

Test(listen_client, ends_a_session_at_its_time_limit_even_if_the_client_keeps_talking) {
  struct rig r;
  rig_start(&r, 0, 5000, 600);
  expect(&r, "220 ");
  long t0 = clock_now_ms();
  for (int i = 0; i < 100 && !drive(&r, 50); i++) {
    (void)send(r.peer, "NOOP\r\n", 6, 0);
    (void)recv(r.peer, r.got, sizeof r.got - 1, 0);
  }
  cr_assert(r.ended, "the session outlived its limit");
  listen_session_finish(&r.c.s);
  cr_expect_geq(clock_now_ms() - t0, 500);
  cr_expect(transcript_has(&r.c, "session time limit"));
  rig_free(&r);
}

Test(listen_client, sees_a_client_that_closes_as_an_end_without_quit) {
  struct rig r;
  rig_start(&r, 0, 5000, 10000);
  expect(&r, "220 ");
  shutdown(r.peer, SHUT_WR);
  rig_end(&r, 3000);
  cr_expect(transcript_has(&r.c, "the client closed the connection"));
  cr_expect_eq(r.c.s.verdicts.v[LC_QUIT_SENT], LV_FAIL);
  rig_free(&r);
}

Test(listen_client, holds_a_reply_its_delay_and_the_last_line_of_a_multiline_one_longer) {
  struct rig r;
  rig_start(&r, 0, 5000, 10000);
  r.sc.reply_delay_ms = 150;
  r.sc.split_delay_ms = 200;
  expect(&r, "220 ");
  long t0 = clock_now_ms();
  say(&r, "EHLO x.test\r\n");
  expect(&r, "250-");
  long first = clock_now_ms() - t0;
  cr_expect_geq(first, 150, "the first part came after %ld ms, before the reply delay", first);
  cr_expect_null(strstr(r.got, "\r\n250 "), "the last line came with the first part: [%s]", r.got);
  expect(&r, "250 ");
  long last = clock_now_ms() - t0;
  cr_expect_geq(last, 350, "the last line came after %ld ms, before the split delay", last);
  quit(&r);
  cr_expect_eq(r.c.s.verdicts.v[LC_MULTILINE_WAIT], LV_PASS);
  rig_free(&r);
}
