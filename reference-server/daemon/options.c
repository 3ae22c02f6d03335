/* options.c - parse and validate refsmtpd's command line (exit status 2 on any error). */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

/* Every option, so one table drives parsing. */
enum opt_id {
  OPT_LISTEN,
  OPT_LISTEN_TLS,
  OPT_LISTEN_SUBMISSION,
  OPT_MAILDIR,
  OPT_DOMAIN,
  OPT_HOSTNAME,
  OPT_MAX_SIZE,
  OPT_MAX_RECIPIENTS,
  OPT_TIMEOUT_COMMAND,
  OPT_TIMEOUT_DATA,
  OPT_COMMAND_DEADLINE,
  OPT_TIMEOUT_TLS,
  OPT_MAX_SESSIONS,
  OPT_MAX_PER_IP,
  OPT_NO_STORE,
  OPT_QUIET,
  OPT_TLS_CERT,
  OPT_TLS_KEY,
  OPT_AUTH_USERS,
  OPT_ALLOW_PLAIN_AUTH,
  OPT_RELAY_FROM,
  OPT_QUEUE,
  OPT_RELAY_HOST,
  OPT_ROUTES,
  OPT_RELAY_TLS,
  OPT_RELAY_CA,
  OPT_RETRY_MIN,
  OPT_RETRY_MAX,
  OPT_QUEUE_LIFETIME,
  OPT_MAX_RELAY_CONNS,
  OPT_METRICS,
  OPT_DRAIN_TIMEOUT,
  OPT_HELP,
};

/* One row of the option table. */
struct opt_spec {
  const char *name;
  enum opt_id id;
  bool has_arg;
};

static const struct opt_spec opt_table[] = {
    {"listen", OPT_LISTEN, true},
    {"listen-tls", OPT_LISTEN_TLS, true},
    {"listen-submission", OPT_LISTEN_SUBMISSION, true},
    {"maildir", OPT_MAILDIR, true},
    {"domain", OPT_DOMAIN, true},
    {"hostname", OPT_HOSTNAME, true},
    {"max-size", OPT_MAX_SIZE, true},
    {"max-recipients", OPT_MAX_RECIPIENTS, true},
    {"timeout-command", OPT_TIMEOUT_COMMAND, true},
    {"timeout-data", OPT_TIMEOUT_DATA, true},
    {"command-deadline", OPT_COMMAND_DEADLINE, true},
    {"timeout-tls", OPT_TIMEOUT_TLS, true},
    {"max-sessions", OPT_MAX_SESSIONS, true},
    {"max-per-ip", OPT_MAX_PER_IP, true},
    {"no-store", OPT_NO_STORE, false},
    {"quiet", OPT_QUIET, false},
    {"tls-cert", OPT_TLS_CERT, true},
    {"tls-key", OPT_TLS_KEY, true},
    {"auth-users", OPT_AUTH_USERS, true},
    {"allow-plain-auth", OPT_ALLOW_PLAIN_AUTH, false},
    {"relay-from", OPT_RELAY_FROM, true},
    {"queue", OPT_QUEUE, true},
    {"relay-host", OPT_RELAY_HOST, true},
    {"routes", OPT_ROUTES, true},
    {"relay-tls", OPT_RELAY_TLS, true},
    {"relay-ca", OPT_RELAY_CA, true},
    {"retry-min", OPT_RETRY_MIN, true},
    {"retry-max", OPT_RETRY_MAX, true},
    {"queue-lifetime", OPT_QUEUE_LIFETIME, true},
    {"max-relay-conns", OPT_MAX_RELAY_CONNS, true},
    {"metrics", OPT_METRICS, true},
    {"drain-timeout", OPT_DRAIN_TIMEOUT, true},
    {"help", OPT_HELP, false},
};

