/* cmd_run.c - `smtpcheck run HOST[:PORT]`: the conformance suite against a server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "conn.h"
#include "report.h"
#include "runner.h"
#include "script.h"

/* The most --only / --skip globs. */
#define GLOBS_MAX 64

static const char usage_line[] =
    "usage: smtpcheck run [--tls] [--ehlo NAME] [--from ADDR] [--rcpt ADDR] [--domain NAME]\n"
    "                     [--foreign ADDR] [--auth USER:PASS] [--maildir DIR]\n"
    "                     [--only GLOB]... [--skip GLOB]...\n"
    "                     [--jobs N] [--timeout SECONDS] [--format text|tap|junit|json]\n"
    "                     [--output FILE] [-v] [--suite DIR] HOST[:PORT]\n";

/* This subcommand, for its messages. */
static const struct cli cli = {"run", usage_line};

/* Everything the command line says. */
struct run_args {
  struct run_config cfg;
  const char *target, *format, *output, *suite;
  bool verbose;
  char *only[GLOBS_MAX], *skip[GLOBS_MAX];
  size_t nonly, nskip;
  char *auth; /* a copy of USER:PASS split in place */
};

/* parse_args - fill a from argv; returns EXIT_OK, CLI_HELP or EXIT_USAGE (after saying
 * why). */
static int parse_args(int argc, char **argv, struct run_args *a) {
  a->cfg.rcpt = "postmaster";
  a->cfg.ehlo = "smtpcheck.invalid";
  a->cfg.from = "smtpcheck@smtpcheck.invalid";
  a->cfg.jobs = 8;
  a->cfg.timeout_ms = 10000;
  a->format = "text";
  for (int i = 1; i < argc; i++) {
    const char *v;
    bool missing = false;
    char *arg = argv[i];
#define OPT(name) ((v = cli_option_value(argc, argv, &i, name, &missing)) != NULL)
    if (cli_is_help(arg)) {
      fputs(usage_line, stdout);
      return CLI_HELP;
    } else if (!strcmp(arg, "--tls")) {
      a->cfg.tls = true;
    } else if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
      a->verbose = true;
    } else if (OPT("--ehlo")) {
      a->cfg.ehlo = v;
    } else if (OPT("--from")) {
      a->cfg.from = v;
    } else if (OPT("--rcpt")) {
      a->cfg.rcpt = v;
    } else if (OPT("--domain")) {
      if (!*v || strchr(v, '@') || strchr(v, ' '))
        return cli_usage_error(&cli, "--domain needs a mail domain such as example.com, not '%s'",
                               v);
      a->cfg.domain = v;
    } else if (OPT("--foreign")) {
      a->cfg.foreign = v;
    } else if (OPT("--maildir")) {
      a->cfg.maildir = v;
    } else if (OPT("--suite")) {
      a->suite = v;
    } else if (OPT("--output")) {
      a->output = v;
    } else if (OPT("--format")) {
      if (!report_format_known(v))
        return cli_usage_error(&cli, "--format must be text, tap, junit or json, not '%s'", v);
      a->format = v;
    } else if (OPT("--auth")) {
      free(a->auth);
      a->auth = strdup(v);
      char *colon = a->auth ? strchr(a->auth, ':') : NULL;
      if (!colon || colon == a->auth)
        return cli_usage_error(&cli, "--auth needs USER:PASS, not '%s'", v);
      *colon = '\0';
      a->cfg.user = a->auth;
      a->cfg.pass = colon + 1;
    } else if (OPT("--only") || OPT("--skip")) {
      bool only = !strncmp(arg, "--only", 6);
      size_t *n = only ? &a->nonly : &a->nskip;
      if (*n == GLOBS_MAX)
        return cli_usage_error(&cli, "too many --only/--skip globs (%s)", "64 at most");
      (only ? a->only : a->skip)[(*n)++] = (char *)v;
    } else if (OPT("--jobs")) {
      long j = cli_count(v, 256);
      if (j < 0)
        return cli_usage_error(&cli, "--jobs needs a number from 1 to 256, not '%s'", v);
      a->cfg.jobs = (int)j;
    } else if (OPT("--timeout")) {
      a->cfg.timeout_ms = cli_seconds(v, 3600);
      if (a->cfg.timeout_ms < 0)
        return cli_usage_error(&cli, "--timeout needs seconds (0 < N <= 3600), not '%s'", v);
    } else if (missing) {
      return cli_usage_error(&cli, "%s needs a value", arg);
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return cli_usage_error(&cli, "unknown option '%s'", arg);
    } else if (a->target) {
      return cli_usage_error(&cli, "one HOST[:PORT] only ('%s' is one too many)", arg);
    } else {
      a->target = arg;
    }
#undef OPT
  }
  if (!a->target)
    return cli_usage_error(&cli, "%s", "which server? give HOST[:PORT]");
  return EXIT_OK;
}

