/* cli.h - what the subcommands' command lines share: the usage error, "--name VALUE" /
 * "--name=VALUE" options, and seconds given as a number. */
#ifndef SMTPCHECK_CLI_H
#define SMTPCHECK_CLI_H

#include <stdbool.h>

/* One subcommand's name and usage text, for its messages. */
struct cli {
  const char *name;  /* "run": messages start "smtpcheck run: " */
  const char *usage; /* printed after a usage error, ends in '\n' */
};

/* cli_usage_error - "smtpcheck NAME: message" and the usage on stderr; returns EXIT_USAGE. */
int cli_usage_error(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* cli_option_value - the value of argv[*i] if it is "--name VALUE" (then *i moves to the
 * value) or "--name=VALUE"; NULL if it is another option, or (with *missing set) when
 * VALUE is missing at the end of argv. */
const char *cli_option_value(int argc, char **argv, int *i, const char *name, bool *missing);

/* cli_count - a decimal whole number from 1 to max (max < LONG_MAX), or -1. */
long cli_count(const char *v, long max);

/* cli_seconds - "N" or "N.N" seconds in (0, max_s] as milliseconds (at least 1), or -1. */
long cli_seconds(const char *v, double max_s);

/* What a subcommand's parse_args returns for --help/-h (its caller prints usage, exits 0). */
#define CLI_HELP (-1)

/* cli_is_help - arg asks for the subcommand's help ("--help" or "-h"). */
bool cli_is_help(const char *arg);

#endif
