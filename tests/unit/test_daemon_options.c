/* test_daemon_options.c - refsmtpd's command line: values, defaults and every refusal. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <netinet/in.h>
#include <string.h>

#include "options.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* parse - run options_parse on a NULL-free argv array. */
static enum options_result parse(struct refsmtpd_options *o, int argc, const char **argv, char *err,
                                 size_t cap) {
  return options_parse(o, argc, (char **)argv, err, cap);
}

Test(daemon_options, a_minimal_command_line_gets_the_rfc_default_timeouts) {
  const char *argv[] = {"refsmtpd", "--listen", "127.0.0.1:2525", "--maildir", "/tmp/m"};
  struct refsmtpd_options o;
  char err[256];
  cr_assert_eq(parse(&o, ARGC(argv), argv, err, sizeof(err)), OPTIONS_OK, "%s", err);
  cr_assert_eq(o.nlisten, 1);
  cr_assert_eq(o.listen[0].kind, LISTEN_SMTP);
  cr_assert_str_eq(o.maildir, "/tmp/m");
  cr_assert_eq(o.timeout_command, 300, "RFC 5321 4.5.3.2.7: 5 minutes");
  cr_assert_eq(o.timeout_data, 180, "RFC 5321 4.5.3.2.5: 3 minutes");
  cr_assert_eq(o.command_deadline, 300, "a command line must end within the command timeout");
  cr_assert_eq(o.max_recipients, 100, "RFC 5321 4.5.3.1.8");
  cr_assert_eq(o.ndomains, 0);
  cr_assert_not(o.no_store);
}

Test(daemon_options, every_option_is_stored_in_both_spellings) {
  const char *argv[] = {"refsmtpd",
                        "--listen=127.0.0.1:25",
                        "--listen",
                        "[::1]:2525",
                        "--listen-tls",
                        "127.0.0.1:465",
                        "--listen-submission=127.0.0.1:587",
                        "--maildir",
                        "/m",
                        "--domain",
                        "a.example",
                        "--domain=b.example",
                        "--hostname",
                        "mx.example",
                        "--max-size",
                        "10M",
                        "--max-recipients",
                        "250",
                        "--timeout-command",
                        "7",
                        "--timeout-data=8",
                        "--timeout-tls",
                        "9",
                        "--max-sessions",
                        "5000",
                        "--max-per-ip",
                        "20",
                        "--tls-cert",
                        "c.pem",
                        "--tls-key",
                        "k.pem",
                        "--auth-users",
                        "users",
                        "--allow-plain-auth",
                        "--quiet"};
  struct refsmtpd_options o;
  char err[256];
  cr_assert_eq(parse(&o, ARGC(argv), argv, err, sizeof(err)), OPTIONS_OK, "%s", err);
  cr_assert_eq(o.nlisten, 4);
  cr_assert_eq(o.listen[0].ss.ss_family, AF_INET);
  cr_assert_eq(ntohs(((struct sockaddr_in *)&o.listen[0].ss)->sin_port), 25);
  cr_assert_eq(o.listen[1].ss.ss_family, AF_INET6);
  cr_assert_eq(ntohs(((struct sockaddr_in6 *)&o.listen[1].ss)->sin6_port), 2525);
  cr_assert_eq(o.listen[2].kind, LISTEN_TLS);
  cr_assert_eq(o.listen[3].kind, LISTEN_SUBMISSION);
  cr_assert_str_eq(o.listen[3].text, "127.0.0.1:587");
  cr_assert_eq(o.ndomains, 2);
  cr_assert_str_eq(o.domains[1], "b.example");
  cr_assert_str_eq(o.hostname, "mx.example");
  cr_assert_eq(o.max_size, 10u * 1024 * 1024);
  cr_assert_eq(o.max_recipients, 250);
  cr_assert_eq(o.timeout_command, 7);
  cr_assert_eq(o.timeout_data, 8);
  cr_assert_eq(o.timeout_tls, 9);
  cr_assert_eq(o.max_sessions, 5000);
  cr_assert_eq(o.max_per_ip, 20);
  cr_assert_str_eq(o.tls_cert, "c.pem");
  cr_assert_str_eq(o.tls_key, "k.pem");
  cr_assert_str_eq(o.auth_users, "users");
  cr_assert(o.allow_plain_auth);
  cr_assert(o.quiet);
}

Test(daemon_options, the_command_deadline_follows_the_command_timeout_unless_given) {
  const char *follows[] = {"refsmtpd",   "--listen",          "127.0.0.1:25",
                           "--no-store", "--timeout-command", "7"};
  const char *given[] = {"refsmtpd",           "--listen", "127.0.0.1:25",      "--no-store",
                         "--command-deadline", "3",        "--timeout-command", "7"};
  const char *longer[] = {"refsmtpd", "--listen", "127.0.0.1:25", "--no-store",
                          "--command-deadline=600"};
  struct refsmtpd_options o;
  char err[256];
  cr_assert_eq(parse(&o, ARGC(follows), follows, err, sizeof(err)), OPTIONS_OK, "%s", err);
  cr_assert_eq(o.command_deadline, 7, "unset, it is the command timeout given after it");
  cr_assert_eq(parse(&o, ARGC(given), given, err, sizeof(err)), OPTIONS_OK, "%s", err);
  cr_assert_eq(o.command_deadline, 3);
  cr_assert_eq(o.timeout_command, 7);
  cr_assert_eq(parse(&o, ARGC(longer), longer, err, sizeof(err)), OPTIONS_OK, "%s", err);
  cr_assert_eq(o.command_deadline, 600, "a deadline longer than the idle timeout is allowed");
}

