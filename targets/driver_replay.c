/* driver_replay.c - fuzz_<target> without a fuzzing engine: replays files and folders,
 * so every corpus runs as an ordinary test and anyone can reproduce a crash. */
#include "replay.h"

/* main - replay every file and folder named on the command line. */
int main(int argc, char **argv) {
  return fuzz_replay_main(argc, argv);
}
