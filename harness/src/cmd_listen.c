/* cmd_listen.c - `smtpcheck listen [ADDR:PORT]`: act as an SMTP server, record what each
 * client does, and grade it against the client requirements of RFC 5321 and its
 * extensions (listen_checks.c), in the report formats of `smtpcheck run`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "conn.h"
#include "listen_net.h"
#include "listen_report.h"
#include "listen_scenario.h"
#include "listen_serve.h"
#include "listen_session.h"
#include "report.h"

static const char usage_line[] =
    "usage: smtpcheck listen [--scenario FILE] [--sessions N] [--tls-cert FILE --tls-key FILE]\n"
    "                        [--hostname NAME] [--format text|tap|junit|json] [--output FILE]\n"
    "                        [--save DIR] [--port-file FILE] [--session-timeout SECONDS]\n"
    "                        [--idle-timeout SECONDS] [--wait SECONDS] [--parallel N] [-v]\n"
    "                        [ADDR[:PORT]]\n"
    "  ADDR[:PORT] defaults to 127.0.0.1:2525; port 0 picks a free port (see --port-file).\n";

/* Sessions served at once unless --parallel says otherwise: a real MTA's client opens a
 * few connections in parallel when several messages are queued. */
#define LISTEN_PARALLEL_DEFAULT 8
/* Each open session holds a socket and its buffers; more is a mistake. */
#define LISTEN_PARALLEL_MAX 1024

/* This subcommand, for its messages. */
static const struct cli cli = {"listen", usage_line};

/* Everything the command line says. */
struct listen_args {
  const char *addr, *scenario, *cert, *key, *hostname, *format, *output, *save, *port_file;
  long sessions; /* 0: until killed */
  long parallel; /* sessions served at once */
  long session_ms, idle_ms, wait_ms;
  bool verbose;
};

/* parse_args - fill a from argv; EXIT_OK, CLI_HELP or EXIT_USAGE (after saying why). */
static int parse_args(int argc, char **argv, struct listen_args *a) {
  a->addr = "127.0.0.1:2525";
  a->hostname = "smtpcheck.invalid";
  a->format = "text";
  a->session_ms = 120000;
  a->idle_ms = 30000;
  a->wait_ms = -1;
  a->parallel = LISTEN_PARALLEL_DEFAULT;
  bool addr_given = false;
  for (int i = 1; i < argc; i++) {
    const char *v;
    bool missing = false;
    char *arg = argv[i];
#define OPT(name) ((v = cli_option_value(argc, argv, &i, name, &missing)) != NULL)
    if (cli_is_help(arg)) {
      fputs(usage_line, stdout);
      return CLI_HELP;
    } else if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
      a->verbose = true;
    } else if (OPT("--scenario")) {
      a->scenario = v;
    } else if (OPT("--tls-cert")) {
      a->cert = v;
    } else if (OPT("--tls-key")) {
      a->key = v;
    } else if (OPT("--hostname")) {
      a->hostname = v;
    } else if (OPT("--output")) {
      a->output = v;
    } else if (OPT("--save")) {
      a->save = v;
    } else if (OPT("--port-file")) {
      a->port_file = v;
    } else if (OPT("--format")) {
      if (!report_format_known(v))
        return cli_usage_error(&cli, "--format must be text, tap, junit or json, not '%s'", v);
      a->format = v;
    } else if (OPT("--sessions")) {
      if ((a->sessions = cli_count(v, 1000000)) < 0)
        return cli_usage_error(&cli, "--sessions needs a number from 1 to 1000000, not '%s'", v);
    } else if (OPT("--parallel")) {
      if ((a->parallel = cli_count(v, LISTEN_PARALLEL_MAX)) < 0)
        return cli_usage_error(&cli, "--parallel needs a number from 1 to %d, not '%s'",
                               LISTEN_PARALLEL_MAX, v);
    } else if (OPT("--session-timeout") || OPT("--idle-timeout") || OPT("--wait")) {
      long ms = cli_seconds(v, 86400);
      if (ms < 0)
        return cli_usage_error(&cli, "%s needs seconds (0 < N <= 86400), not '%s'", arg, v);
      if (!strncmp(arg, "--session", 9))
        a->session_ms = ms;
      else if (!strncmp(arg, "--idle", 6))
        a->idle_ms = ms;
      else
        a->wait_ms = ms;
    } else if (missing) {
      return cli_usage_error(&cli, "%s needs a value", arg);
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return cli_usage_error(&cli, "unknown option '%s'", arg);
    } else if (addr_given) {
      return cli_usage_error(&cli, "one ADDR[:PORT] only ('%s' is one too many)", arg);
    } else {
      a->addr = arg;
      addr_given = true;
    }
#undef OPT
  }
  if (!a->cert != !a->key)
    return cli_usage_error(&cli, "%s", "--tls-cert and --tls-key go together");
  return EXIT_OK;
}

/* What the session hooks need: where messages and the report go. */
struct listen_ctx {
  const struct listen_args *a;
  const char *scenario; /* the loaded scenario's name */
  struct listen_report *rep;
};

/* save_message - --save DIR: the message as received, after dot-unstuffing. */
static void save_message(void *ctx, size_t session, size_t message, const char *data, size_t len,
                         size_t dropped) {
  const struct listen_ctx *lc = ctx;
  if (!lc->a->save)
    return;
  char path[4096];
  snprintf(path, sizeof path, "%s/s%zu-m%zu.eml", lc->a->save, session, message);
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "smtpcheck listen: cannot write %s: %s\n", path, strerror(errno));
    return;
  }
  if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
    fprintf(stderr, "smtpcheck listen: writing %s failed\n", path);
  else if (dropped)
    fprintf(stderr, "smtpcheck listen: %s: %zu octets over the limit not kept\n", path, dropped);
}

