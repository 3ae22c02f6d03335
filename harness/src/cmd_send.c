/* cmd_send.c - placeholder until its issue lands: says so and exits with the usage status. */
#include <stdio.h>

#include "commands.h"

/* cmd_send - not built yet. */
int cmd_send(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "smtpcheck send: not implemented yet\n");
  return EXIT_USAGE;
}
