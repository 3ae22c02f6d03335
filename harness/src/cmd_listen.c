/* cmd_listen.c - placeholder until client grading lands: says so, exits with usage status. */
#include <stdio.h>

#include "commands.h"

/* cmd_listen - not built yet. */
int cmd_listen(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "smtpcheck listen: not implemented yet\n");
  return EXIT_USAGE;
}
