/* main.c - smtpcheck: dispatch to the subcommand named by argv[1]. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* One subcommand: its name, entry point and one line of help. */
struct subcommand {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *about;
};

static const struct subcommand subcommands[] = {
    {"run", cmd_run, "run the conformance suite against HOST[:PORT]"},
    {"list", cmd_list, "print the test catalogue"},
    {"send", cmd_send, "send one message (like swaks)"},
    {"gen", cmd_gen, "write grammar-generated fuzz inputs"},
    {"repro", cmd_repro, "replay a corpus or crash file, in-process or over the network"},
    {"listen", cmd_listen, "act as an SMTP server and grade the clients that connect"},
    {"metrics", cmd_metrics, "print refsmtpd's live counters (its --metrics endpoint)"},
};

/* usage - print the subcommands to f. */
static void usage(FILE *f) {
  fprintf(f, "usage: smtpcheck COMMAND [OPTIONS] ...\n\ncommands:\n");
  for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
    fprintf(f, "  %-7s %s\n", subcommands[i].name, subcommands[i].about);
  fprintf(f, "\n'smtpcheck COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return EXIT_OK;
  }
  for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
    if (!strcmp(argv[1], subcommands[i].name))
      return subcommands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "smtpcheck: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return EXIT_USAGE;
}
