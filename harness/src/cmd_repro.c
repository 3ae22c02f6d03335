/* cmd_repro.c - placeholder until its issue lands: says so and exits with the usage status. */
#include <stdio.h>

#include "commands.h"

/* cmd_repro - not built yet. */
int cmd_repro(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "smtpcheck repro: not implemented yet\n");
  return EXIT_USAGE;
}