Test(daemon_options, relay_and_metrics_options_are_stored_with_their_defaults) {
  const char *argv[] = {"refsmtpd",
                        "--listen",
                        "127.0.0.1:25",
                        "--maildir",
                        "/m",
                        "--queue",
                        "/q",
                        "--relay-host",
                        "mx.example:2525",
                        "--routes",
                        "/r",
                        "--relay-from",
                        "10.0.0.0/8",
                        "--relay-from=::1",
                        "--relay-tls",
                        "require",
                        "--retry-min",
                        "2",
                        "--retry-max",
                        "8",
                        "--queue-lifetime",
                        "60",
                        "--metrics",
                        "127.0.0.1:9100",
                        "--drain-timeout",
                        "5"};
  const char *minimal[] = {"refsmtpd", "--listen", "127.0.0.1:25", "--maildir", "/m"};
  struct refsmtpd_options o;
  char err[256];
  cr_assert_eq(parse(&o, ARGC(minimal), minimal, err, sizeof(err)), OPTIONS_OK, "%s", err);
  cr_assert_null(o.queue, "no relaying unless asked");
  cr_assert_eq(o.drain_timeout, 30);
  cr_assert_eq(o.relay_tls, RELAY_TLS_OPPORTUNISTIC);
  cr_assert_not(o.have_metrics);
  cr_assert_eq(o.queue_lifetime, 5 * 86400, "RFC 5321 4.5.4.1: 4-5 days");
  cr_assert_eq(parse(&o, ARGC(argv), argv, err, sizeof(err)), OPTIONS_OK, "%s", err);
  cr_assert_str_eq(o.queue, "/q");
  cr_assert_str_eq(o.relay_host, "mx.example:2525");
  cr_assert_str_eq(o.routes, "/r");
  cr_assert_eq(o.nrelay_from, 2);
  cr_assert_eq(o.relay_from[0].family, AF_INET);
  cr_assert_eq(o.relay_from[0].prefix, 8);
  cr_assert_eq(o.relay_from[1].family, AF_INET6);
  cr_assert_eq(o.relay_from[1].prefix, 128);
  cr_assert_eq(o.relay_tls, RELAY_TLS_REQUIRE);
  cr_assert_eq(o.retry_min, 2);
  cr_assert_eq(o.retry_max, 8);
  cr_assert_eq(o.queue_lifetime, 60);
  cr_assert(o.have_metrics);
  cr_assert_eq(ntohs(((struct sockaddr_in *)&o.metrics.ss)->sin_port), 9100);
  cr_assert_eq(o.drain_timeout, 5);
}

Test(daemon_options, no_store_needs_no_maildir) {
  const char *argv[] = {"refsmtpd", "--listen", "127.0.0.1:2525", "--no-store"};
  struct refsmtpd_options o;
  char err[256];
  cr_assert_eq(parse(&o, ARGC(argv), argv, err, sizeof(err)), OPTIONS_OK, "%s", err);
  cr_assert(o.no_store);
  cr_assert_null(o.maildir);
}

Test(daemon_options, help_is_recognised_anywhere) {
  const char *argv[] = {"refsmtpd", "--listen", "127.0.0.1:1", "--help"};
  struct refsmtpd_options o;
  char err[256];
  cr_assert_eq(parse(&o, ARGC(argv), argv, err, sizeof(err)), OPTIONS_HELP);
}

/* One refused command line and a word its message must contain. */
struct bad_case {
  const char *args[10];
  const char *expect;
};

