/* listen_scenario.h - the replies `smtpcheck listen` gives, read from a scenario file
 * (the format is specified in harness/listen/README.md). */
#ifndef SMTPCHECK_LISTEN_SCENARIO_H
#define SMTPCHECK_LISTEN_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

/* The most `reply` rules and EHLO keywords one scenario may hold. */
#define LISTEN_RULES_MAX 64
#define LISTEN_OFFERS_MAX 24
/* The longest reply text (before formatting) a rule may give. */
#define LISTEN_TEXT_MAX 400
/* The longest delay a scenario may ask for, in milliseconds. */
#define LISTEN_DELAY_MAX 60000

/* The points of a session where a scenario may choose the reply. */
enum listen_point {
  LP_HELO,
  LP_EHLO,
  LP_MAIL,
  LP_RCPT,
  LP_DATA,     /* the reply to the DATA command (354 by default) */
  LP_DATA_END, /* the reply after <CRLF>.<CRLF> */
  LP_RSET,
  LP_NOOP,
  LP_QUIT,
  LP_VRFY,
  LP_EXPN,
  LP_HELP,
  LP_STARTTLS,
  LP_AUTH, /* the final reply to AUTH (235 by default) */
  LP_BDAT,
  LP_UNKNOWN, /* any other verb */
  LP_COUNT
};

/* listen_point_name - "MAIL", "DATA-END", ...; listen_point_parse is its inverse (-1). */
const char *listen_point_name(enum listen_point p);
int listen_point_parse(const char *s, size_t n);

/* One `reply POINT N CODE TEXT` rule: the Nth time (0: every time) the client reaches
 * POINT, answer CODE TEXT instead of the default. */
struct listen_rule {
  enum listen_point point;
  unsigned nth;
  int code;
  char text[LISTEN_TEXT_MAX]; /* may hold '\n' line separators (a multi-line reply) */
};

/* One EHLO keyword with its parameters ("SIZE" "10485760"). */
struct listen_offer {
  char keyword[32];
  char params[96];
};

/* A whole scenario. Zero-fill, then listen_scenario_default(), then parse. */
struct listen_scenario {
  char name[64]; /* the file's base name without .scn, or "default" */
  int greeting_code;
  char greeting_text[LISTEN_TEXT_MAX];
  long greeting_delay_ms; /* wait before the greeting (catches clients that talk first) */
  long reply_delay_ms;    /* hold every reply this long (catches unannounced pipelining) */
  long split_delay_ms;    /* pause before the last line of a multi-line reply */
  long quit_delay_ms;     /* hold the reply to QUIT (-1: reply_delay_ms) */
  struct listen_rule rules[LISTEN_RULES_MAX];
  size_t nrules;
  struct listen_offer offers[LISTEN_OFFERS_MAX]; /* in EHLO order */
  size_t noffers;
};

/* listen_scenario_default - a 220 greeting, 250/354 everywhere, and the EHLO keywords
 * PIPELINING 8BITMIME SIZE ENHANCEDSTATUSCODES STARTTLS (STARTTLS is listed only when the
 * listener has a certificate and the session is not yet under TLS). */
void listen_scenario_default(struct listen_scenario *s);

/* listen_scenario_parse - apply a scenario text to s (on top of what it holds). Returns 0,
 * or -1 with "FILE:LINE: message" in err. */
int listen_scenario_parse(const char *file, const char *text, size_t len, struct listen_scenario *s,
                          char *err, size_t errlen);

/* listen_scenario_load - read and parse a scenario file on top of the defaults. */
int listen_scenario_load(const char *path, struct listen_scenario *s, char *err, size_t errlen);

/* listen_scenario_rule - the rule for the nth (1-based) arrival at point, or NULL. A rule
 * with a count wins over a `*` rule. */
const struct listen_rule *listen_scenario_rule(const struct listen_scenario *s,
                                               enum listen_point point, unsigned nth);

/* listen_scenario_offers - true if the EHLO reply lists keyword (case-insensitive). */
bool listen_scenario_offers(const struct listen_scenario *s, const char *keyword);

#endif
