/* test_client_auth_server.c - the client engine's AUTH (RFC 4954, PLAIN RFC 4616, LOGIN)
 * against the reference server engine, in process, for credentials of every length from
 * 0 to 300 octets: every base64 remainder and both sides of the 512-octet command line
 * limit (RFC 5321 4.5.3.1.4). Bytes move between the engines whole, one octet at a time
 * or in 7-octet pieces, each piece ending at a guard page. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_bytes.h"
#include "helper_guard.h"
#include "smtp/client.h"
#include "smtp/ext.h"
#include "smtp/line.h"
#include "smtp/server.h"

/* The longest credential the tests make. */
#define CRED_MAX 300

/* One client/server conversation and what each side saw. */
struct pair {
  char user[CRED_MAX + 1], pass[CRED_MAX + 1];
  size_t piece; /* octets moved per feed call */
  unsigned auth_calls;
  bool auth_matched; /* the server's hook got exactly the configured credentials */
  char mech[8];
  struct bytes sent; /* every octet the client wrote */
  size_t auth_line;  /* the length of the AUTH command line, CRLF included */
  size_t messages;
};

/* fill - n octets of a pattern that walks through every octet value but NUL. */
static void fill(char *out, size_t n, unsigned salt) {
  for (size_t i = 0; i < n; i++)
    out[i] = (char)(1 + (i * 37 + salt * 11) % 255);
  out[n] = '\0';
}

/* on_auth - the server's AUTH hook: accept exactly the configured credentials. */
static enum smtp_hook_status on_auth(void *ctx, const char *mechanism, const char *user,
                                     size_t user_len, const char *pass, size_t pass_len,
                                     struct smtp_hook_reply *reply) {
  struct pair *p = ctx;
  (void)reply;
  p->auth_calls++;
  snprintf(p->mech, sizeof p->mech, "%s", mechanism);
  p->auth_matched = user_len == strlen(p->user) && memcmp(user, p->user, user_len) == 0 &&
                    pass_len == strlen(p->pass) && memcmp(pass, p->pass, pass_len) == 0;
  return p->auth_matched ? SMTP_HOOK_ACCEPT : SMTP_HOOK_REJECT;
}

/* on_data_end - the message arrived. */
static enum smtp_hook_status on_data_end(void *ctx, unsigned defects,
                                         struct smtp_hook_reply *reply) {
  struct pair *p = ctx;
  (void)defects;
  (void)reply;
  p->messages++;
  return SMTP_HOOK_ACCEPT;
}

/* auth_line - the length of the first line that begins "AUTH ", CRLF counted; 0 if none. */
static size_t auth_line(const char *s) {
  const char *a = strstr(s, "AUTH ");
  const char *end = a != NULL ? strstr(a, "\r\n") : NULL;
  return end != NULL ? (size_t)(end + 2 - a) : 0;
}

/* move_client - client output into the server, in pieces. */
static bool move_client(struct pair *p, struct smtp_client *c, struct smtp_server *s) {
  size_t n;
  const char *out = smtp_client_output(c, &n);
  if (n == 0 || smtp_server_state(s) != SMTP_SERVER_RUNNING)
    return false;
  size_t k = n < p->piece ? n : p->piece;
  const char *in = guard_copy(out, k);
  size_t used = smtp_server_feed(s, in, k);
  bytes_add(&p->sent, out, used);
  smtp_client_output_done(c, used);
  return used > 0;
}

/* move_server - server output into the client, in pieces. */
static bool move_server(struct pair *p, struct smtp_server *s, struct smtp_client *c) {
  size_t n;
  const char *out = smtp_server_output(s, &n);
  if (n == 0 || smtp_client_state(c) != SMTP_CLIENT_RUNNING)
    return false;
  size_t k = n < p->piece ? n : p->piece;
  const char *in = guard_copy(out, k);
  size_t used = smtp_client_feed(c, in, k);
  smtp_server_output_done(s, used);
  return used > 0;
}

/* converse - run one session between the engines until neither side moves. */
static struct smtp_client_result converse(struct pair *p, const char *mechs, bool prefer_login) {
  static const char *const rcpts[] = {"bob@example.org"};
  struct smtp_server_config scfg = {.hostname = "mx.example",
                                    .extensions = SMTP_EXT_AUTH | SMTP_EXT_PIPELINING,
                                    .auth_mechanisms = mechs};
  struct smtp_server_hooks hooks = {.auth = on_auth, .data_end = on_data_end};
  struct smtp_client_config ccfg = {.ehlo = "client.example",
                                    .auth_user = p->user,
                                    .auth_pass = p->pass,
                                    .prefer_login = prefer_login};
  struct smtp_client_message m = {.from = "alice@example.com",
                                  .rcpts = rcpts,
                                  .nrcpts = 1,
                                  .content = "hi\r\n",
                                  .content_len = 4};
  struct smtp_server *s = smtp_server_new(&scfg, &hooks, p, false);
  struct smtp_client *c = smtp_client_new(&ccfg, &m, 1, NULL, NULL);
  cr_assert_not_null(s);
  cr_assert_not_null(c);
  bytes_free(&p->sent);
  bool moved = true;
  for (int round = 0; moved && round < 100000; round++) {
    moved = move_client(p, c, s);
    moved = move_server(p, s, c) || moved;
  }
  cr_assert_not(moved, "the engines were still talking after 100000 rounds");
  if (smtp_server_state(s) == SMTP_SERVER_CLOSING)
    smtp_client_eof(c);
  cr_assert_eq(smtp_client_state(c), SMTP_CLIENT_DONE, "client ended in state %d: %s",
               smtp_client_state(c), smtp_client_error(c));
  struct smtp_client_result res = *smtp_client_result(c, 0);
  p->auth_line = auth_line(p->sent.p);
  smtp_client_free(c);
  smtp_server_free(s);
  guard_free_all();
  return res;
}

