/* cmd_send.c - `smtpcheck send`: deliver a message with the reference client engine, like
 * swaks: exit 0 when delivered, 1 when refused, 2 on a bad command line, 3 when the server
 * cannot be reached. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "conn.h"
#include "send_session.h"

/* The most --to recipients. */
#define RCPTS_MAX 1000
/* The most --count copies. */
#define COUNT_MAX 100000

static const char usage_line[] =
    "usage: smtpcheck send --server HOST[:PORT] --from ADDR --to ADDR [--to ADDR]...\n"
    "                      [--ehlo NAME] [--data FILE|-] [--header-auto] [-v]\n"
    "                      [--tls | --starttls require|opportunistic] [--auth USER:PASS]\n"
    "                      [--tls-verify] [--ca-file FILE] [--timeout SECONDS] [--count N]\n"
    "                      [--no-pipelining] [--chunking]\n";

/* This subcommand, for its messages. */
static const struct cli cli = {"send", usage_line};

static const char help_text[] =
    "Send a message with libsmtp's client engine and show the conversation (-v).\n"
    "\n"
    "  --server HOST[:PORT]  the server; port 25, or 465 with --tls; [v6]:port for IPv6\n"
    "  --from ADDR           reverse-path ('' for the null path <>)\n"
    "  --to ADDR             a recipient; repeat for more\n"
    "  --ehlo NAME           our name in EHLO/HELO (default: this host's name)\n"
    "  --data FILE           the message (default: standard input, '-' too); bare LF\n"
    "                        becomes CRLF\n"
    "  --header-auto         add Date/From/To/Subject/Message-ID if it has no header\n"
    "  -v, --verbose         transcript: '-> ' what we send, '<- ' what the server says\n"
    "  --tls                 TLS from the first octet (implicit TLS, RFC 8314)\n"
    "  --starttls MODE       require: fail unless STARTTLS works; opportunistic: when offered\n"
    "  --auth USER:PASS      AUTH PLAIN (or LOGIN when PLAIN is not offered)\n"
    "  --tls-verify          check the certificate and that it names the server\n"
    "  --ca-file FILE        trusted CAs for --tls-verify (default: the system's)\n"
    "  --timeout SECONDS     for connect, each read, write and TLS handshake (default 30)\n"
    "  --count N             send the message N times in one session\n"
    "  --no-pipelining       one command at a time even if PIPELINING is offered\n"
    "  --chunking            BDAT instead of DATA when CHUNKING is offered\n"
    "\n"
    "Exit status: 0 delivered, 1 refused or failed, 2 usage, 3 server unreachable.\n";

/* strip_brackets - accept "<a@b>" as well as "a@b" (and "<>" for the null path). */
static char *strip_brackets(char *s) {
  size_t n = strlen(s);
  if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
    s[n - 1] = '\0';
    return s + 1;
  }
  return s;
}

/* Long options; the values >= 256 have no short form. */
enum {
  OPT_SERVER = 256,
  OPT_FROM,
  OPT_TO,
  OPT_EHLO,
  OPT_DATA,
  OPT_HEADER_AUTO,
  OPT_TLS,
  OPT_STARTTLS,
  OPT_AUTH,
  OPT_TLS_VERIFY,
  OPT_CA_FILE,
  OPT_TIMEOUT,
  OPT_COUNT,
  OPT_NO_PIPELINING,
  OPT_CHUNKING,
};

static const struct option long_options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"ehlo", required_argument, NULL, OPT_EHLO},
    {"data", required_argument, NULL, OPT_DATA},
    {"header-auto", no_argument, NULL, OPT_HEADER_AUTO},
    {"verbose", no_argument, NULL, 'v'},
    {"tls", no_argument, NULL, OPT_TLS},
    {"starttls", required_argument, NULL, OPT_STARTTLS},
    {"auth", required_argument, NULL, OPT_AUTH},
    {"tls-verify", no_argument, NULL, OPT_TLS_VERIFY},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"count", required_argument, NULL, OPT_COUNT},
    {"no-pipelining", no_argument, NULL, OPT_NO_PIPELINING},
    {"chunking", no_argument, NULL, OPT_CHUNKING},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Parsed command line; strings point into argv. */
struct send_args {
  struct send_options o;
  const char *server;
  const char *rcpts[RCPTS_MAX];
  char host[256], port[32], myname[256];
  bool help;
};