static struct bad_case bad_cases[] = {
    {{"--maildir", "/m"}, "no --listen"},
    {{"--listen", "127.0.0.1:25"}, "--maildir"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--no-store"}, "exclude"},
    {{"--listen", "localhost:25", "--maildir", "/m"}, "not ADDR:PORT"},
    {{"--listen", "127.0.0.1", "--maildir", "/m"}, "not ADDR:PORT"},
    {{"--listen", "127.0.0.1:65536", "--maildir", "/m"}, "not ADDR:PORT"},
    {{"--listen", "::1:25", "--maildir", "/m"}, "not ADDR:PORT"},
    {{"--listen", "[::1]25", "--maildir", "/m"}, "not ADDR:PORT"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--bogus"}, "unknown option '--bogus'"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "stray"}, "unexpected argument 'stray'"},
    {{"--listen", "127.0.0.1:25", "--maildir"}, "needs a value"},
    {{"--listen", "127.0.0.1:25", "--no-store=yes"}, "takes no value"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--max-size", "12X"}, "--max-size"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--max-size", "-1"}, "--max-size"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--max-recipients", "99"}, "100"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--timeout-command", "0"}, "--timeout-command"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--timeout-data", "x"}, "--timeout-data"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--command-deadline", "0"}, "--command-deadline"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--command-deadline", "86401"},
     "--command-deadline"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--max-sessions", "0"}, "--max-sessions"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--domain", "a b"}, "--domain"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--domain", ""}, "--domain"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--tls-cert", "c"}, "go together"},
    {{"--listen-tls", "127.0.0.1:465", "--no-store"}, "--listen-tls needs"},
    {{"--listen-submission", "127.0.0.1:587", "--no-store"}, "--listen-submission needs"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--allow-plain-auth"}, "--auth-users"},
    {{"--listen-submission", "127.0.0.1:587", "--no-store", "--auth-users", "u"},
     "--allow-plain-auth"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--queue", "q", "--relay-host", "h:25"},
     "--queue needs --maildir"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--relay-host", "h:25"}, "need --queue"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--relay-from", "10.0.0.0/8"}, "need --queue"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--queue", "q"}, "needs a next hop"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--relay-host", "nohost"}, "--relay-host"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--relay-host", "h:0"}, "--relay-host"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--relay-from", "10.0.0.0/40"},
     "--relay-from"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--relay-tls", "maybe"}, "--relay-tls"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--retry-min", "0"}, "--retry-min"},
    {{"--listen", "127.0.0.1:25", "--no-store", "--retry-max", "5", "--retry-min", "10"},
     "--retry-max"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--metrics", "0.0.0.0:9100"}, "loopback"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--metrics", "[::]:9100"}, "loopback"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--metrics", "9100"}, "--metrics"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--drain-timeout", "0"}, "--drain-timeout"},
    {{"--listen", "127.0.0.1:25", "--maildir", "/m", "--queue-lifetime", "x"}, "--queue-lifetime"},
};

/* Criterion may run each parameter in a fresh process image: pass indices, not pointers. */
static size_t bad_index[sizeof(bad_cases) / sizeof(bad_cases[0])];

ParameterizedTestParameters(daemon_options, bad_command_lines_are_refused_with_a_reason) {
  for (size_t i = 0; i < sizeof(bad_index) / sizeof(bad_index[0]); i++)
    bad_index[i] = i;
  return cr_make_param_array(size_t, bad_index, sizeof(bad_index) / sizeof(bad_index[0]));
}

ParameterizedTest(size_t *index, daemon_options, bad_command_lines_are_refused_with_a_reason) {
  const struct bad_case *c = &bad_cases[*index];
  const char *argv[12] = {"refsmtpd"};
  int argc = 1;
  struct refsmtpd_options o;
  char err[256];
  for (int i = 0; i < 10 && c->args[i] != NULL; i++)
    argv[argc++] = c->args[i];
  cr_assert_eq(parse(&o, argc, argv, err, sizeof(err)), OPTIONS_ERROR, "case %zu accepted", *index);
  cr_assert_not_null(strstr(err, c->expect), "case %zu: message '%s' lacks '%s'", *index, err,
                     c->expect);
}

Test(daemon_options, too_many_listen_addresses_are_refused) {
  const char *argv[2 + 2 * (REFSMTPD_MAX_LISTEN + 1)];
  int argc = 0;
  struct refsmtpd_options o;
  char err[256];
  argv[argc++] = "refsmtpd";
  argv[argc++] = "--no-store";
  for (int i = 0; i <= REFSMTPD_MAX_LISTEN; i++) {
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:25";
  }
  cr_assert_eq(parse(&o, argc, argv, err, sizeof(err)), OPTIONS_ERROR);
  cr_assert_not_null(strstr(err, "too many"), "%s", err);
}

Test(daemon_options, listen_addresses_parse_as_numeric_ipv4_and_bracketed_ipv6) {
  struct listen_addr a;
  cr_assert_eq(listen_addr_parse("0.0.0.0:0", LISTEN_SMTP, &a), 0);
  cr_assert_eq(a.len, sizeof(struct sockaddr_in));
  cr_assert_eq(listen_addr_parse("[::]:25", LISTEN_TLS, &a), 0);
  cr_assert_eq(a.len, sizeof(struct sockaddr_in6));
  cr_assert_eq(a.kind, LISTEN_TLS);
  cr_assert_eq(listen_addr_parse("[::1]:", LISTEN_SMTP, &a), -1, "an empty port");
  cr_assert_eq(listen_addr_parse("1.2.3.4:25x", LISTEN_SMTP, &a), -1);
  cr_assert_eq(listen_addr_parse("1.2.3.4:+25", LISTEN_SMTP, &a), -1);
  cr_assert_eq(listen_addr_parse("[fe80::1%lo]:25", LISTEN_SMTP, &a), -1);
}
