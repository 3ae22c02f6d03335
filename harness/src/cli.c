/* cli.c - the command-line pieces every subcommand parses the same way. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* cli_usage_error - the message, then the usage that says how to do it right. */
int cli_usage_error(const struct cli *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "smtpcheck %s: ", c->name);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n%s", c->usage);
  va_end(ap);
  return EXIT_USAGE;
}

/* cli_option_value - both GNU spellings of an option with a value. */
const char *cli_option_value(int argc, char **argv, int *i, const char *name, bool *missing) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0)
    return NULL;
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] != '\0')
    return NULL;
  if (*i + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*i];
}

/* cli_count - a decimal count: no empty value, no trailing text, no overflow. */
long cli_count(const char *v, long max) {
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  return end != v && !*end && errno == 0 && n >= 1 && n <= max ? n : -1;
}

/* cli_seconds - a positive decimal number of seconds, rounded to milliseconds. */
long cli_seconds(const char *v, double max_s) {
  char *end;
  double t = strtod(v, &end);
  if (end == v || *end || !(t > 0) || t > max_s)
    return -1;
  long ms = (long)(t * 1000 + 0.5);
  return ms < 1 ? 1 : ms;
}

/* cli_is_help - arg asks for the subcommand's help ("--help" or "-h"). */
bool cli_is_help(const char *arg) {
  return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}
