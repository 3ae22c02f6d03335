/* test_listen.c - the listen engine (sans I/O) and its scenario format: each client
 * conversation is fed whole and again one octet at a time, and must grade the same. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "listen_scenario.h"
#include "listen_session.h"

/* A conversation step: octets the client sends, or "deliver every pending reply". */
struct step {
  const char *send; /* NULL: write out the pending reply (the client read it) */
};

/* feed - send s->send whole, or one octet at a time. */
static void feed(struct listen_session *s, const char *p, bool bytewise) {
  size_t n = strlen(p);
  if (!bytewise) {
    listen_session_feed(s, p, n);
    return;
  }
  for (size_t i = 0; i < n; i++)
    listen_session_feed(s, p + i, 1);
}

/* deliver - write every pending chunk (as the I/O loop does after the delays). */
static void deliver(struct listen_session *s, struct sbuf *seen) {
  const char *p;
  size_t n;
  long delay;
  int guard = 0;
  while (listen_session_chunk(s, &p, &n, &delay) && guard++ < 1000) {
    if (seen)
      sbuf_append(seen, p, n);
    if (listen_session_chunk_written(s) != LW_READ)
      break;
  }
}

/* converse - run steps against a session on scenario sc; the replies seen go to out. */
static void converse(struct listen_session *s, const struct listen_scenario *sc,
                     const struct step *steps, size_t n, bool bytewise, struct sbuf *out) {
  struct listen_session_config cfg = {.scenario = sc, .hostname = "mx.test"};
  listen_session_init(s, &cfg);
  for (size_t i = 0; i < n; i++) {
    if (steps[i].send)
      feed(s, steps[i].send, bytewise);
    else
      deliver(s, out);
  }
  if (s->state != LS_CLOSED)
    listen_session_eof(s, NULL);
  listen_session_finish(s);
}

/* verdict - run the conversation both ways and require the same verdict for check c. */
static enum listen_verdict verdict(const struct listen_scenario *sc, const struct step *steps,
                                   size_t n, enum listen_check c) {
  struct listen_session a, b;
  converse(&a, sc, steps, n, false, NULL);
  converse(&b, sc, steps, n, true, NULL);
  cr_assert_eq(a.verdicts.v[c], b.verdicts.v[c], "%s: whole %d, bytewise %d (%s / %s)",
               listen_check_info(c)->id, a.verdicts.v[c], b.verdicts.v[c], a.verdicts.reason[c],
               b.verdicts.reason[c]);
  enum listen_verdict v = a.verdicts.v[c];
  listen_session_free(&a);
  listen_session_free(&b);
  return v;
}

#define R                                                                                          \
  { NULL }
#define S(x)                                                                                       \
  { x }
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct listen_scenario sc;

/* setup - the default scenario before every test. */
static void setup(void) {
  listen_scenario_default(&sc);
}

TestSuite(listen, .init = setup);

static const struct step polite[] = {R, S("EHLO client.example\r\n"),
                                     R, S("MAIL FROM:<a@b.example>\r\n"),
                                     R, S("RCPT TO:<c@d.example>\r\n"),
                                     R, S("DATA\r\n"),
                                     R, S("Subject: x\r\n\r\n..dot line\r\nbody\r\n.\r\n"),
                                     R, S("QUIT\r\n"),
                                     R};

Test(listen, a_polite_client_passes_every_check_it_exercises) {
  struct listen_session s;
  converse(&s, &sc, polite, N(polite), false, NULL);
  for (int c = 0; c < LC_COUNT; c++)
    cr_expect_neq(s.verdicts.v[c], LV_FAIL, "%s failed: %s", listen_check_info(c)->id,
                  s.verdicts.reason[c]);
  cr_expect_eq(s.verdicts.v[LC_DOT_STUFFING], LV_PASS);
  cr_expect_eq(s.verdicts.v[LC_QUIT_WAIT], LV_PASS);
  cr_expect_eq(s.messages, 1);
  listen_session_free(&s);
}

Test(listen, a_polite_client_grades_the_same_fed_one_octet_at_a_time) {
  for (int c = 0; c < LC_COUNT; c++)
    verdict(&sc, polite, N(polite), (enum listen_check)c);
}

Test(listen, a_command_before_the_greeting_fails_greeting_wait) {
  const struct step st[] = {S("EHLO x.example\r\n"), R, R, S("QUIT\r\n"), R};
  cr_expect_eq(verdict(&sc, st, N(st), LC_GREETING_WAIT), LV_FAIL);
}

