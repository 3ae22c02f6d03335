/* gen_target.c - whole inputs per target, built from the grammar pieces. */
#include "gen_target.h"

#include <string.h>

#include "gen_content.h"
#include "gen_grammar.h"
#include "gen_reply.h"
#include "gen_session.h"

#define GEN_T_NAME(e, name) name,
static const char *const gen_target_names[GEN_T_COUNT] = {GEN_TARGETS(GEN_T_NAME)};
#undef GEN_T_NAME

/* gen_target_name - by index. */
const char *gen_target_name(enum gen_target t) {
  return (unsigned)t < GEN_T_COUNT ? gen_target_names[t] : NULL;
}

/* gen_target_from_name - reverse lookup. */
int gen_target_from_name(const char *name) {
  for (int i = 0; i < GEN_T_COUNT; i++)
    if (strcmp(name, gen_target_names[i]) == 0)
      return i;
  return -1;
}

/* gen_line - one command with CRLF (sometimes a bare LF ending as a near miss). */
static void gen_line(struct gen_rand *r, struct gen_buf *b, const char *verb, unsigned flags) {
  int v = verb != NULL ? gen_verb_index(verb, strlen(verb)) : -1;
  if (v >= 0)
    gen_command_verb(r, b, (unsigned)v, flags);
  else
    gen_command(r, b, flags);
  gen_buf_puts(b, (flags & GEN_NEAR_MISS) && gen_rand_chance(r, 4) ? "\n" : "\r\n");
}

/* gen_auth_exchange - AUTH with its continuation lines (RFC 4954 4). */
static void gen_auth_exchange(struct gen_rand *r, struct gen_buf *b) {
  switch (gen_rand_below(r, 4)) {
  case 0:
    gen_buf_puts(b, "AUTH PLAIN AHVzZXIAcGFzcw==\r\n");
    break;
  case 1:
    gen_buf_puts(b, "AUTH PLAIN\r\nAHVzZXIAcGFzcw==\r\n");
    break;
  case 2:
    gen_buf_puts(b, "AUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\n");
    break;
  default:
    gen_buf_puts(b, gen_rand_chance(r, 50) ? "AUTH LOGIN\r\n*\r\n" : "AUTH PLAIN\r\n!!\r\n");
  }
}

/* gen_transaction - MAIL, RCPTs, then DATA or BDAT chunks. */
static void gen_transaction(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  gen_line(r, b, "MAIL", flags);
  size_t n = gen_rand_range(r, 1, 3);
  for (size_t i = 0; i < n; i++)
    gen_line(r, b, "RCPT", flags);
  if (gen_rand_chance(r, 70)) {
    gen_buf_puts(b, "DATA\r\n");
    gen_data_stream(r, b, flags);
    return;
  }
  /* RFC 3030: BDAT n [LAST] followed by exactly n octets. */
  size_t chunks = gen_rand_range(r, 1, 3);
  for (size_t i = 0; i < chunks; i++) {
    struct gen_buf c = {0};
    gen_content(r, &c, flags);
    bool last = i + 1 == chunks;
    size_t claimed = c.sb.len;
    if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 10))
      claimed = c.sb.len + gen_rand_range(r, 1, 5) - 3; /* the count does not match */
    gen_buf_printf(b, "BDAT %zu%s\r\n", claimed, last ? " LAST" : "");
    gen_buf_put(b, c.sb.p, c.sb.len);
    gen_buf_free(&c);
  }
}

/* gen_server_conversation - greeting-to-QUIT client side, with the detours. */
void gen_server_conversation(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  gen_buf_puts(b, gen_rand_chance(r, 85) ? "EHLO client.example\r\n" : "HELO client.example\r\n");
  if (gen_rand_chance(r, 25)) {
    /* RFC 3207: pipelined commands after STARTTLS must be discarded (CVE-2011-0411). */
    gen_buf_puts(b, gen_rand_chance(r, 30) ? "STARTTLS\r\nRSET\r\n" : "STARTTLS\r\n");
    gen_buf_puts(b, "EHLO client.example\r\n");
  }
  if (gen_rand_chance(r, 30))
    gen_auth_exchange(r, b);
  size_t steps = gen_rand_range(r, 1, 4);
  for (size_t i = 0; i < steps; i++) {
    switch (gen_rand_below(r, 6)) {
    case 0:
    case 1:
    case 2:
      gen_transaction(r, b, flags);
      break;
    case 3:
      gen_line(r, b, NULL, flags);
      break;
    case 4:
      gen_buf_puts(b, GEN_PICK(r, ((const char *const[]){"RSET\r\n", "NOOP\r\n", "HELP\r\n",
                                                         "VRFY postmaster\r\n"})));
      break;
    default:
      gen_line(r, b, NULL, flags | GEN_NEAR_MISS);
    }
  }
  if (gen_rand_chance(r, 80))
    gen_buf_puts(b, "QUIT\r\n");
  if ((flags & GEN_NEAR_MISS) && gen_rand_chance(r, 20))
    gen_buf_puts(b, "NOOP after QUIT\r\n");
}

