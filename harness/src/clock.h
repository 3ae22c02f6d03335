/* clock.h - the harness's one clock: monotonic milliseconds, for deadlines, timers and
 * durations (never for dates). */
#ifndef SMTPCHECK_CLOCK_H
#define SMTPCHECK_CLOCK_H

/* clock_now_ms - CLOCK_MONOTONIC in milliseconds (an arbitrary origin; only differences
 * mean anything). */
long clock_now_ms(void);

#endif