/* options_usage - print the usage text. */
void options_usage(FILE *f) {
  fputs("usage: refsmtpd --listen ADDR:PORT (--maildir DIR | --no-store) [options]\n"
        "  --listen ADDR:PORT             SMTP (repeatable; IPv6 as [::1]:2525)\n"
        "  --listen-tls ADDR:PORT         implicit TLS, RFC 8314 (needs --tls-cert/--tls-key)\n"
        "  --listen-submission ADDR:PORT  submission, AUTH required (needs --auth-users)\n"
        "  --maildir DIR                  deliver every accepted message into this Maildir\n"
        "                                 (one file per message, whatever its recipients)\n"
        "  --no-store                     accept messages and discard them (benchmarks)\n"
        "  --domain NAME                  a local domain (repeatable; default: the hostname)\n"
        "  --hostname NAME                name in the greeting and Received: (default: host)\n"
        "  --max-size OCTETS              SIZE limit, RFC 1870 (K/M suffix; 0 = none; 35M)\n"
        "  --max-recipients N             recipients per message (at least 100; 100)\n"
        "  --timeout-command SECS         idle limit between commands (300, RFC 5321 4.5.3.2)\n"
        "  --timeout-data SECS            idle limit inside message data (180)\n"
        "  --command-deadline SECS        a command line must end this long after its first\n"
        "                                 octet, however it trickles in (the command timeout)\n"
        "  --timeout-tls SECS             TLS handshake limit (30)\n"
        "  --max-sessions N               concurrent sessions (10000); more get 421\n"
        "  --max-per-ip N                 concurrent sessions per client address (0 = none)\n"
        "  --tls-cert FILE --tls-key FILE PEM certificate chain and key: offer STARTTLS\n"
        "  --auth-users FILE              user:hash lines (openssl passwd -6): offer AUTH\n"
        "  --allow-plain-auth             offer AUTH without TLS too (default: TLS only)\n"
        "relaying (mail from authenticated clients or --relay-from networks to other domains):\n"
        "  --queue DIR                    durable queue of mail to relay (needs --maildir,\n"
        "                                 where bounces to local senders are delivered)\n"
        "  --relay-from CIDR              a network that may relay (repeatable; 10.0.0.0/8, ::1)\n"
        "  --relay-host HOST:PORT         next hop for every non-local domain without a route\n"
        "  --routes FILE                  'domain HOST:PORT' lines: per-domain next hops\n"
        "  --relay-tls MODE               STARTTLS to the next hop: opportunistic (default),\n"
        "                                 require (encrypted, peer not checked), none, or\n"
        "                                 verify: required, and the certificate must chain\n"
        "                                 to a trusted CA and match the next hop's host name\n"
        "                                 (or IP address) from --relay-host/--routes; a\n"
        "                                 failure defers the message (retried, then bounced)\n"
        "  --relay-ca FILE                PEM CA certificates for --relay-tls verify\n"
        "                                 (default: the system's trusted CA store)\n"
        "  --retry-min SECS               first retry after a 4xx or failed connection (60)\n"
        "  --retry-max SECS               longest wait between retries (3600)\n"
        "  --queue-lifetime SECS          bounce what is still undelivered after this (432000)\n"
        "  --max-relay-conns N            outbound connections at once (20)\n"
        "  --metrics 127.0.0.1:PORT       Prometheus text counters at GET /metrics (loopback)\n"
        "  --drain-timeout SECS           after SIGTERM, cut sessions still open after this (30)\n"
        "  --quiet                        no per-session log lines\n"
        "  --help                         this text\n",
        f);
}

/* fail - format a message into err and return OPTIONS_ERROR. */
static enum options_result fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum options_result fail(char *err, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  return OPTIONS_ERROR;
}

/* parse_u64 - a decimal number with an optional K/M/G suffix (binary multiples). */
static int parse_u64(const char *s, bool suffix, uint64_t max, uint64_t *out) {
  char *end = NULL;
  unsigned long long v;
  uint64_t mult = 1;

  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0)
    return -1;
  if (suffix && *end != '\0' && end[1] == '\0') {
    switch (*end) {
    case 'k':
    case 'K':
      mult = 1024;
      break;
    case 'm':
    case 'M':
      mult = 1024 * 1024;
      break;
    case 'g':
    case 'G':
      mult = 1024 * 1024 * 1024;
      break;
    default:
      return -1;
    }
    end++;
  }
  if (*end != '\0' || v > max / mult)
    return -1;
  *out = (uint64_t)v * mult;
  return 0;
}

