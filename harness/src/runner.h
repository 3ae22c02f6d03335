/* runner.h - run compiled tests against a server on parallel connections. */
#ifndef SMTPCHECK_RUNNER_H
#define SMTPCHECK_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "script.h"
#include "vars.h"

/* The most octets buffered while waiting for one reply (a flooding server fails). */
#define RUNNER_REPLY_MAX (64u * 1024u)
/* The most octets one transcript entry keeps (the rest is counted, not kept). */
#define RUNNER_ENTRY_MAX 4096u
/* The most transcript entries kept per test. */
#define RUNNER_ENTRIES_MAX 400u

/* What the command line gives the runner. Not owned. */
struct run_config {
  const char *host, *port; /* the target */
  bool tls;                /* implicit TLS (--tls) */
  const char *ehlo, *from, *rcpt, *foreign, *user, *pass, *maildir;
  const char *domain; /* --domain: $rcpt_domain when --rcpt has no domain; may be NULL */
  int jobs;
  long timeout_ms; /* per step */
};

/* A test's outcome. */
enum test_outcome { OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_SKIP, OUTCOME_ERROR };

/* outcome_name - "pass", "fail", "skip", "error". */
const char *outcome_name(enum test_outcome o);

/* One transcript entry: what the client sent ('C') or the server sent ('S'), or a note
 * from the runner ('*': TLS started, connection closed, ...). */
struct transcript_entry {
  char dir;
  char *data;
  size_t len;     /* octets kept in data */
  size_t dropped; /* octets not kept (over RUNNER_ENTRY_MAX) */
};

/* The result of one test. */
struct test_result {
  const struct script_test *test;
  enum test_outcome outcome;
  enum script_level fail_level; /* the test's level, or MUST for a wire-format defect */
  char reason[512];             /* why it failed, errored or was skipped ("" on a pass) */
  char skip_ext[64];            /* for a skip: the EHLO keyword not offered, else "" */
  int fail_line;                /* the script line of the failing step, 0 if none */
  long duration_ms;
  struct transcript_entry *entries;
  size_t nentries, dropped_entries;
};

/* What the probe connection learned. */
struct probe_result {
  bool reached;     /* the TCP (and TLS) connection was made */
  bool usable;      /* a greeting and an EHLO reply were read */
  char error[512];  /* why not */
  struct sbuf ehlo; /* the raw EHLO reply */
};

/* A whole run. */
struct run_report {
  const char *command; /* the subcommand that ran ("run", "listen"); NULL: "run" */
  char target[300];    /* "HOST:PORT": the server run against, the address listened on */
  long duration_ms;
  struct test_result *results;
  size_t n;
};

/* runner_probe - connect, read the greeting, EHLO, QUIT. */
void runner_probe(const struct run_config *cfg, struct probe_result *out);

/* runner_run - run tests[0..n) (cfg->jobs at a time) into report->results (allocated). */
int runner_run(const struct run_config *cfg, const struct probe_result *probe,
               const struct script_test *const *tests, size_t n, struct run_report *report);

/* runner_test - run one test on its own connection(s). token is this test's $token. */
void runner_test(const struct run_config *cfg, const struct probe_result *probe,
                 const struct script_test *t, const char *token, struct test_result *res);

/* runner_report_free - release every result and transcript. */
void runner_report_free(struct run_report *report);
void probe_result_free(struct probe_result *p);

/* transcript_add - append an entry to res (bounded by RUNNER_ENTRY_MAX/ENTRIES_MAX). */
void transcript_add(struct test_result *res, char dir, const char *data, size_t len);

#endif
