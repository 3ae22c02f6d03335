/* cmd_repro.c - `smtpcheck repro`: replay a corpus or crash file with a readable
 * transcript, in-process (in a forked child, so a sanitizer report or a crash is caught
 * and shown) or over the network against a live server.
 *
 *   smtpcheck repro [--target T] FILE
 *   smtpcheck repro --net HOST:PORT [--quiet MS] FILE
 *
 * Without --target the target is guessed from the path (corpus/<kind>/<target>/FILE, or
 * a file named <target>-...). Exit: 0 the input ran clean, 1 an invariant broke or the
 * child crashed, 2 usage, 3 the server could not be reached. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "gen_target.h"
#include "repro_net.h"
#include "repro_parse.h"
#include "repro_print.h"
#include "repro_session.h"

/* repro_usage - the command's help. */
static void repro_usage(FILE *f) {
  fprintf(f, "usage: smtpcheck repro [--target TARGET] FILE\n"
             "       smtpcheck repro --net HOST:PORT [--quiet MS] FILE\n"
             "  runs FILE as the fuzz target TARGET would and prints a transcript; the run\n"
             "  happens in a child process so a crash or sanitizer report is shown too.\n"
             "  --net replays a fuzz_server session file against a live server.\n"
             "targets:");
  for (int t = 0; t < GEN_T_COUNT; t++)
    fprintf(f, " %s", gen_target_name((enum gen_target)t));
  fprintf(f, "\n");
}

/* repro_guess - the target named by a path component or a "<target>-" file name. */
static int repro_guess(const char *path) {
  char *copy = strdup(path);
  int found = -1;
  if (copy == NULL)
    return -1;
  for (char *save = NULL, *part = strtok_r(copy, "/", &save); part != NULL;
       part = strtok_r(NULL, "/", &save)) {
    int t = gen_target_from_name(part);
    if (t >= 0)
      found = t; /* the last (innermost) one wins */
    const char *dash = strchr(part, '-');
    if (t < 0 && dash != NULL) {
      char head[32];
      size_t n = (size_t)(dash - part);
      if (n < sizeof head) {
        memcpy(head, part, n);
        head[n] = '\0';
        int ft = gen_target_from_name(head);
        if (ft >= 0 && found < 0)
          found = ft;
      }
    }
  }
  free(copy);
  return found;
}

/* repro_load - the whole file; NULL with a message. */
static uint8_t *repro_load(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  if (f == NULL) {
    fprintf(stderr, "smtpcheck repro: cannot read %s: %s\n", path, strerror(errno));
    return NULL;
  }
  for (;;) {
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);
      if (nb == NULL) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
      cap = cap ? cap * 2 : 4096;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* repro_exec_target - parser targets keep their invariants in targets/fuzz_<t>.c: after
 * the decode, become the fuzz_<t> binary next to smtpcheck, run on the same file (its
 * crash, sanitizer report or invariant message lands in the captured stderr). */
static int repro_exec_target(int target, const char *file) {
  char self[4096], path[4200];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return 0;
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash == NULL)
    return 0;
  *slash = '\0';
  snprintf(path, sizeof path, "%s/fuzz_%s", self, gen_target_name((enum gen_target)target));
  if (access(path, X_OK) != 0) {
    printf("== no %s: the target's own invariants were not checked\n", path);
    return 0;
  }
  printf("== invariants: %s %s\n", path, file);
  fflush(stdout);
  char *args[] = {path, (char *)file, NULL};
  execv(path, args);
  printf("== cannot run %s: %s\n", path, strerror(errno));
  return 0;
}

/* repro_in_child - run the target's decode/check; the child's exit status says how. */
static int repro_in_child(int target, const char *file, const uint8_t *data, size_t size) {
  struct repro_printer pr = {stdout, "C:", "S:"};
  struct repro_trace tr = {repro_print_event, &pr};
  char why[512];
  int bad = 0;
  switch (target) {
  case GEN_T_SERVER:
    bad = repro_server_session(data, size, &tr, why, sizeof why);
    break;
  case GEN_T_CLIENT:
    pr = (struct repro_printer){stdout, "C:", "S:"};
    bad = repro_client_session(data, size, &tr, why, sizeof why);
    break;
  case GEN_T_COMMAND:
    repro_show_command(data, size, stdout);
    return repro_exec_target(target, file);
  case GEN_T_ADDRESS:
    repro_show_address(data, size, stdout);
    return repro_exec_target(target, file);
  case GEN_T_REPLY:
    repro_show_reply(data, size, stdout);
    return repro_exec_target(target, file);
  case GEN_T_DATA:
    repro_show_data(data, size, stdout);
    return repro_exec_target(target, file);
  default:
    repro_show_script(data, size, stdout);
    return repro_exec_target(target, file);
  }
  fflush(stdout);
  if (bad) {
    printf("== invariant violated: %s\n", why);
    return 1;
  }
  return 0;
}