/* parse_uint - an unsigned number in [min, max]. */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out) {
  uint64_t v;
  if (parse_u64(s, false, max, &v) != 0 || v < min)
    return -1;
  *out = (unsigned)v;
  return 0;
}

/* listen_addr_parse - parse "1.2.3.4:25" or "[::1]:25" (numeric only). 0 or -1. */
int listen_addr_parse(const char *text, enum listen_kind kind, struct listen_addr *out) {
  char host[64];
  const char *colon, *port_text;
  size_t hlen;
  unsigned port;

  memset(out, 0, sizeof(*out));
  if (strlen(text) >= sizeof(out->text))
    return -1;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (close == NULL || close[1] != ':')
      return -1;
    hlen = (size_t)(close - text - 1);
    if (hlen >= sizeof(host))
      return -1;
    memcpy(host, text + 1, hlen);
    port_text = close + 2;
  } else {
    colon = strrchr(text, ':');
    if (colon == NULL)
      return -1;
    hlen = (size_t)(colon - text);
    if (hlen >= sizeof(host))
      return -1;
    memcpy(host, text, hlen);
    port_text = colon + 1;
  }
  host[hlen] = '\0';
  if (parse_uint(port_text, 0, 65535, &port) != 0)
    return -1;
  if (text[0] == '[') {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
      return -1;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    out->len = sizeof(*sin6);
  } else {
    struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
      return -1;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    out->len = sizeof(*sin);
  }
  out->kind = kind;
  memcpy(out->text, text, strlen(text) + 1);
  return 0;
}

/* relay_tls_mode_parse - the --relay-tls mode by name. */
int relay_tls_mode_parse(const char *text, enum relay_tls_mode *out) {
  static const struct {
    const char *name;
    enum relay_tls_mode mode;
  } modes[] = {{"opportunistic", RELAY_TLS_OPPORTUNISTIC},
               {"require", RELAY_TLS_REQUIRE},
               {"verify", RELAY_TLS_VERIFY},
               {"none", RELAY_TLS_NONE}};
  for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    if (strcmp(text, modes[i].name) == 0) {
      *out = modes[i].mode;
      return 0;
    }
  }
  return -1;
}

/* host_port_valid - "name:port" or "[v6]:port" with a port from 1 to 65535. 0 or -1. */
int host_port_valid(const char *text) {
  const char *colon = strrchr(text, ':');
  unsigned port;
  size_t hlen;
  if (colon == NULL)
    return -1;
  hlen = (size_t)(colon - text);
  if (hlen == 0 || hlen > 255 || strpbrk(text, " \t\r\n/@") != NULL)
    return -1;
  if (text[0] == '[' && text[hlen - 1] != ']')
    return -1;
  return parse_uint(colon + 1, 1, 65535, &port);
}

/* options_defaults - the values before any option is read. */
static void options_defaults(struct refsmtpd_options *o) {
  memset(o, 0, sizeof(*o));
  o->max_size = 35u * 1024 * 1024;
  o->max_recipients = 100;
  o->timeout_command = 300; /* RFC 5321 4.5.3.2.7 */
  o->timeout_data = 180;    /* RFC 5321 4.5.3.2.5 */
  o->timeout_tls = 30;
  o->max_sessions = 10000;
  o->retry_min = 60;
  o->retry_max = 3600;
  o->queue_lifetime = 5 * 86400; /* RFC 5321 4.5.4.1: give up after 4-5 days */
  o->max_relay_conns = 20;
  o->drain_timeout = 30;
}