Test(listen, mail_and_rcpt_in_one_write_pass_when_pipelining_is_offered) {
  const struct step st[] = {
      R, S("EHLO x.example\r\n"), R, S("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"), R,
      R, S("QUIT\r\n"),           R};
  cr_expect_neq(verdict(&sc, st, N(st), LC_PIPELINING_GROUPS), LV_FAIL);
  cr_expect_neq(verdict(&sc, st, N(st), LC_PIPELINING_OFFERED), LV_FAIL);
}

Test(listen, mail_and_rcpt_in_one_write_fail_without_pipelining) {
  char err[256];
  cr_assert_eq(listen_scenario_parse("t.scn", "no-offer PIPELINING\n", 20, &sc, err, sizeof err), 0,
               "%s", err);
  const struct step st[] = {
      R, S("EHLO x.example\r\n"), R, S("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"), R,
      R, S("QUIT\r\n"),           R};
  cr_expect_eq(verdict(&sc, st, N(st), LC_PIPELINING_OFFERED), LV_FAIL);
}

Test(listen, a_command_after_ehlo_in_the_same_write_breaks_the_pipelining_groups) {
  const struct step st[] = {
      R, S("EHLO x.example\r\nMAIL FROM:<a@b.example>\r\n"), R, R, S("QUIT\r\n"), R};
  cr_expect_eq(verdict(&sc, st, N(st), LC_PIPELINING_GROUPS), LV_FAIL);
}

Test(listen, message_content_before_the_354_breaks_the_pipelining_groups) {
  const struct step st[] = {R,
                            S("EHLO x.example\r\n"),
                            R,
                            S("MAIL FROM:<a@b.example>\r\n"),
                            R,
                            S("RCPT TO:<c@d.example>\r\n"),
                            R,
                            S("DATA\r\nSubject: x\r\n.\r\n"),
                            R,
                            R,
                            S("QUIT\r\n"),
                            R};
  cr_expect_eq(verdict(&sc, st, N(st), LC_PIPELINING_GROUPS), LV_FAIL);
}

/* The end of the message followed by QUIT in one write, as Postfix's smtp client sends it. */
static const struct step quit_after_dot[] = {R, S("EHLO x.example\r\n"),
                                             R, S("MAIL FROM:<a@b.example>\r\n"),
                                             R, S("RCPT TO:<c@d.example>\r\n"),
                                             R, S("DATA\r\n"),
                                             R, S("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n"),
                                             R};

Test(listen, quit_right_after_the_end_of_data_is_allowed_with_pipelining) {
  /* RFC 2920 section 4's own example sends "." and QUIT (or the next MAIL) together. */
  cr_expect_eq(verdict(&sc, quit_after_dot, N(quit_after_dot), LC_PIPELINING_GROUPS), LV_PASS);
  cr_expect_neq(verdict(&sc, quit_after_dot, N(quit_after_dot), LC_PIPELINING_OFFERED), LV_FAIL);
}

Test(listen, quit_right_after_the_end_of_data_fails_without_pipelining) {
  char err[256];
  cr_assert_eq(listen_scenario_parse("t.scn", "no-offer PIPELINING\n", 20, &sc, err, sizeof err), 0,
               "%s", err);
  cr_expect_eq(verdict(&sc, quit_after_dot, N(quit_after_dot), LC_PIPELINING_OFFERED), LV_FAIL);
}

Test(listen, a_line_sent_inside_a_split_multiline_reply_fails_multiline_read) {
  struct listen_session s;
  struct listen_session_config cfg = {.scenario = &sc, .hostname = "mx.test"};
  listen_session_init(&s, &cfg);
  deliver(&s, NULL);
  feed(&s, "EHLO x.example\r\n", false);
  const char *p;
  size_t n;
  long delay;
  cr_assert(listen_session_chunk(&s, &p, &n, &delay));
  cr_expect_eq(delay, sc.reply_delay_ms);
  cr_assert_eq(listen_session_chunk_written(&s), LW_READ); /* all but the last line */
  cr_assert(listen_session_chunk(&s, &p, &n, &delay));
  cr_expect_eq(delay, sc.split_delay_ms);
  cr_expect(n > 4 && !memcmp(p, "250 ", 4), "the second chunk is the last line");
  feed(&s, "MAIL FROM:<a@b.example>\r\n", false);
  listen_session_chunk_written(&s);
  deliver(&s, NULL);
  listen_session_eof(&s, NULL);
  cr_expect_eq(s.verdicts.v[LC_MULTILINE_WAIT], LV_FAIL, "%s",
               s.verdicts.reason[LC_MULTILINE_WAIT]);
  listen_session_free(&s);
}

