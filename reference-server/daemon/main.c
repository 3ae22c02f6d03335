/* main.c - refsmtpd: parse options, open the Maildir and sockets, run the loop.
 * Exit status: 0 after a clean drain, 1 when start-up fails, 2 for bad options. */
#include <stdio.h>

#include "daemon.h"
#include "options.h"

/* main - refsmtpd's entry point. */
int main(int argc, char **argv) {
  struct refsmtpd_options opt;
  struct daemon d;
  char err[512];
  int rc;

  switch (options_parse(&opt, argc, argv, err, sizeof(err))) {
  case OPTIONS_HELP:
    options_usage(stdout);
    return 0;
  case OPTIONS_ERROR:
    fprintf(stderr, "refsmtpd: %s\n", err);
    options_usage(stderr);
    return 2;
  case OPTIONS_OK:
    break;
  }
  if (daemon_init(&d, &opt, err, sizeof(err)) != 0) {
    fprintf(stderr, "refsmtpd: %s\n", err);
    daemon_free(&d);
    return 1;
  }
  rc = daemon_run(&d);
  daemon_free(&d);
  return rc;
}
