/* repro_print.h - the transcript printer of `smtpcheck repro` (escaped, one line each). */
#ifndef SMTPCHECK_REPRO_PRINT_H
#define SMTPCHECK_REPRO_PRINT_H

#include <stddef.h>
#include <stdio.h>

#include "repro_session.h"

/* How transcript lines are printed. */
struct repro_printer {
  FILE *out;
  const char *client_tag; /* "C:" */
  const char *server_tag; /* "S:" */
};

/* repro_print_event - a repro_trace callback (ctx: struct repro_printer). Client and
 * server octets are split after each LF; CR, LF, NUL, TAB, '\\' and octets outside
 * 0x20..0x7e are shown as escapes, so a line shows exactly what went over the wire. */
void repro_print_event(void *ctx, enum repro_event ev, const char *data, size_t len);

/* repro_print_escaped - one escaped fragment (no newline added). */
void repro_print_escaped(FILE *out, const char *data, size_t len);

#endif
