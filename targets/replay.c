/* replay.c - the corpus replayer shared by the plain driver and the AFL++ driver. */
#include "replay.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_check.h"

/* The file being replayed, for the timeout message (set before each input). */
static const char *volatile replay_current;
static volatile unsigned replay_timeout_s;
/* -repeat=N: run each input N times (for bench/fuzz-rate); 1 normally. */
static unsigned long replay_repeat = 1;

/* replay_on_alarm - the per-input timeout: name the input and stop (async-signal-safe). */
static void replay_on_alarm(int sig) {
  (void)sig;
  const char *f = replay_current != NULL ? replay_current : "?";
  static const char head[] = "fuzz replay: timeout on ";
  if (write(2, head, sizeof head - 1) < 0 || write(2, f, strlen(f)) < 0 || write(2, "\n", 1) < 0)
    _exit(70);
  _exit(70);
}

/* Sanitizer runtimes call this before they exit (weak: absent without sanitizers). */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/* replay_name_crash - say which input crashed (async-signal-safe writes only). */
static void replay_name_crash(void) {
  const char *f = replay_current;
  static const char head[] = "fuzz replay: crash on input ";
  if (f == NULL)
    return;
  if (write(2, head, sizeof head - 1) < 0 || write(2, f, strlen(f)) < 0 || write(2, "\n", 1) < 0)
    return;
}

/* replay_on_abort - an invariant violation aborted: name the input, then die as before. */
static void replay_on_abort(int sig) {
  replay_name_crash();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* replay_read - the whole file in a malloc of exactly its size (NULL + errno on failure). */
static uint8_t *replay_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;

  if (f == NULL)
    return NULL;
  for (;;) {
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 4096;
      uint8_t *nb = realloc(buf, ncap);
      if (nb == NULL)
        goto fail;
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(f))
    goto fail;
  fclose(f);
  /* Exact size: a read one past the end is a heap overflow ASan reports. */
  uint8_t *exact = malloc(n ? n : 1);
  if (exact == NULL) {
    free(buf);
    return NULL;
  }
  memcpy(exact, buf, n);
  free(buf);
  *len = n;
  return exact;
fail:
  free(buf);
  fclose(f);
  return NULL;
}

/* replay_file - run one input under the alarm. 0, or -1 if it cannot be read. */
static int replay_file(const char *path) {
  size_t len = 0;
  uint8_t *data = replay_read(path, &len);
  if (data == NULL) {
    fprintf(stderr, "fuzz replay: cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  replay_current = path;
  for (unsigned long i = 0; i < replay_repeat; i++) {
    alarm(replay_timeout_s);
    LLVMFuzzerTestOneInput(data, len);
    alarm(0);
  }
  replay_current = NULL;
  free(data);
  return 0;
}

/* replay_skip_name - dot files (READMEs are named README* and skipped too). */
static int replay_skip_name(const char *name) {
  return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

/* replay_path - a file, or a folder walked in sorted order. Adds inputs run to *count. */
static int replay_path(const char *path, size_t *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "fuzz replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    if (replay_file(path) != 0)
      return -1;
    (*count)++;
    return 0;
  }
  struct dirent **names = NULL;
  int n = scandir(path, &names, NULL, alphasort);
  int rc = 0;
  if (n < 0) {
    fprintf(stderr, "fuzz replay: cannot list %s: %s\n", path, strerror(errno));
    return -1;
  }
  for (int i = 0; i < n; i++) {
    if (rc == 0 && !replay_skip_name(names[i]->d_name)) {
      size_t plen = strlen(path) + strlen(names[i]->d_name) + 2;
      char *child = malloc(plen);
      if (child == NULL) {
        rc = -1;
      } else {
        snprintf(child, plen, "%s/%s", path, names[i]->d_name);
        rc = replay_path(child, count);
        free(child);
      }
    }
    free(names[i]);
  }
  free(names);
  return rc;
}

/* fuzz_replay_main - see replay.h. */
int fuzz_replay_main(int argc, char **argv) {
  size_t count = 0;
  int rc = 0;
  int paths = 0;

  replay_timeout_s = 10;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "-timeout=", 9) == 0)
      replay_timeout_s = (unsigned)strtoul(argv[i] + 9, NULL, 10);
    if (strncmp(argv[i], "-repeat=", 8) == 0)
      replay_repeat = strtoul(argv[i] + 8, NULL, 10);
  }
  if (replay_repeat == 0)
    replay_repeat = 1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  signal(SIGALRM, replay_on_alarm);
  signal(SIGABRT, replay_on_abort);
  if (__sanitizer_set_death_callback != NULL)
    __sanitizer_set_death_callback(replay_name_crash);
  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc && rc == 0; i++) {
    if (argv[i][0] == '-' && argv[i][1] != '\0')
      continue;
    paths++;
    rc = replay_path(argv[i], &count);
  }
  if (rc != 0)
    return 1;
  if (paths == 0 || count == 0) {
    fprintf(stderr, "fuzz replay: no inputs found (give files or folders)\n");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("fuzz replay: %s: %zu inputs ran, no invariant broken", argv[0], count);
  if (replay_repeat > 1)
    printf(" (%lu times each: %.0f runs/s)", replay_repeat,
           (double)count * (double)replay_repeat / (secs > 0 ? secs : 1e-9));
  printf("\n");
  return 0;
}