/* find_opt - the table row for a long option name of length len, or NULL. */
static const struct opt_spec *find_opt(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++)
    if (strlen(opt_table[i].name) == len && memcmp(opt_table[i].name, name, len) == 0)
      return &opt_table[i];
  return NULL;
}

/* apply - store one option's value into *o. */
static enum options_result apply(struct refsmtpd_options *o, const struct opt_spec *spec,
                                 const char *val, char *err, size_t cap) {
  static const enum listen_kind kinds[] = {LISTEN_SMTP, LISTEN_TLS, LISTEN_SUBMISSION};
  uint64_t u64;

  switch (spec->id) {
  case OPT_LISTEN:
  case OPT_LISTEN_TLS:
  case OPT_LISTEN_SUBMISSION:
    if (o->nlisten == REFSMTPD_MAX_LISTEN)
      return fail(err, cap, "too many listening addresses (at most %d)", REFSMTPD_MAX_LISTEN);
    if (listen_addr_parse(val, kinds[spec->id - OPT_LISTEN], &o->listen[o->nlisten]) != 0)
      return fail(err, cap, "--%s: '%s' is not ADDR:PORT (numeric, IPv6 as [::1]:2525)", spec->name,
                  val);
    o->nlisten++;
    break;
  case OPT_MAILDIR:
    o->maildir = val;
    break;
  case OPT_DOMAIN:
    if (o->ndomains == REFSMTPD_MAX_DOMAINS)
      return fail(err, cap, "too many --domain options (at most %d)", REFSMTPD_MAX_DOMAINS);
    /* RFC 5321 4.5.3.1.2: a domain is at most 255 octets. */
    if (val[0] == '\0' || strlen(val) > 255 || strpbrk(val, " \t\r\n<>@") != NULL)
      return fail(err, cap, "--domain: '%s' is not a domain name", val);
    o->domains[o->ndomains++] = val;
    break;
  case OPT_HOSTNAME:
    if (val[0] == '\0' || strlen(val) > 255 || strpbrk(val, " \t\r\n<>@()") != NULL)
      return fail(err, cap, "--hostname: '%s' is not a host name", val);
    o->hostname = val;
    break;
  case OPT_MAX_SIZE:
    if (parse_u64(val, true, UINT64_MAX / 2, &u64) != 0)
      return fail(err, cap, "--max-size: '%s' is not a size in octets", val);
    o->max_size = u64;
    break;
  case OPT_MAX_RECIPIENTS:
    /* RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted. */
    if (parse_uint(val, 100, 1000000, &o->max_recipients) != 0)
      return fail(err, cap, "--max-recipients: '%s' is not a number from 100 to 1000000", val);
    break;
  case OPT_TIMEOUT_COMMAND:
    if (parse_uint(val, 1, 86400, &o->timeout_command) != 0)
      return fail(err, cap, "--timeout-command: '%s' is not 1 to 86400 seconds", val);
    break;
  case OPT_TIMEOUT_DATA:
    if (parse_uint(val, 1, 86400, &o->timeout_data) != 0)
      return fail(err, cap, "--timeout-data: '%s' is not 1 to 86400 seconds", val);
    break;
  case OPT_COMMAND_DEADLINE:
    if (parse_uint(val, 1, 86400, &o->command_deadline) != 0)
      return fail(err, cap, "--command-deadline: '%s' is not 1 to 86400 seconds", val);
    break;
  case OPT_TIMEOUT_TLS:
    if (parse_uint(val, 1, 3600, &o->timeout_tls) != 0)
      return fail(err, cap, "--timeout-tls: '%s' is not 1 to 3600 seconds", val);
    break;
  case OPT_MAX_SESSIONS:
    if (parse_uint(val, 1, 1000000, &o->max_sessions) != 0)
      return fail(err, cap, "--max-sessions: '%s' is not a number from 1 to 1000000", val);
    break;
  case OPT_MAX_PER_IP:
    if (parse_uint(val, 0, 1000000, &o->max_per_ip) != 0)
      return fail(err, cap, "--max-per-ip: '%s' is not a number from 0 to 1000000", val);
    break;
  case OPT_NO_STORE:
    o->no_store = true;
    break;
  case OPT_QUIET:
    o->quiet = true;
    break;
  case OPT_TLS_CERT:
    o->tls_cert = val;
    break;
  case OPT_TLS_KEY:
    o->tls_key = val;
    break;
  case OPT_AUTH_USERS:
    o->auth_users = val;
    break;
  case OPT_ALLOW_PLAIN_AUTH:
    o->allow_plain_auth = true;
    break;
  case OPT_RELAY_FROM:
    if (o->nrelay_from == REFSMTPD_MAX_RELAY_FROM)
      return fail(err, cap, "too many --relay-from networks (at most %d)", REFSMTPD_MAX_RELAY_FROM);
    if (cidr_parse(val, &o->relay_from[o->nrelay_from]) != 0)
      return fail(err, cap, "--relay-from: '%s' is not ADDRESS[/PREFIX]", val);
    o->nrelay_from++;
    break;
  case OPT_QUEUE:
    o->queue = val;
    break;
  case OPT_RELAY_HOST:
    if (host_port_valid(val) != 0)
      return fail(err, cap, "--relay-host: '%s' is not HOST:PORT", val);
    o->relay_host = val;
    break;
  case OPT_ROUTES:
    o->routes = val;
    break;
  case OPT_RELAY_TLS:
    if (relay_tls_mode_parse(val, &o->relay_tls) != 0)
      return fail(err, cap, "--relay-tls: '%s' is not opportunistic, require, verify or none", val);
    break;
  case OPT_RELAY_CA:
    o->relay_ca = val;
    break;
  case OPT_RETRY_MIN:
    if (parse_uint(val, 1, 86400, &o->retry_min) != 0)
      return fail(err, cap, "--retry-min: '%s' is not 1 to 86400 seconds", val);
    break;
  case OPT_RETRY_MAX:
    if (parse_uint(val, 1, 86400, &o->retry_max) != 0)
      return fail(err, cap, "--retry-max: '%s' is not 1 to 86400 seconds", val);
    break;
  case OPT_QUEUE_LIFETIME:
    if (parse_uint(val, 1, 30 * 86400, &o->queue_lifetime) != 0)
      return fail(err, cap, "--queue-lifetime: '%s' is not 1 to 2592000 seconds", val);
    break;
  case OPT_MAX_RELAY_CONNS:
    if (parse_uint(val, 1, 10000, &o->max_relay_conns) != 0)
      return fail(err, cap, "--max-relay-conns: '%s' is not a number from 1 to 10000", val);
    break;
  case OPT_METRICS:
    if (listen_addr_parse(val, LISTEN_SMTP, &o->metrics) != 0)
      return fail(err, cap, "--metrics: '%s' is not ADDR:PORT (numeric)", val);
    /* Counters reveal traffic: served only where local users can reach them. */
    if (!listen_addr_is_loopback(&o->metrics))
      return fail(err, cap, "--metrics: '%s' is not a loopback address (127.0.0.0/8 or [::1])",
                  val);
    o->have_metrics = true;
    break;
  case OPT_DRAIN_TIMEOUT:
    if (parse_uint(val, 1, 86400, &o->drain_timeout) != 0)
      return fail(err, cap, "--drain-timeout: '%s' is not 1 to 86400 seconds", val);
    break;
  case OPT_HELP:
    return OPTIONS_HELP;
  }
  return OPTIONS_OK;
}

