/* cmd_gen.c - placeholder until its issue lands: says so and exits with the usage status. */
#include <stdio.h>

#include "commands.h"

/* cmd_gen - not built yet. */
int cmd_gen(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "smtpcheck gen: not implemented yet\n");
  return EXIT_USAGE;
}