/* load_suite - embedded or --suite DIR; prints FILE:LINE errors and returns -1 on any. */
static int load_suite(const char *dir, struct script_suite *suite) {
  struct script_errors errs = {0};
  size_t n = dir ? script_load_dir(dir, suite, &errs) : script_load_embedded(suite, &errs);
  for (size_t i = 0; i < errs.n; i++)
    fprintf(stderr, "%s\n", errs.msgs[i]);
  if (n && !errs.n)
    fprintf(stderr, "smtpcheck: %zu script errors\n", n);
  script_errors_free(&errs);
  return n ? -1 : 0;
}

/* write_report - in the chosen format to --output or stdout. */
static int write_report(const struct run_args *a, const struct run_report *r) {
  FILE *f = stdout;
  if (a->output && !(f = fopen(a->output, "w"))) {
    fprintf(stderr, "smtpcheck run: cannot write %s: %s\n", a->output, strerror(errno));
    return -1;
  }
  int rc = report_write(f, r, a->format, a->verbose);
  if (fflush(f) != 0)
    rc = -1;
  if (f != stdout && fclose(f) != 0)
    rc = -1;
  if (rc < 0)
    fprintf(stderr, "smtpcheck run: writing the report failed\n");
  return rc;
}

/* errored_run - a result for every test saying why none could run (the probe failed). */
static int errored_run(const struct script_test *const *tests, size_t n, const char *why,
                       struct run_report *r) {
  r->results = calloc(n ? n : 1, sizeof *r->results);
  if (!r->results)
    return -1;
  r->n = n;
  for (size_t i = 0; i < n; i++) {
    r->results[i].test = tests[i];
    r->results[i].outcome = OUTCOME_ERROR;
    r->results[i].fail_level = tests[i]->level;
    snprintf(r->results[i].reason, sizeof r->results[i].reason, "%.500s", why);
  }
  return 0;
}

/* cmd_run - parse, load, select, probe, run, report. */
int cmd_run(int argc, char **argv) {
  struct run_args a = {0};
  struct script_suite suite = {0};
  const struct script_test **tests = NULL;
  struct run_report report = {0};
  struct probe_result probe = {0};
  char host[256], port[32];
  int rc = parse_args(argc, argv, &a);
  if (rc == CLI_HELP)
    rc = EXIT_OK;
  if (rc != EXIT_OK || !a.target)
    goto out;
  rc = EXIT_USAGE;
  if (hostport_parse(a.target, "25", host, sizeof host, port, sizeof port) < 0) {
    rc = cli_usage_error(&cli, "bad HOST[:PORT] '%s'", a.target);
    goto out;
  }
  report.command = "run";
  a.cfg.host = host;
  a.cfg.port = port;
  snprintf(report.target, sizeof report.target, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
           port);
  if (load_suite(a.suite, &suite) < 0)
    goto out;
  size_t n = script_select(&suite, a.only, a.nonly, a.skip, a.nskip, &tests);
  if (n == 0) {
    rc = cli_usage_error(&cli, "%s", "no test is selected (check --only / --skip)");
    goto out;
  }
  runner_probe(&a.cfg, &probe);
  if (!probe.reached) {
    fprintf(stderr, "smtpcheck run: cannot reach %s: %s\n", report.target, probe.error);
    rc = EXIT_UNREACHABLE;
    goto out;
  }
  rc = EXIT_FINDING;
  if (!probe.usable) {
    char why[600];
    snprintf(why, sizeof why, "probe: %s", probe.error);
    if (errored_run(tests, n, why, &report) < 0)
      goto out;
  } else if (runner_run(&a.cfg, &probe, tests, n, &report) < 0) {
    fprintf(stderr, "smtpcheck run: out of memory\n");
    goto out;
  }
  if (write_report(&a, &report) < 0)
    goto out;
  rc = report_status(&report) ? EXIT_FINDING : EXIT_OK;
out:
  runner_report_free(&report);
  probe_result_free(&probe);
  free(tests);
  script_suite_free(&suite);
  free(a.auth);
  return rc;
}