/* validate - the rules that involve more than one option. */
static enum options_result validate(const struct refsmtpd_options *o, char *err, size_t cap) {
  bool want_tls = false, want_auth = false;

  if (o->nlisten == 0)
    return fail(err, cap, "no --listen address given");
  if (o->maildir == NULL && !o->no_store)
    return fail(err, cap, "give --maildir DIR (or --no-store to discard messages)");
  if (o->maildir != NULL && o->no_store)
    return fail(err, cap, "--maildir and --no-store exclude each other");
  if ((o->tls_cert == NULL) != (o->tls_key == NULL))
    return fail(err, cap, "--tls-cert and --tls-key go together");
  for (size_t i = 0; i < o->nlisten; i++) {
    want_tls |= o->listen[i].kind == LISTEN_TLS;
    want_auth |= o->listen[i].kind == LISTEN_SUBMISSION;
  }
  if (want_tls && o->tls_cert == NULL)
    return fail(err, cap, "--listen-tls needs --tls-cert and --tls-key");
  if (want_auth && o->auth_users == NULL)
    return fail(err, cap, "--listen-submission needs --auth-users");
  /* RFC 4954 4: without TLS and without --allow-plain-auth no client could ever
   * authenticate, so a submission port would refuse every message. */
  if (want_auth && o->tls_cert == NULL && !o->allow_plain_auth)
    return fail(err, cap, "--listen-submission needs --tls-cert/--tls-key or --allow-plain-auth");
  if (o->allow_plain_auth && o->auth_users == NULL)
    return fail(err, cap, "--allow-plain-auth needs --auth-users");
  if (o->queue != NULL && o->maildir == NULL)
    return fail(err, cap, "--queue needs --maildir (bounces to local senders go there)");
  if (o->queue == NULL && (o->relay_host != NULL || o->routes != NULL || o->nrelay_from > 0))
    return fail(err, cap, "--relay-host, --routes and --relay-from need --queue DIR");
  if (o->queue != NULL && o->relay_host == NULL && o->routes == NULL)
    return fail(err, cap, "--queue needs a next hop: --relay-host HOST:PORT or --routes FILE");
  /* A CA file that would be ignored would look like verification that is not done. */
  if (o->relay_ca != NULL && o->relay_tls != RELAY_TLS_VERIFY)
    return fail(err, cap, "--relay-ca %s needs --relay-tls verify", o->relay_ca);
  if (o->relay_ca != NULL && tls_ca_file_check(o->relay_ca, err, cap) != 0)
    return OPTIONS_ERROR;
  if (o->relay_tls == RELAY_TLS_VERIFY && o->queue == NULL)
    return fail(err, cap, "--relay-tls verify needs --queue DIR (it is about relaying)");
  if (o->retry_min > o->retry_max)
    return fail(err, cap, "--retry-min (%u) is longer than --retry-max (%u)", o->retry_min,
                o->retry_max);
  return OPTIONS_OK;
}

