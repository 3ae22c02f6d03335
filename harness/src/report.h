/* report.h - the four report formats of `smtpcheck run`: text, TAP, JUnit XML, JSON. */
#ifndef SMTPCHECK_REPORT_H
#define SMTPCHECK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "runner.h"

/* Counts of a run, as the summary line states them. */
struct report_counts {
  size_t total, pass, fail, skip, error;
  size_t fail_by_level[3]; /* indexed by enum script_level of the failure */
};

/* report_count - tally the results. */
void report_count(const struct run_report *r, struct report_counts *c);

/* report_summary - the closing line in countable units, without a newline:
 * "148 tests: 139 passed, 4 failed (1 MUST, 3 SHOULD), 5 skipped (not offered: CHUNKING)". */
int report_summary(const struct run_report *r, struct sbuf *out);

/* report_transcript_lines - each transcript entry split into lines (after every LF),
 * rendered visibly with wire_escape, prefixed "C: ", "S: " or "*  ", each line followed
 * by '\n' and preceded by indent. */
int report_transcript_lines(const struct test_result *t, const char *indent, struct sbuf *out);

/* report_text - the readable report; verbose also shows passing tests' transcripts. */
int report_text(FILE *f, const struct run_report *r, bool verbose);
/* report_tap - TAP version 13 with a YAML block for each failure. */
int report_tap(FILE *f, const struct run_report *r, bool verbose);
/* report_junit - JUnit XML: testsuites/testsuite/testcase with failure/error/skipped. */
int report_junit(FILE *f, const struct run_report *r, bool verbose);
/* report_json - the JSON document described in harness/suite/README.md. */
int report_json(FILE *f, const struct run_report *r, bool verbose);

/* report_write - the report in format ("text", "tap", "junit" or "json"; any other name:
 * text) to f. 0, or -1 when it could not be written. */
int report_write(FILE *f, const struct run_report *r, const char *format, bool verbose);

/* report_format_known - is format one of the names report_write takes? */
bool report_format_known(const char *format);

/* report_status - DESIGN.md's exit rule: 1 if a MUST failed or a test errored, else 0. */
int report_status(const struct run_report *r);

/* report_emit - write out to f and free it: the last step of every format. 0, or -1
 * when not every octet was written. */
int report_emit(FILE *f, struct sbuf *out);

/* report_json_string - append p[0..n) as a quoted JSON string: control octets, '"' and
 * '\\' escaped; valid UTF-8 kept; any other octet >= 0x80 written as \u00XX (Latin-1). */
int report_json_string(const char *p, size_t n, struct sbuf *out);

#endif
