/* script.h - the conformance suite's script language compiled into step lists
 * (the language is specified in harness/suite/README.md). */
#ifndef SMTPCHECK_SCRIPT_H
#define SMTPCHECK_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

/* A requirement's level (RFC 2119). */
enum script_level { LEVEL_MUST, LEVEL_SHOULD, LEVEL_MAY };

/* script_level_name - "MUST", "SHOULD" or "MAY". */
const char *script_level_name(enum script_level l);

/* The most alternatives one reply spec may list. */
#define SPEC_ALTS_MAX 8

/* What a `<` step expects. */
enum spec_kind {
  SPEC_CODES,   /* one reply whose code matches an alternative (or EOF if or_closed, or
                   nothing for silence_ms if or_silence) */
  SPEC_ANY,     /* any well-formed reply */
  SPEC_CLOSED,  /* the server closes the connection (replies before EOF are read) */
  SPEC_SILENCE, /* nothing arrives for silence_ms */
};

/* What a reply must also be, beyond its code: one line, and containing (or not) a text. */
struct reply_shape {
  bool single_line; /* `single-line`: a one-line reply (RFC 5321 4.1.1.1: HELO's) */
  char *text;       /* `~ TEXT` / `!~ TEXT` template, or NULL */
  size_t text_len;
  bool text_absent; /* `!~`: no line contains TEXT */
};

/* The most `; CODES ...` conditions one reply spec may have. */
#define SPEC_CONDS_MAX 4

/* A conditional expectation `; CODES [single-line] [~ TEXT]`: a reply whose code matches
 * one of codes must also have the shape. */
struct reply_cond {
  char codes[SPEC_ALTS_MAX][3];
  size_t ncodes;
  struct reply_shape shape;
};

/* A parsed reply spec. Each code pattern is 3 characters, digits or 'x'. */
struct reply_spec {
  enum spec_kind kind;
  char codes[SPEC_ALTS_MAX][3];
  size_t ncodes;
  bool or_closed;           /* `closed` among the alternatives */
  bool or_silence;          /* `silence N` among the alternatives (silence_ms) */
  struct reply_shape shape; /* what every matching reply must also be */
  struct reply_cond conds[SPEC_CONDS_MAX];
  size_t nconds;
  long silence_ms;
};

/* script_spec_free - release the texts a parsed spec owns. */
void script_spec_free(struct reply_spec *spec);

/* Step kinds, one per step line of the language. */
enum step_kind {
  STEP_SEND,            /* > TEXT: TEXT + CRLF */
  STEP_SEND_RAW,        /* >> TEXT: raw octets */
  STEP_QUEUE,           /* >+ TEXT: queued TEXT + CRLF, sent with the next write or read */
  STEP_EXPECT,          /* < SPEC */
  STEP_EHLO,            /* ehlo */
  STEP_EXPECT_EXT,      /* expect-ext KEYWORD */
  STEP_EXPECT_NO_EXT,   /* expect-no-ext KEYWORD */
  STEP_MESSAGE,         /* message */
  STEP_STARTTLS,        /* starttls */
  STEP_RECONNECT,       /* reconnect */
  STEP_CLOSE,           /* close */
  STEP_MAILDIR_COUNT,   /* maildir count N */
  STEP_MAILDIR_HAS,     /* maildir has TEXT */
  STEP_MAILDIR_LACKS,   /* maildir lacks TEXT */
  STEP_BDAT,            /* bdat TEXT: "BDAT <octets>" and TEXT (RFC 3030 2) */
  STEP_BDAT_LAST,       /* bdat-last TEXT: "BDAT <octets> LAST" and TEXT */
  STEP_HEADER_MATCH,    /* maildir header NAME ~ REGEX: the topmost NAME field matches */
  STEP_HEADER_NO_MATCH, /* maildir header NAME !~ REGEX: it exists and does not match */
  STEP_HEADER_COUNT,    /* maildir header NAME count N[|N...]: fields named NAME */
  STEP_SKIP_UNLESS,     /* skip-unless CODES REASON: judged with the `<` step before it */
};

/* The most alternatives of one `maildir count` step. */
#define MAILDIR_COUNTS_MAX 4

