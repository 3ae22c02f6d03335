/* repro_check.h - what the two session runners (repro_server.c, repro_client.c) share: the
 * first broken rule of a run, and the transcript events they send to a repro_trace. */
#ifndef SMTPCHECK_REPRO_CHECK_H
#define SMTPCHECK_REPRO_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "repro_session.h"

/* A run's verdict: failed once a rule broke; why holds the first broken rule. */
struct repro_check {
  char *why; /* the caller's buffer */
  size_t whylen;
  bool failed;
};

/* repro_fail - record a broken rule (only the first one is kept). */
void repro_fail(struct repro_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* repro_emit - send len octets as event ev to the trace (nothing without a trace). */
void repro_emit(const struct repro_trace *t, enum repro_event ev, const char *data, size_t len);

/* repro_note - a formatted transcript remark (REPRO_EV_NOTE, at most 255 octets). */
void repro_note(const struct repro_trace *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