Test(listen, bare_lf_in_commands_and_data_is_seen_and_still_framed) {
  const struct step st[] = {R, S("EHLO x.example\n"),
                            R, S("MAIL FROM:<a@b.example>\r\n"),
                            R, S("RCPT TO:<c@d.example>\r\n"),
                            R, S("DATA\r\n"),
                            R, S("a\nb\r\n.\r\n"),
                            R, S("QUIT\r\n"),
                            R};
  cr_expect_eq(verdict(&sc, st, N(st), LC_COMMAND_CRLF), LV_FAIL);
  cr_expect_eq(verdict(&sc, st, N(st), LC_DATA_CRLF), LV_FAIL);
  cr_expect_eq(verdict(&sc, st, N(st), LC_QUIT_SENT), LV_PASS);
}

Test(listen, an_unstuffed_leading_dot_fails_dot_stuffing) {
  const struct step st[] = {R, S("EHLO x.example\r\n"),        R, S("MAIL FROM:<a@b.example>\r\n"),
                            R, S("RCPT TO:<c@d.example>\r\n"), R, S("DATA\r\n"),
                            R, S(".hidden\r\n.\r\n"),          R, S("QUIT\r\n"),
                            R};
  cr_expect_eq(verdict(&sc, st, N(st), LC_DOT_STUFFING), LV_FAIL);
}

Test(listen, over_long_lines_fail_the_length_checks) {
  static char cmd[700], data[1200];
  memset(cmd, 'x', sizeof cmd - 3);
  memcpy(cmd, "NOOP ", 5);
  memcpy(cmd + sizeof cmd - 3, "\r\n", 3);
  memset(data, 'y', sizeof data - 3);
  memcpy(data + sizeof data - 3, "\r\n", 3);
  const struct step st[] = {R,
                            S("EHLO x.example\r\n"),
                            R,
                            S(cmd),
                            R,
                            S("MAIL FROM:<a@b.example>\r\n"),
                            R,
                            S("RCPT TO:<c@d.example>\r\n"),
                            R,
                            S("DATA\r\n"),
                            R,
                            S(data),
                            S(".\r\n"),
                            R,
                            S("QUIT\r\n"),
                            R};
  cr_expect_eq(verdict(&sc, st, N(st), LC_COMMAND_LENGTH), LV_FAIL);
  cr_expect_eq(verdict(&sc, st, N(st), LC_DATA_LINE_LENGTH), LV_FAIL);
}

Test(listen, rcpt_after_a_refused_mail_fails_only_when_sent_after_the_refusal) {
  char err[256];
  const char *text = "reply MAIL 1 550 5.7.1 no\n";
  cr_assert_eq(listen_scenario_parse("t.scn", text, strlen(text), &sc, err, sizeof err), 0);
  const struct step waited[] = {
      R, S("EHLO x.example\r\n"),        R, S("MAIL FROM:<a@b.example>\r\n"),
      R, S("RCPT TO:<c@d.example>\r\n"), R, S("QUIT\r\n"),
      R};
  cr_expect_eq(verdict(&sc, waited, N(waited), LC_MAIL_REFUSED), LV_FAIL);
  const struct step piped[] = {
      R, S("EHLO x.example\r\n"), R, S("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"), R,
      R, S("QUIT\r\n"),           R};
  cr_expect_neq(verdict(&sc, piped, N(piped), LC_MAIL_REFUSED), LV_FAIL);
}

Test(listen, content_after_a_refused_data_fails_data_refused) {
  char err[256];
  const char *text = "reply DATA * 554 5.3.0 no\n";
  cr_assert_eq(listen_scenario_parse("t.scn", text, strlen(text), &sc, err, sizeof err), 0);
  const struct step st[] = {R, S("EHLO x.example\r\n"),
                            R, S("MAIL FROM:<a@b.example>\r\n"),
                            R, S("RCPT TO:<c@d.example>\r\n"),
                            R, S("DATA\r\n"),
                            R, S("Subject: x\r\n"),
                            R, S("QUIT\r\n"),
                            R};
  cr_expect_eq(verdict(&sc, st, N(st), LC_DATA_REFUSED), LV_FAIL);
}

Test(listen, a_554_greeting_expects_only_quit) {
  char err[256];
  const char *text = "greeting 554 5.7.1 go away\n";
  cr_assert_eq(listen_scenario_parse("t.scn", text, strlen(text), &sc, err, sizeof err), 0);
  const struct step quit[] = {R, S("QUIT\r\n"), R};
  cr_expect_eq(verdict(&sc, quit, N(quit), LC_GREETING_554), LV_PASS);
  const struct step ehlo[] = {R, S("EHLO x.example\r\n"), R, S("QUIT\r\n"), R};
  cr_expect_eq(verdict(&sc, ehlo, N(ehlo), LC_GREETING_554), LV_FAIL);
}

