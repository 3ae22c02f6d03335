/* clock.c - the harness's one monotonic millisecond clock. */
#include "clock.h"

#include <time.h>

/* clock_now_ms - CLOCK_MONOTONIC never jumps with the wall clock, so deadlines hold. */
long clock_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
