/* replay.h - run LLVMFuzzerTestOneInput over files and folders (no fuzzing engine). */
#ifndef SMTPCHECK_REPLAY_H
#define SMTPCHECK_REPLAY_H

/* fuzz_replay_main - argv holds files and folders (folders are walked recursively, in
 * sorted order, dot files skipped) and libFuzzer-style flags: -timeout=N seconds per input
 * (default 10), -repeat=N runs each input N times and prints runs/s (bench/fuzz-rate);
 * other flags are ignored so the same command line works for every flavour.
 * Every input is copied into a buffer of exactly its size so over-reads fault under ASan.
 * Returns 0 when every input ran; 1 when a path is missing or no input was found. A crash
 * or an invariant violation aborts; a timeout prints the file and exits with 70. */
int fuzz_replay_main(int argc, char **argv);

#endif