Test(listen, a_421_greeting_closes_and_leaves_quit_unexercised) {
  char err[256];
  const char *text = "greeting 421 4.3.2 busy\n";
  cr_assert_eq(listen_scenario_parse("t.scn", text, strlen(text), &sc, err, sizeof err), 0);
  struct listen_session s;
  struct listen_session_config cfg = {.scenario = &sc, .hostname = "mx.test"};
  listen_session_init(&s, &cfg);
  const char *p;
  size_t n;
  long delay;
  cr_assert(listen_session_chunk(&s, &p, &n, &delay));
  cr_expect(n > 4 && !memcmp(p, "421 ", 4));
  cr_expect_eq(listen_session_chunk_written(&s), LW_CLOSE);
  listen_session_finish(&s);
  cr_expect_eq(s.verdicts.v[LC_QUIT_SENT], LV_UNSEEN);
  listen_session_free(&s);
}

Test(listen, auth_over_plaintext_fails_no_auth_in_clear) {
  char err[256];
  const char *text = "offer AUTH PLAIN\n";
  cr_assert_eq(listen_scenario_parse("t.scn", text, strlen(text), &sc, err, sizeof err), 0);
  const struct step st[] = {R, S("EHLO x.example\r\n"), R, S("AUTH PLAIN AHUAcA==\r\n"),
                            R, S("QUIT\r\n"),           R};
  cr_expect_eq(verdict(&sc, st, N(st), LC_AUTH_CLEAR), LV_FAIL);
  cr_expect_eq(verdict(&sc, st, N(st), LC_EXT_OFFERED), LV_PASS);
}

Test(listen, starttls_hands_over_and_the_first_command_after_tls_must_be_ehlo) {
  struct listen_session s;
  struct listen_session_config cfg = {
      .scenario = &sc, .hostname = "mx.test", .tls_available = true};
  listen_session_init(&s, &cfg);
  deliver(&s, NULL);
  feed(&s, "EHLO x.example\r\n", false);
  deliver(&s, NULL);
  cr_assert_eq(listen_session_feed(&s, "STARTTLS\r\n", 10), LW_READ);
  const char *p;
  size_t n;
  long delay;
  cr_assert(listen_session_chunk(&s, &p, &n, &delay));
  cr_expect(!memcmp(p, "220 ", 4));
  cr_assert_eq(listen_session_chunk_written(&s), LW_TLS);
  cr_assert_eq(listen_session_tls_done(&s, true, "test"), LW_READ);
  feed(&s, "MAIL FROM:<a@b.example>\r\n", false);
  deliver(&s, NULL);
  listen_session_eof(&s, NULL);
  cr_expect_eq(s.verdicts.v[LC_EHLO_AFTER_TLS], LV_FAIL);
  cr_expect_eq(s.verdicts.v[LC_HELLO_FIRST], LV_FAIL, "MAIL needs a new EHLO under TLS");
  listen_session_free(&s);
}

Test(listen, a_flood_without_line_ends_is_bounded) {
  struct listen_session s;
  struct listen_session_config cfg = {.scenario = &sc, .hostname = "mx.test"};
  listen_session_init(&s, &cfg);
  deliver(&s, NULL);
  static char junk[4096];
  memset(junk, 'z', sizeof junk);
  for (int i = 0; i < 64 && s.state != LS_CLOSED; i++)
    listen_session_feed(&s, junk, sizeof junk);
  cr_expect(s.in.len <= LISTEN_LINE_HARD_MAX + sizeof junk, "buffered %zu", s.in.len);
  listen_session_eof(&s, NULL);
  cr_expect_eq(s.verdicts.v[LC_COMMAND_LENGTH], LV_FAIL);
  listen_session_free(&s);
}

/* One scenario parse vector: text, whether it parses, a piece of the error. */
struct scn_vector {
  const char *text;
  bool ok;
  const char *err;
};

