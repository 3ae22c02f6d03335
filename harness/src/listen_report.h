/* listen_report.h - the graded sessions of `smtpcheck listen` as a run_report, written
 * with the runner's report formats (report.h: report_write, report_status on .run)
 * after every session. */
#ifndef SMTPCHECK_LISTEN_REPORT_H
#define SMTPCHECK_LISTEN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "listen_session.h"
#include "runner.h"

/* Every session graded so far. Zero-fill. */
struct listen_report {
  struct run_report run;      /* results: one per check per session */
  struct script_test **tests; /* the per-session catalogue entries results point to */
  size_t ntests;
  size_t sessions;
  bool verbose; /* keep the transcript of passing checks too */
};

/* listen_report_add - grade a finished session (listen_session_finish called) into r:
 * one result per check, id "sN/check" with N = number (sessions are numbered in order of
 * acceptance and end in any order). peer and scenario name the session. Returns 0, or
 * -1 when out of memory. */
int listen_report_add(struct listen_report *r, size_t number, const struct listen_session *s,
                      const char *peer, const char *scenario, long duration_ms);

/* listen_report_save - write the report to path through a temporary file and rename(2),
 * so that a reader never sees half a report. */
int listen_report_save(const char *path, const struct listen_report *r, const char *format,
                       char *err, size_t errlen);

/* listen_report_free - release every result, transcript and catalogue copy. */
void listen_report_free(struct listen_report *r);

#endif
