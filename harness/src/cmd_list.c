/* cmd_list.c - placeholder until its issue lands: says so and exits with the usage status. */
#include <stdio.h>

#include "commands.h"

/* cmd_list - not built yet. */
int cmd_list(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "smtpcheck list: not implemented yet\n");
  return EXIT_USAGE;
}
