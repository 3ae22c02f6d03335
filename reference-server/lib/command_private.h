/* command_private.h - what command.c and command_param.c share: one table of errors. */
#ifndef SMTP_COMMAND_PRIVATE_H
#define SMTP_COMMAND_PRIVATE_H

#include <stddef.h>

#include "smtp/command.h"

/* Every way a command can be refused; cmd_error_fill() turns one into its reply. */
enum cmd_err {
  CMD_ERR_UNKNOWN_VERB,     /* 500 5.5.2 */
  CMD_ERR_CONTROL,          /* 501 5.5.2 */
  CMD_ERR_NO_ARGS_ALLOWED,  /* 501 5.5.4 */
  CMD_ERR_ARG_REQUIRED,     /* 501 5.5.4 */
  CMD_ERR_BAD_DOMAIN,       /* 501 5.5.4 */
  CMD_ERR_MAIL_SYNTAX,      /* 501 5.5.4: not "FROM:" <path> */
  CMD_ERR_RCPT_SYNTAX,      /* 501 5.5.4: not "TO:" <path> */
  CMD_ERR_SENDER_SYNTAX,    /* 501 5.1.7 */
  CMD_ERR_SENDER_TOO_LONG,  /* 501 5.1.7 */
  CMD_ERR_RCPT_ADDR_SYNTAX, /* 501 5.1.3 */
  CMD_ERR_RCPT_TOO_LONG,    /* 501 5.1.3 */
  CMD_ERR_UTF8_ADDRESS,     /* 553 5.6.7 */
  CMD_ERR_PARAM_SYNTAX,     /* 501 5.5.4 */
  CMD_ERR_PARAM_DUPLICATE,  /* 501 5.5.4 */
  CMD_ERR_PARAM_TOO_MANY,   /* 501 5.5.4 */
  CMD_ERR_PARAM_UNKNOWN,    /* 555 5.5.4 */
  CMD_ERR_PARAM_VALUE,      /* 501 5.5.4 */
  CMD_ERR_AUTH_SYNTAX,      /* 501 5.5.2 */
  CMD_ERR_BDAT_SYNTAX,      /* 501 5.5.4 */
  CMD_ERR_COUNT
};

/* cmd_error_fill - the reply for one error, from the single table in command.c. */
void cmd_error_fill(enum cmd_err e, struct smtp_command_error *err);

/* cmd_params_parse - RFC 5321 4.1.2 esmtp-param *(SP esmtp-param) in p[0..n) for MAIL or
 * RCPT: stores them in out->params and decodes the known ones. 0 or -1 with *e set. */
int cmd_params_parse(const char *p, size_t n, unsigned extensions, struct smtp_command *out,
                     enum cmd_err *e);

#endif