/* options_parse - fill *o from argv[1..argc-1] (defaults first); err gets a message. */
enum options_result options_parse(struct refsmtpd_options *o, int argc, char **argv, char *err,
                                  size_t errcap) {
  options_defaults(o);
  if (errcap > 0)
    err[0] = '\0';
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *name, *eq, *val = NULL;
    const struct opt_spec *spec;
    enum options_result r;

    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
      return fail(err, errcap, "unexpected argument '%s'", arg);
    name = arg + 2;
    eq = strchr(name, '=');
    spec = find_opt(name, eq != NULL ? (size_t)(eq - name) : strlen(name));
    if (spec == NULL)
      return fail(err, errcap, "unknown option '%s'", arg);
    if (spec->has_arg) {
      if (eq != NULL)
        val = eq + 1;
      else if (i + 1 < argc)
        val = argv[++i];
      else
        return fail(err, errcap, "option '--%s' needs a value", spec->name);
    } else if (eq != NULL) {
      return fail(err, errcap, "option '--%s' takes no value", spec->name);
    }
    r = apply(o, spec, val, err, errcap);
    if (r != OPTIONS_OK)
      return r;
  }
  /* Unset, the per-line deadline is the command timeout: without it a client sending
   * one octet at a time just inside the timeout would hold a session for ever. */
  if (o->command_deadline == 0)
    o->command_deadline = o->timeout_command;
  return validate(o, err, errcap);
}
