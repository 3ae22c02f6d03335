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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "gen_target.h"
#include "repro_net.h"
#include "repro_parse.h"
#include "repro_print.h"
#include "repro_session.h"
#include "sbuf.h"

/* The longest --quiet, in milliseconds. */
#define QUIET_MS_MAX 60000

static const char usage_line[] =
    "usage: smtpcheck repro [--target TARGET] FILE\n"
    "       smtpcheck repro --net HOST:PORT [--quiet MS] FILE\n"
    "  runs FILE as the fuzz target TARGET would and prints a transcript; the run\n"
    "  happens in a child process so a crash or sanitizer report is shown too.\n"
    "  --net replays a fuzz_server session file against a live server.\n"
    "targets:" GEN_TARGET_WORDS "\n";

/* This subcommand, for its messages. */
static const struct cli cli = {"repro", usage_line};

/* Everything the command line says. */
struct repro_args {
  const char *target, *net, *file;
  int quiet_ms;
};

/* parse_args - fill a from argv; EXIT_OK, CLI_HELP or EXIT_USAGE (after saying why). */
static int parse_args(int argc, char **argv, struct repro_args *a) {
  a->quiet_ms = 500;
  for (int i = 1; i < argc; i++) {
    const char *v;
    bool missing = false;
    char *arg = argv[i];
#define OPT(name) ((v = cli_option_value(argc, argv, &i, name, &missing)) != NULL)
    if (cli_is_help(arg)) {
      fputs(usage_line, stdout);
      return CLI_HELP;
    } else if (OPT("--target")) {
      a->target = v;
    } else if (OPT("--net")) {
      a->net = v;
    } else if (OPT("--quiet")) {
      long ms = cli_count(v, QUIET_MS_MAX);
      if (ms < 0)
        return cli_usage_error(&cli, "--quiet wants 1..%d ms, not '%s'", QUIET_MS_MAX, v);
      a->quiet_ms = (int)ms;
    } else if (missing) {
      return cli_usage_error(&cli, "%s needs a value", arg);
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return cli_usage_error(&cli, "unknown option '%s'", arg);
    } else if (a->file != NULL) {
      return cli_usage_error(&cli, "one FILE only ('%s' is one too many)", arg);
    } else {
      a->file = arg;
    }
#undef OPT
  }
  if (a->file == NULL)
    return cli_usage_error(&cli, "%s", "which file? give FILE");
  return EXIT_OK;
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

/* repro_read_fd - everything fd gives until EOF into out; 0, or -1 on a read error or
 * when out of memory (what was read stays in out). */
static int repro_read_fd(int fd, struct sbuf *out) {
  for (;;) {
    if (sbuf_reserve(out, 4096) < 0)
      return -1;
    ssize_t n = read(fd, out->p + out->len, out->cap - out->len - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? -1 : 0;
    out->len += (size_t)n;
    out->p[out->len] = '\0';
  }
}

/* repro_load - the whole file into out; 0, or -1 with a message. */
static int repro_load(const char *path, struct sbuf *out) {
  int fd = open(path, O_RDONLY);
  if (fd < 0 || repro_read_fd(fd, out) < 0) {
    fprintf(stderr, "smtpcheck repro: cannot read %s: %s\n", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  close(fd);
  return 0;
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

/* The readable decode of each parser target; the session targets are run instead. */
static int (*const repro_decoders[GEN_T_COUNT])(const uint8_t *, size_t, FILE *) = {
    [GEN_T_COMMAND] = repro_show_command, [GEN_T_ADDRESS] = repro_show_address,
    [GEN_T_REPLY] = repro_show_reply,     [GEN_T_DATA] = repro_show_data,
    [GEN_T_SCRIPT] = repro_show_script,
};

/* repro_in_child - run the target's decode/check; the child's exit status says how. */
static int repro_in_child(int target, const char *file, const uint8_t *data, size_t size) {
  if (target != GEN_T_SERVER && target != GEN_T_CLIENT) {
    repro_decoders[target](data, size, stdout);
    return repro_exec_target(target, file);
  }
  struct repro_printer pr = {stdout, "C:", "S:"};
  struct repro_trace tr = {repro_print_event, &pr};
  char why[512];
  int bad = target == GEN_T_SERVER ? repro_server_session(data, size, &tr, why, sizeof why)
                                   : repro_client_session(data, size, &tr, why, sizeof why);
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
  /* The child's stderr: sanitizer reports, invariant aborts (what fits in memory). */
  struct sbuf err = {0};
  (void)repro_read_fd(fds[0], &err);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (err.len > 0) {
    printf("== the run wrote to stderr (sanitizer report, assertion):\n");
    fwrite(err.p, 1, err.len, stdout);
  }
  sbuf_free(&err);
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
  struct repro_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc != EXIT_OK)
    return rc == CLI_HELP ? EXIT_OK : rc;
  int t = a.target != NULL ? gen_target_from_name(a.target) : repro_guess(a.file);
  if (t < 0 && a.net == NULL)
    return cli_usage_error(&cli, "%s; give --target",
                           a.target ? "unknown target" : "cannot tell the target from the path");
  struct sbuf data = {0};
  if (repro_load(a.file, &data) < 0)
    return EXIT_FINDING;
  const uint8_t *bytes = (const uint8_t *)(data.p ? data.p : "");
  if (a.net != NULL) {
    printf("== %s: replayed against %s\n", a.file, a.net);
    rc = repro_net_session(a.net, bytes, data.len, a.quiet_ms, stdout);
  } else {
    printf("== %s: target %s, %zu octets\n", a.file, gen_target_name((enum gen_target)t), data.len);
    rc = repro_local(t, a.file, bytes, data.len);
  }
  sbuf_free(&data);
  return rc;
}