/* gen_server_session - controls then the conversation. */
static void gen_server_session(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  unsigned char ctl[GEN_SRV_READS + 6];
  size_t n = GEN_SRV_READS;
  ctl[GEN_SRV_OPTS] = (unsigned char)(gen_rand_chance(r, 30) ? gen_rand_below(r, 16) : 0);
  ctl[GEN_SRV_EXT_A] = (unsigned char)(gen_rand_chance(r, 20) ? gen_rand_below(r, 16) : 0);
  ctl[GEN_SRV_EXT_B] = (unsigned char)(gen_rand_chance(r, 20) ? gen_rand_below(r, 16) : 0);
  ctl[GEN_SRV_EXT_C] = (unsigned char)(gen_rand_chance(r, 20) ? gen_rand_below(r, 16) : 0);
  for (size_t i = 0; i < GEN_SRV_HOOK_FIELDS; i++)
    ctl[GEN_SRV_HOOKS + i] = (unsigned char)(gen_rand_chance(r, 60) ? 0 : gen_rand_below(r, 16));
  size_t reads = gen_rand_below(r, 5);
  for (size_t i = 0; i < reads; i++)
    ctl[n++] = (unsigned char)gen_rand_below(r, 16);
  gen_session_put_ctl(b, ctl, n);
  gen_server_conversation(r, b, flags);
}

/* gen_client_replies - a server's side: greeting, EHLO, and one reply per step. */
void gen_client_replies(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  gen_reply_code(r, b, gen_rand_chance(r, 90) ? 220 : 554, flags);
  if (gen_rand_chance(r, 15)) {
    gen_reply_code(r, b, 500, flags); /* EHLO refused: HELO fallback */
    gen_reply_code(r, b, 250, flags);
  } else {
    gen_reply_ehlo(r, b, flags);
  }
  size_t n = gen_rand_range(r, 3, 10);
  for (size_t i = 0; i < n; i++) {
    if (gen_rand_chance(r, 60)) {
      static const int happy[] = {250, 250, 250, 354, 235, 334, 220, 221, 251};
      gen_reply_code(r, b, happy[gen_rand_below(r, sizeof happy / sizeof happy[0])], flags);
    } else {
      gen_reply(r, b, flags);
    }
  }
}

/* gen_client_credential - a credential's length (three decimal digits, 0..300) and its
 * pattern: mostly the fixed word (pattern 0), else any pattern and length. */
static void gen_client_credential(struct gen_rand *r, unsigned char *len3, unsigned char *pattern) {
  size_t len =
      gen_rand_chance(r, 50) ? gen_rand_below(r, 8) : gen_rand_below(r, GEN_CLI_CRED_MAX + 1);
  len3[0] = (unsigned char)(len / 100);
  len3[1] = (unsigned char)(len / 10 % 10);
  len3[2] = (unsigned char)(len % 10);
  *pattern = (unsigned char)(gen_rand_chance(r, 40) ? 0 : gen_rand_range(r, 1, 15));
}

/* gen_client_session - controls then replies. */
static void gen_client_session(struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  unsigned char ctl[GEN_CLI_READS + 6];
  size_t n = GEN_CLI_READS;
  ctl[GEN_CLI_OPTS] = (unsigned char)gen_rand_below(r, 8);
  ctl[GEN_CLI_TLS] = (unsigned char)gen_rand_below(r, 16);
  ctl[GEN_CLI_CONTENT] = (unsigned char)gen_rand_below(r, 16);
  ctl[GEN_CLI_RCPTS] = (unsigned char)gen_rand_below(r, 16);
  gen_client_credential(r, &ctl[GEN_CLI_USER_LEN], &ctl[GEN_CLI_USER]);
  gen_client_credential(r, &ctl[GEN_CLI_PASS_LEN], &ctl[GEN_CLI_PASS]);
  ctl[GEN_CLI_MORE] = (unsigned char)gen_rand_below(r, 8);
  ctl[GEN_CLI_MANY] = (unsigned char)(gen_rand_chance(r, 80) ? 0 : gen_rand_range(r, 1, 15));
  ctl[GEN_CLI_SIZE] = (unsigned char)(gen_rand_chance(r, 70) ? 0 : gen_rand_range(r, 1, 14));
  size_t reads = gen_rand_below(r, 4);
  for (size_t i = 0; i < reads; i++)
    ctl[n++] = (unsigned char)gen_rand_below(r, 16);
  gen_session_put_ctl(b, ctl, n);
  gen_client_replies(r, b, flags);
}

/* gen_target_input - dispatch by target. */
void gen_target_input(enum gen_target t, struct gen_rand *r, struct gen_buf *b, unsigned flags) {
  switch (t) {
  case GEN_T_COMMAND:
    gen_command(r, b, flags);
    break;
  case GEN_T_ADDRESS:
    gen_path(r, b, flags);
    break;
  case GEN_T_REPLY: {
    size_t n = gen_rand_range(r, 1, 4);
    for (size_t i = 0; i < n; i++)
      gen_reply(r, b, flags);
    break;
  }
  case GEN_T_DATA:
    gen_data_stream(r, b, flags);
    if (gen_rand_chance(r, 20))
      gen_buf_puts(b, "QUIT\r\n"); /* what follows the end mark is not content */
    break;
  case GEN_T_SERVER:
    gen_server_session(r, b, flags);
    break;
  case GEN_T_CLIENT:
    gen_client_session(r, b, flags);
    break;
  case GEN_T_SCRIPT:
    gen_script(r, b, flags);
    break;
  default:
    break;
  }
}
