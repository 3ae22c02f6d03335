/* cmd_metrics.h - the metrics subcommand's entry (to join commands.h when wired in). */
#ifndef SMTPCHECK_CMD_METRICS_H
#define SMTPCHECK_CMD_METRICS_H

/* cmd_metrics - print refsmtpd's --metrics counters (smtpcheck metrics HOST:PORT). */
int cmd_metrics(int argc, char **argv);

#endif