/* session_ended - grade session n (numbered in order of acceptance; sessions end in any
 * order) into the report and rewrite --output. */
static int session_ended(void *ctx, size_t n, const char *peer, const struct listen_session *s,
                         long duration_ms) {
  struct listen_ctx *lc = ctx;
  struct listen_report *rep = lc->rep;
  if (listen_report_add(rep, n, s, peer, lc->scenario, duration_ms) < 0)
    return -1;
  fprintf(stderr, "smtpcheck listen: session %zu from %s graded\n", n, peer);
  char err[600];
  if (lc->a->output && listen_report_save(lc->a->output, rep, lc->a->format, err, sizeof err) < 0)
    fprintf(stderr, "smtpcheck listen: %s\n", err);
  return 0;
}

/* write_port_file - the bound port, for scripts that listen on port 0. */
static int write_port_file(const char *path, const char *bound) {
  const char *colon = strrchr(bound, ':');
  FILE *f = fopen(path, "w");
  if (!f || fprintf(f, "%s\n", colon ? colon + 1 : bound) < 0 || fclose(f) != 0) {
    fprintf(stderr, "smtpcheck listen: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* cmd_listen - parse, listen, serve --sessions clients, report after each. */
int cmd_listen(int argc, char **argv) {
  struct listen_args a = {0};
  struct listen_report rep = {0};
  struct listen_scenario *sc = NULL;
  SSL_CTX *tls = NULL;
  int lfd = -1;
  char host[256], port[32], bound[300] = "", err[600];
  int rc = parse_args(argc, argv, &a);
  if (rc == CLI_HELP) {
    rc = EXIT_OK; /* usage printed: nothing to listen for */
    goto out;
  }
  if (rc != EXIT_OK || argc < 0)
    goto out;
  rc = EXIT_USAGE;
  if (hostport_parse_listen(a.addr, "2525", host, sizeof host, port, sizeof port) < 0) {
    rc = cli_usage_error(&cli, "bad ADDR[:PORT] '%s'", a.addr);
    goto out;
  }
  sc = malloc(sizeof *sc);
  if (!sc)
    goto out;
  listen_scenario_default(sc);
  if (a.scenario && listen_scenario_load(a.scenario, sc, err, sizeof err) < 0) {
    fprintf(stderr, "smtpcheck listen: %s\n", err);
    goto out;
  }
  if (a.save && mkdir(a.save, 0755) < 0 && errno != EEXIST) {
    fprintf(stderr, "smtpcheck listen: cannot create %s: %s\n", a.save, strerror(errno));
    goto out;
  }
  if (a.cert && !(tls = listen_tls_context(a.cert, a.key, err, sizeof err))) {
    fprintf(stderr, "smtpcheck listen: %s\n", err);
    goto out;
  }
  rc = EXIT_UNREACHABLE;
  lfd = listen_socket(host, port, bound, sizeof bound, err, sizeof err);
  if (lfd < 0) {
    fprintf(stderr, "smtpcheck listen: %s\n", err);
    goto out;
  }
  if (a.port_file && write_port_file(a.port_file, bound) < 0)
    goto out;
  signal(SIGPIPE, SIG_IGN); /* a TLS write to a closed client must not kill the listener */
  fprintf(stderr, "smtpcheck listen: listening on %s (scenario %s)\n", bound, sc->name);
  rep.run.command = "listen";
  snprintf(rep.run.target, sizeof rep.run.target, "%s", bound);
  rep.verbose = a.verbose;
  rc = EXIT_FINDING;
  struct listen_ctx lc = {.a = &a, .scenario = sc->name, .rep = &rep};
  struct listen_serve_config cfg = {
      .lfd = lfd,
      .tls = tls,
      .lim = {.session_ms = a.session_ms, .idle_ms = a.idle_ms, .max_octets = 64u * 1024u * 1024u},
      .engine = {.scenario = sc, .tls_available = tls != NULL, .hostname = a.hostname},
      .parallel = (size_t)a.parallel,
      .sessions = a.sessions,
      .wait_ms = a.wait_ms};
  struct listen_serve_hooks hooks = {.message = save_message, .ended = session_ended, .ctx = &lc};
  int served = listen_serve(&cfg, &hooks, err, sizeof err);
  if (served < 0) {
    fprintf(stderr, "smtpcheck listen: %s\n", err);
    goto out;
  }
  if (served == 1)
    fprintf(stderr, "smtpcheck listen: no client within --wait; stopping after %zu sessions\n",
            rep.sessions);
  if (a.output) {
    if (listen_report_save(a.output, &rep, a.format, err, sizeof err) < 0) {
      fprintf(stderr, "smtpcheck listen: %s\n", err);
      goto out;
    }
  } else if (report_write(stdout, &rep.run, a.format, rep.verbose) < 0 || fflush(stdout) != 0) {
    fprintf(stderr, "smtpcheck listen: writing the report failed\n");
    goto out;
  }
  rc = report_status(&rep.run) ? EXIT_FINDING : EXIT_OK;
out:
  if (lfd >= 0)
    close(lfd);
  SSL_CTX_free(tls);
  free(sc);
  listen_report_free(&rep);
  return rc;
}