/* repro_local - fork, run in the child with stderr captured, report how it ended. */
static int repro_local(int target, const char *file, const uint8_t *data, size_t size) {
  int fds[2];
  fflush(stdout);
  if (pipe(fds) != 0) {
    perror("smtpcheck repro: pipe");
    return EXIT_FINDING;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("smtpcheck repro: fork");
    return EXIT_FINDING;
  }
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    close(fds[1]);
    int rc = repro_in_child(target, file, data, size);
    fflush(stdout);
    _exit(rc);
  }
  close(fds[1]);
  /* The child's stderr: sanitizer reports, invariant aborts. */
  char *err = NULL;
  size_t elen = 0, ecap = 0;
  for (;;) {
    if (elen == ecap) {
      char *ne = realloc(err, ecap ? ecap * 2 : 4096);
      if (ne == NULL)
        break;
      err = ne;
      ecap = ecap ? ecap * 2 : 4096;
    }
    ssize_t n = read(fds[0], err + elen, ecap - elen);
    if (n <= 0)
      break;
    elen += (size_t)n;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (elen > 0) {
    printf("== the run wrote to stderr (sanitizer report, assertion):\n");
    fwrite(err, 1, elen, stdout);
  }
  free(err);
  if (WIFSIGNALED(status)) {
    printf("== crashed: signal %d (%s)\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
    return EXIT_FINDING;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    printf("== failed: exit status %d\n", WEXITSTATUS(status));
    return EXIT_FINDING;
  }
  printf("== ok: no crash, no invariant broken\n");
  return EXIT_OK;
}

/* cmd_repro - options, then a local or a network replay. */
int cmd_repro(int argc, char **argv) {
  const char *target = NULL, *net = NULL, *file = NULL;
  int quiet_ms = 500;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      repro_usage(stdout);
      return EXIT_OK;
    }
    if ((!strcmp(a, "--target") || !strcmp(a, "--net") || !strcmp(a, "--quiet")) && i + 1 >= argc) {
      fprintf(stderr, "smtpcheck repro: %s needs a value\n", a);
      return EXIT_USAGE;
    }
    if (!strcmp(a, "--target")) {
      target = argv[++i];
    } else if (!strcmp(a, "--net")) {
      net = argv[++i];
    } else if (!strcmp(a, "--quiet")) {
      quiet_ms = atoi(argv[++i]);
      if (quiet_ms <= 0 || quiet_ms > 60000) {
        fprintf(stderr, "smtpcheck repro: --quiet wants 1..60000 ms\n");
        return EXIT_USAGE;
      }
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "smtpcheck repro: unknown option '%s'\n", a);
      repro_usage(stderr);
      return EXIT_USAGE;
    } else if (file == NULL) {
      file = a;
    } else {
      fprintf(stderr, "smtpcheck repro: one FILE only\n");
      return EXIT_USAGE;
    }
  }
  if (file == NULL) {
    repro_usage(stderr);
    return EXIT_USAGE;
  }
  int t = target != NULL ? gen_target_from_name(target) : repro_guess(file);
  if (t < 0 && net == NULL) {
    fprintf(stderr, "smtpcheck repro: %s; give --target\n",
            target ? "unknown target" : "cannot tell the target from the path");
    repro_usage(stderr);
    return EXIT_USAGE;
  }
  size_t size = 0;
  uint8_t *data = repro_load(file, &size);
  if (data == NULL)
    return EXIT_FINDING;
  int rc;
  if (net != NULL) {
    printf("== %s: replayed against %s\n", file, net);
    rc = repro_net_session(net, data, size, quiet_ms, stdout);
  } else {
    printf("== %s: target %s, %zu octets\n", file, gen_target_name((enum gen_target)t), size);
    rc = repro_local(t, file, data, size);
  }
  free(data);
  return rc;
}