Test(listen_scenario, directives_parse_and_errors_name_the_line) {
  static const struct scn_vector v[] = {
      {"# comment\n\ngreeting 421 4.3.2 busy\n", true, NULL},
      {"reply RCPT 3 452 4.5.3 too many\n", true, NULL},
      {"reply DATA-END * 554\n", true, NULL},
      {"offer AUTH PLAIN LOGIN\r\nno-offer STARTTLS\n", true, NULL},
      {"split-delay 250\nreply-delay 0\ngreeting-delay 1000\n", true, NULL},
      {"reply RCPT three 452\n", false, "t.scn:1: reply needs a count"},
      {"reply FOO 1 250\n", false, "unknown point 'FOO'"},
      {"reply MAIL 1 99\n", false, "code from 200 to 599"},
      {"\nfrobnicate\n", false, "t.scn:2: unknown directive"},
      {"offer BAD/KW\n", false, "not an EHLO keyword"},
      {"split-delay 99999999\n", false, "a delay is milliseconds"},
      {"quit-delay 1000\n", true, NULL},
      {"quit-delay soon\n", false, "t.scn:1: a delay is milliseconds"},
      {"reply MAIL 1 250 tab\there\n", false, "not printable ASCII"},
  };
  for (size_t i = 0; i < N(v); i++) {
    struct listen_scenario s;
    char err[256] = "";
    listen_scenario_default(&s);
    int rc = listen_scenario_parse("t.scn", v[i].text, strlen(v[i].text), &s, err, sizeof err);
    cr_expect_eq(rc == 0, v[i].ok, "vector %zu: rc %d err '%s'", i, rc, err);
    if (v[i].err)
      cr_expect(strstr(err, v[i].err) != NULL, "vector %zu: '%s' lacks '%s'", i, err, v[i].err);
  }
}

/* pending_delay - the delay of the chunk the session would write next (-1: none). */
static long pending_delay(const struct listen_session *s) {
  const char *p;
  size_t n;
  long delay = -1;
  return listen_session_chunk(s, &p, &n, &delay) ? delay : -1;
}

Test(listen, quit_delay_holds_only_the_reply_to_quit) {
  char err[256];
  const char *text = "quit-delay 900\nreply-delay 30\n";
  cr_assert_eq(listen_scenario_parse("t.scn", text, strlen(text), &sc, err, sizeof err), 0, "%s",
               err);
  struct listen_session s;
  struct listen_session_config cfg = {.scenario = &sc, .hostname = "mx.test"};
  listen_session_init(&s, &cfg);
  deliver(&s, NULL);
  feed(&s, "EHLO x.example\r\n", false);
  cr_expect_eq(pending_delay(&s), 30, "the reply to EHLO");
  deliver(&s, NULL);
  feed(&s, "NOOP\r\n", false);
  cr_expect_eq(pending_delay(&s), 30, "the reply to NOOP");
  deliver(&s, NULL);
  feed(&s, "QUIT\r\n", false);
  cr_expect_eq(pending_delay(&s), 900, "the reply to QUIT");
  listen_session_free(&s);
}

Test(listen, without_quit_delay_the_reply_to_quit_waits_the_reply_delay) {
  struct listen_session s;
  struct listen_session_config cfg = {.scenario = &sc, .hostname = "mx.test"};
  listen_session_init(&s, &cfg);
  deliver(&s, NULL);
  feed(&s, "QUIT\r\n", false);
  cr_expect_eq(pending_delay(&s), 20);
  listen_session_free(&s);
}

Test(listen_scenario, a_counted_rule_wins_over_an_every_time_rule) {
  struct listen_scenario s;
  char err[256];
  const char *text = "reply RCPT * 250 ok\nreply RCPT 3 452 4.5.3 too many\\nsecond line\n";
  listen_scenario_default(&s);
  cr_assert_eq(listen_scenario_parse("t.scn", text, strlen(text), &s, err, sizeof err), 0);
  cr_expect_eq(listen_scenario_rule(&s, LP_RCPT, 1)->code, 250);
  const struct listen_rule *r = listen_scenario_rule(&s, LP_RCPT, 3);
  cr_expect_eq(r->code, 452);
  cr_expect_str_eq(r->text, "4.5.3 too many\nsecond line");
  cr_expect_null(listen_scenario_rule(&s, LP_MAIL, 1));
}

Test(listen_scenario, offers_can_be_added_replaced_and_removed) {
  struct listen_scenario s;
  char err[256];
  const char *text = "offer size 1000\nno-offer PIPELINING\noffer CHUNKING\n";
  listen_scenario_default(&s);
  cr_assert_eq(listen_scenario_parse("t.scn", text, strlen(text), &s, err, sizeof err), 0);
  cr_expect(!listen_scenario_offers(&s, "PIPELINING"));
  cr_expect(listen_scenario_offers(&s, "chunking"));
  for (size_t i = 0; i < s.noffers; i++)
    if (!strcmp(s.offers[i].keyword, "SIZE"))
      cr_expect_str_eq(s.offers[i].params, "1000");
}
