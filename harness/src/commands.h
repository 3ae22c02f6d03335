/* commands.h - the smtpcheck subcommands; each lives in its own cmd_<name>.c. */
#ifndef SMTPCHECK_COMMANDS_H
#define SMTPCHECK_COMMANDS_H

/* Exit statuses shared by every subcommand (DESIGN.md). */
enum smtpcheck_exit {
  EXIT_OK = 0,          /* no MUST failed / success */
  EXIT_FINDING = 1,     /* a MUST failed, a test errored, a delivery failed */
  EXIT_USAGE = 2,       /* bad command line */
  EXIT_UNREACHABLE = 3, /* the server could not be reached */
};

/* Each subcommand takes argv with argv[0] being the subcommand name. */
int cmd_run(int argc, char **argv);     /* conformance suite against a server */
int cmd_list(int argc, char **argv);    /* print the catalogue */
int cmd_send(int argc, char **argv);    /* send one message (swaks-like) */
int cmd_gen(int argc, char **argv);     /* grammar-generated fuzz corpora */
int cmd_repro(int argc, char **argv);   /* replay a corpus or crash file */
int cmd_listen(int argc, char **argv);  /* act as a server and grade SMTP clients */
int cmd_metrics(int argc, char **argv); /* print refsmtpd's live counters */

#endif