/* apply_option - one option into a; EXIT_OK or EXIT_USAGE (after saying why). */
static int apply_option(struct send_args *a, int opt, char *val) {
  switch (opt) {
  case OPT_SERVER:
    a->server = val;
    break;
  case OPT_FROM:
    a->o.from = strip_brackets(val);
    break;
  case OPT_TO:
    if (a->o.nrcpts == RCPTS_MAX)
      return cli_usage_error(&cli, "at most %d --to", RCPTS_MAX);
    val = strip_brackets(val);
    if (!val[0])
      return cli_usage_error(&cli, "--to needs an address");
    a->rcpts[a->o.nrcpts++] = val;
    break;
  case OPT_EHLO:
    if (!val[0])
      return cli_usage_error(&cli, "--ehlo needs a name");
    a->o.ehlo = val;
    break;
  case OPT_DATA:
    a->o.data_file = val;
    break;
  case OPT_HEADER_AUTO:
    a->o.header_auto = true;
    break;
  case 'v':
    a->o.verbose = true;
    break;
  case OPT_TLS:
    a->o.implicit_tls = true;
    break;
  case OPT_STARTTLS:
    if (!strcmp(val, "require"))
      a->o.starttls = SMTP_CLIENT_TLS_REQUIRE;
    else if (!strcmp(val, "opportunistic"))
      a->o.starttls = SMTP_CLIENT_TLS_OPPORTUNISTIC;
    else
      return cli_usage_error(&cli, "--starttls takes 'require' or 'opportunistic', not '%s'", val);
    break;
  case OPT_AUTH: {
    char *colon = strchr(val, ':');
    if (!colon || colon == val)
      return cli_usage_error(&cli, "--auth takes USER:PASS");
    *colon = '\0';
    a->o.auth_user = val;
    a->o.auth_pass = colon + 1;
    break;
  }
  case OPT_TLS_VERIFY:
    a->o.tls_verify = true;
    break;
  case OPT_CA_FILE:
    a->o.ca_file = val;
    break;
  case OPT_TIMEOUT: {
    long ms = cli_seconds(val, 3600);
    if (ms < 0)
      return cli_usage_error(&cli, "--timeout takes seconds between 0 and 3600, not '%s'", val);
    a->o.timeout_ms = (int)ms;
    break;
  }
  case OPT_COUNT: {
    long n = cli_count(val, COUNT_MAX);
    if (n < 0)
      return cli_usage_error(&cli, "--count takes a number from 1 to %d, not '%s'", COUNT_MAX, val);
    a->o.count = (size_t)n;
    break;
  }
  case OPT_NO_PIPELINING:
    a->o.pipelining = false;
    break;
  case OPT_CHUNKING:
    a->o.chunking = true;
    break;
  case 'h':
    a->help = true;
    break;
  default:
    return cli_usage_error(&cli, "unknown option");
  }
  return EXIT_OK;
}

/* parse_args - the whole command line; checks what goes together. */
static int parse_args(int argc, char **argv, struct send_args *a) {
  a->o.pipelining = true;
  a->o.count = 1;
  a->o.timeout_ms = 30000;
  a->o.rcpts = a->rcpts;
  optind = 0; /* glibc: restart scanning (argv[0] is "send") */
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "vh", long_options, NULL)) != -1) {
    if (opt == '?' || opt == ':') {
      const char *bad = argv[optind - 1];
      return cli_usage_error(&cli, "bad option '%s'", bad ? bad : "?");
    }
    if (apply_option(a, opt, optarg) != EXIT_OK)
      return EXIT_USAGE;
  }
  if (a->help)
    return EXIT_OK;
  if (optind < argc && !a->server && optind + 1 == argc)
    a->server = argv[optind++]; /* `smtpcheck send HOST:PORT ...` works too */
  if (optind < argc)
    return cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
  if (!a->server)
    return cli_usage_error(&cli, "--server is required");
  if (!a->o.from)
    return cli_usage_error(&cli, "--from is required ('' for the null reverse-path)");
  if (a->o.nrcpts == 0)
    return cli_usage_error(&cli, "at least one --to is required");
  if (a->o.implicit_tls && a->o.starttls != SMTP_CLIENT_TLS_NONE)
    return cli_usage_error(&cli, "--tls and --starttls do not go together");
  if (a->o.ca_file && !a->o.tls_verify)
    return cli_usage_error(&cli, "--ca-file is only used with --tls-verify");
  if (a->o.tls_verify && !a->o.implicit_tls && a->o.starttls == SMTP_CLIENT_TLS_NONE)
    return cli_usage_error(&cli, "--tls-verify needs --tls or --starttls");
  const char *default_port = a->o.implicit_tls ? "465" : "25";
  if (hostport_parse(a->server, default_port, a->host, sizeof a->host, a->port, sizeof a->port) < 0)
    return cli_usage_error(&cli, "--server '%s' is not HOST[:PORT]", a->server);
  a->o.host = a->host;
  a->o.port = a->port;
  if (!a->o.ehlo) {
    if (gethostname(a->myname, sizeof a->myname - 1) != 0 || !a->myname[0])
      snprintf(a->myname, sizeof a->myname, "localhost");
    a->o.ehlo = a->myname;
  }
  return EXIT_OK;
}

/* cmd_send - parse, load the message, send it. */
int cmd_send(int argc, char **argv) {
  struct send_args *a = calloc(1, sizeof *a);
  char *content = NULL, err[512];
  size_t len = 0;
  int rc;
  if (!a) {
    fprintf(stderr, "smtpcheck send: out of memory\n");
    return EXIT_FINDING;
  }
  rc = parse_args(argc, argv, a);
  if (rc != EXIT_OK)
    goto out;
  if (a->help) {
    printf("%s\n%s", usage_line, help_text);
    goto out;
  }
  if (a->o.verbose)
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep the transcript in step with stderr */
  if (send_load_content(&a->o, &content, &len, err, sizeof err) < 0) {
    fprintf(stderr, "smtpcheck send: %s\n", err);
    rc = EXIT_USAGE;
    goto out;
  }
  rc = send_run(&a->o, content, len);
out:
  free(content);
  free(a);
  return rc;
}