/* b64_len - RFC 4648 4: padded base64 length of n octets. */
static size_t b64_len(size_t n) {
  return (n + 2) / 3 * 4;
}

/* check_length - one credential length pair, with one mechanism list; piece cycles. */
static void check_length(struct pair *p, size_t ulen, size_t plen, const char *mechs,
                         bool prefer_login, const char *want_mech) {
  fill(p->user, ulen, 1);
  fill(p->pass, plen, 2);
  p->auth_calls = 0;
  p->auth_matched = false;
  p->messages = 0;
  struct smtp_client_result res = converse(p, mechs, prefer_login);
  cr_assert_eq(p->auth_calls, 1, "user %zu, pass %zu octets: %u AUTH hook calls", ulen, plen,
               p->auth_calls);
  cr_assert(p->auth_matched, "user %zu, pass %zu octets (%s): the server decoded other credentials",
            ulen, plen, mechs);
  cr_assert_str_eq(p->mech, want_mech);
  cr_assert_eq(res.failed_step, SMTP_STEP_DONE, "user %zu, pass %zu: failed at %s with %d", ulen,
               plen, smtp_step_name(res.failed_step), res.final_code);
  cr_assert_eq(p->messages, 1);
  /* RFC 5321 4.5.3.1.4, RFC 4954 4: the AUTH command is at most 512 octets, CRLF included
   * (response lines may be longer: the server takes 12288). */
  cr_assert_gt(p->auth_line, 0);
  cr_assert_leq(p->auth_line, SMTP_COMMAND_LINE_MAX, "user %zu, pass %zu: a %zu-octet AUTH line",
                ulen, plen, p->auth_line);
}

/* pieces - whole, one octet, seven octets: in turn by length. */
static size_t pieces(size_t i) {
  static const size_t k[] = {(size_t)-1, 1, 7};
  return k[i % 3];
}

Test(client_auth_server, plain_authenticates_for_every_credential_length_from_1_to_300) {
  struct pair p = {0};
  for (size_t len = 1; len <= CRED_MAX; len++) {
    p.piece = pieces(len);
    /* The password's length jumps, so both remainders mod 3 and lines longer and shorter
     * than 512 octets come in turn. */
    check_length(&p, len, (len * 7) % CRED_MAX + 1, "PLAIN", false, "PLAIN");
  }
  bytes_free(&p.sent);
}

Test(client_auth_server, login_authenticates_for_every_credential_length_from_1_to_300) {
  struct pair p = {0};
  for (size_t len = 1; len <= CRED_MAX; len++) {
    p.piece = pieces(len + 1);
    /* The password's length walks the other way, so both remainders mod 3 vary. */
    check_length(&p, len, CRED_MAX + 1 - len, "PLAIN LOGIN", true, "LOGIN");
  }
  bytes_free(&p.sent);
}

Test(client_auth_server, plain_leaves_out_the_initial_response_exactly_when_it_would_pass_512) {
  struct pair p = {.piece = (size_t)-1};
  for (size_t total = 300; total <= 2 * CRED_MAX; total++) {
    size_t ulen = total / 2, plen = total - ulen;
    check_length(&p, ulen, plen, "PLAIN LOGIN", false, "PLAIN");
    /* RFC 4954 4: "AUTH PLAIN " + base64 of NUL user NUL pass + CRLF. */
    bool fits = 11 + b64_len(2 + total) + 2 <= SMTP_COMMAND_LINE_MAX;
    bool bare = strstr(p.sent.p, "AUTH PLAIN\r\n") != NULL;
    cr_assert_eq(bare, !fits, "%zu octets of credentials: initial response %s", total,
                 bare ? "left out" : "sent");
  }
  bytes_free(&p.sent);
}

Test(client_auth_server, sends_the_longest_initial_response_that_fits_in_one_command_line) {
  /* 2 + 370 octets encode to 496 characters: "AUTH PLAIN " + 496 + CRLF = 509 octets. */
  struct pair p = {.piece = 1};
  check_length(&p, 185, 185, "PLAIN", false, "PLAIN");
  cr_assert_eq(p.auth_line, 509);
  cr_assert_null(strstr(p.sent.p, "AUTH PLAIN\r\n"));
  bytes_free(&p.sent);
}

Test(client_auth_server, prefers_plain_when_both_are_offered_unless_told_otherwise) {
  struct pair p = {.piece = 7};
  check_length(&p, 4, 4, "LOGIN PLAIN", false, "PLAIN");
  check_length(&p, 4, 4, "LOGIN PLAIN", true, "LOGIN");
  check_length(&p, 4, 4, "PLAIN", true, "PLAIN"); /* LOGIN preferred but not offered */
  bytes_free(&p.sent);
}