/* One compiled step. */
struct script_step {
  enum step_kind kind;
  int line;
  char *arg;   /* template (send, maildir text), keyword or header regex; NULL when none */
  char *field; /* `maildir header` steps: the field name, without the ':' */
  size_t arg_len;
  struct reply_spec spec;          /* STEP_EXPECT */
  long count;                      /* STEP_MAILDIR_COUNT, STEP_HEADER_COUNT: the largest */
  long counts[MAILDIR_COUNTS_MAX]; /* their `count 0|1` alternatives */
  size_t ncounts;
};

/* Requirements that decide whether a test runs (`require` lines, variables used). */
enum script_require {
  REQUIRE_FOREIGN = 1u << 0,
  REQUIRE_MAILDIR = 1u << 1,
  REQUIRE_AUTH = 1u << 2,
  REQUIRE_PLAINTEXT = 1u << 3,
  REQUIRE_TLS = 1u << 4,
  REQUIRE_DOMAIN = 1u << 5,     /* `require domain` or $rcpt_domain: a recipient domain */
  REQUIRE_SIZE_LIMIT = 1u << 6, /* `require size-limit` or $size_limit: a nonzero SIZE */
};

/* The most `require ext` lines one test may have. */
#define SCRIPT_EXTS_MAX 8

/* One test. */
struct script_test {
  char *id, *ref, *about;
  char *file; /* the script's name, e.g. "rfc5321/sequence.smtp" */
  int line;   /* of the `test` line */
  enum script_level level;
  bool has_level;
  char *exts[SCRIPT_EXTS_MAX];       /* `require ext` keywords, KEYWORD or KEYWORD=PARAM */
  bool exts_absent[SCRIPT_EXTS_MAX]; /* `require no-ext`: the keyword must NOT be listed */
  size_t nexts;
  unsigned requires; /* enum script_require bits */
  bool greeting_any;
  long timeout_ms; /* 0: the command line's --timeout */
  struct script_step *steps;
  size_t nsteps;
};

/* A whole suite: every test of every file, in file then line order. */
struct script_suite {
  struct script_test *tests;
  size_t ntests;
};

/* Script errors, each "FILE:LINE: message". */
struct script_errors {
  char **msgs;
  size_t n;
};

/* script_parse - compile one script file's text into suite (appending). Errors are
 * appended to errs; returns the number of errors found in this file (0: fine). */
size_t script_parse(const char *file, const char *text, size_t len, struct script_suite *suite,
                    struct script_errors *errs);

/* script_parse_spec - compile a reply spec (the text after "< "); 0, or -1 with err. */
int script_parse_spec(const char *s, size_t n, struct reply_spec *spec, char *err, size_t errlen);

/* script_load_embedded - compile the suite compiled into the binary. */
size_t script_load_embedded(struct script_suite *suite, struct script_errors *errs);

/* script_load_dir - compile every .smtp file below DIR, sorted by relative path. */
size_t script_load_dir(const char *dir, struct script_suite *suite, struct script_errors *errs);

/* script_select - the tests whose id matches one --only glob (all when none) and no
 * --skip glob (fnmatch), in suite order, into a malloc'd array *out; returns the count. */
size_t script_select(const struct script_suite *suite, char *const *only, size_t nonly,
                     char *const *skip, size_t nskip, const struct script_test ***out);

/* script_error_add - record "FILE:LINE: message" (line 0: "FILE: message"). */
void script_error_add(struct script_errors *errs, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* script_step_is_maildir - a step that looks at the Maildir, not the connection (it still
 * runs after the server closed the connection where a test allowed it). */
bool script_step_is_maildir(enum step_kind kind);

/* script_ext_due - true if `require ext kw` is judged by an EHLO reply when the steps
 * from index `from` on are still to run (0 for the probe, i + 1 after the ehlo step i).
 * STARTTLS is judged by EHLOs before the first `starttls` step (RFC 3207 4.2: it is not
 * offered after); any other keyword by EHLOs after the last one (it may appear only
 * under TLS). */
bool script_ext_due(const struct script_test *t, size_t from, const char *kw);

/* script_suite_free / script_errors_free - release everything. */
void script_suite_free(struct script_suite *suite);
void script_errors_free(struct script_errors *errs);

#endif
