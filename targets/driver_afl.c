/* driver_afl.c - AFL++ persistent mode (shared-memory test cases) around
 * LLVMFuzzerTestOneInput; with file or folder arguments it replays them instead. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "replay.h"

__AFL_FUZZ_INIT();

/* Iterations before AFL++ restarts the process (bounds slow leaks between inputs). */
#define AFL_LOOP_COUNT 10000
/* Largest input copied for a run; AFL++ inputs are far smaller by default. */
#define AFL_INPUT_MAX (1u << 20)

/* main - replay files given as arguments, else the AFL++ persistent loop. */
int main(int argc, char **argv) {
  if (argc > 1)
    return fuzz_replay_main(argc, argv);
  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize(&argc, &argv);
#ifdef __AFL_HAVE_MANUAL_CONTROL
  __AFL_INIT();
#endif
  unsigned char *shared = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(AFL_LOOP_COUNT)) {
    size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
    if (len > AFL_INPUT_MAX)
      len = AFL_INPUT_MAX;
    /* An exact-size copy, so over-reads are heap overflows under AFL_USE_ASAN. */
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL)
      abort();
    memcpy(copy, shared, len);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
  }
  return 0;
}
