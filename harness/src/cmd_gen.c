/* cmd_gen.c - `smtpcheck gen`: write grammar-generated fuzz inputs for one target.
 *
 *   smtpcheck gen --target T [-n N] [--seed S] -o DIR
 *
 * Input i depends only on (T, S, i): the same seed always gives the same files, and a
 * larger -n only adds files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "gen_grammar.h"
#include "gen_target.h"

/* The most inputs one run writes. */
#define GEN_COUNT_MAX 10000000ull

static const char usage_line[] =
    "usage: smtpcheck gen --target TARGET [-n N] [--seed S] -o DIR\n"
    "  writes N (default 100) grammar-generated inputs for TARGET into DIR\n"
    "  (created if missing), named TARGET-S-NNNNN; same seed, same files.\n"
    "targets:" GEN_TARGET_WORDS "\n";

/* This subcommand, for its messages. */
static const struct cli cli = {"gen", usage_line};

/* Everything the command line says. */
struct gen_args {
  const char *target, *dir;
  unsigned long long n, seed;
};

/* parse_number - a whole number (base 10, or with base 0 also 0x.. and 0..) up to max; 0
 * when it is one, -1 if not. */
static int parse_number(const char *v, int base, unsigned long long max, unsigned long long *out) {
  char *end;
  unsigned long long x = strtoull(v, &end, base);
  if (*v == '\0' || *end != '\0' || x > max)
    return -1;
  *out = x;
  return 0;
}

/* parse_args - fill a from argv; EXIT_OK, CLI_HELP or EXIT_USAGE (after saying why). */
static int parse_args(int argc, char **argv, struct gen_args *a) {
  a->n = 100;
  a->seed = 1;
  for (int i = 1; i < argc; i++) {
    const char *v;
    bool missing = false;
    char *arg = argv[i];
#define OPT(name) ((v = cli_option_value(argc, argv, &i, name, &missing)) != NULL)
    if (cli_is_help(arg)) {
      fputs(usage_line, stdout);
      return CLI_HELP;
    } else if (OPT("--target") || OPT("-t")) {
      a->target = v;
    } else if (OPT("-n")) {
      if (parse_number(v, 10, GEN_COUNT_MAX, &a->n) < 0)
        return cli_usage_error(&cli, "-n wants a count up to %llu, not '%s'", GEN_COUNT_MAX, v);
    } else if (OPT("--seed") || OPT("-s")) {
      if (parse_number(v, 0, (unsigned long long)-1, &a->seed) < 0)
        return cli_usage_error(&cli, "--seed wants a number, not '%s'", v);
    } else if (OPT("--output") || OPT("-o")) {
      a->dir = v;
    } else if (missing) {
      return cli_usage_error(&cli, "%s needs a value", arg);
    } else {
      return cli_usage_error(&cli, "unknown option '%s'", arg);
    }
#undef OPT
  }
  if (a->target == NULL || a->dir == NULL)
    return cli_usage_error(&cli, "%s", "--target and -o are required");
  return EXIT_OK;
}

/* gen_one_seed - the PRNG seed of input i: independent of N. */
static uint64_t gen_one_seed(uint64_t seed, int target, uint64_t i) {
  struct gen_rand r;
  gen_rand_seed(&r, seed ^ ((uint64_t)target << 56) ^ (i * 0x2545f4914f6cdd1dull));
  return gen_rand_next(&r);
}

/* gen_write - write one file; 0 or -1 with a message. */
static int gen_write(const char *path, const struct gen_buf *b) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    fprintf(stderr, "smtpcheck gen: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t w = fwrite(b->sb.p, 1, b->sb.len, f);
  int rc = fclose(f);
  if (w != b->sb.len || rc != 0) {
    fprintf(stderr, "smtpcheck gen: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* gen_mkdirs - mkdir -p: create dir and its missing parents. 0 or -1 with errno. */
static int gen_mkdirs(const char *dir) {
  char *p = strdup(dir);
  int rc = 0;
  if (p == NULL)
    return -1;
  for (char *s = p + 1; *s && rc == 0; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
      rc = -1;
    *s = '/';
  }
  if (rc == 0 && mkdir(p, 0777) != 0 && errno != EEXIST)
    rc = -1;
  free(p);
  return rc;
}

/* cmd_gen - parse options, then generate. */
int cmd_gen(int argc, char **argv) {
  struct gen_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc != EXIT_OK)
    return rc == CLI_HELP ? EXIT_OK : rc;
  int t = gen_target_from_name(a.target);
  if (t < 0)
    return cli_usage_error(&cli, "unknown target '%s'", a.target);
  if (gen_mkdirs(a.dir) != 0) {
    fprintf(stderr, "smtpcheck gen: cannot create %s: %s\n", a.dir, strerror(errno));
    return EXIT_FINDING;
  }
  size_t plen = strlen(a.dir) + strlen(a.target) + 64;
  char *path = malloc(plen);
  if (path == NULL)
    return EXIT_FINDING;
  for (unsigned long long i = 0; i < a.n && rc == EXIT_OK; i++) {
    struct gen_rand r;
    struct gen_buf b = {0};
    gen_rand_seed(&r, gen_one_seed(a.seed, t, i));
    /* Two in five inputs carry near misses; half may use UTF-8 addresses. */
    unsigned flags =
        (gen_rand_chance(&r, 40) ? GEN_NEAR_MISS : 0u) | (gen_rand_chance(&r, 50) ? GEN_UTF8 : 0u);
    gen_target_input((enum gen_target)t, &r, &b, flags);
    snprintf(path, plen, "%s/%s-%llu-%05llu", a.dir, a.target, a.seed, i);
    if (b.failed || gen_write(path, &b) != 0)
      rc = EXIT_FINDING;
    gen_buf_free(&b);
  }
  free(path);
  if (rc == EXIT_OK)
    printf("smtpcheck gen: wrote %llu %s inputs to %s (seed %llu)\n", a.n, a.target, a.dir, a.seed);
  return rc;
}
