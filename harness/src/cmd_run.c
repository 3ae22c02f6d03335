/* cmd_run.c - placeholder until its issue lands: says so and exits with the usage status. */
#include <stdio.h>

#include "commands.h"

/* cmd_run - not built yet. */
int cmd_run(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "smtpcheck run: not implemented yet\n");
  return EXIT_USAGE;
}
