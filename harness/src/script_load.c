/* script_load.c - find the suite's scripts: compiled into the binary, or a folder. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "script.h"
#include "suite_embedded.h"

/* The deepest folder nesting the loader follows (suite/topic/subtopic/...). */
#define LOAD_DEPTH_MAX 8
/* The largest script file read from disk. */
#define LOAD_FILE_MAX (4u * 1024u * 1024u)

/* is_script - names ending in ".smtp". */
static bool is_script(const char *name) {
  size_t n = strlen(name);
  return n > 5 && !strcmp(name + n - 5, ".smtp");
}

/* script_load_embedded - parse every embedded script. */
size_t script_load_embedded(struct script_suite *suite, struct script_errors *errs) {
  size_t nerr = 0;
  for (unsigned long i = 0; smtpcheck_suite[i].name; i++)
    if (is_script(smtpcheck_suite[i].name))
      nerr += script_parse(smtpcheck_suite[i].name, smtpcheck_suite[i].text, smtpcheck_suite[i].len,
                           suite, errs);
  return nerr;
}

/* A list of relative paths. */
struct names {
  char **v;
  size_t n;
};

/* collect - add every *.smtp below root/rel to names. */
static int collect(const char *root, const char *rel, int depth, struct names *out,
                   struct script_errors *errs) {
  char path[4096];
  snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
  DIR *d = opendir(path);
  if (!d) {
    script_error_add(errs, path, 0, "cannot open folder: %s", strerror(errno));
    return -1;
  }
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char sub[4096];
    snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    char full[8192];
    snprintf(full, sizeof full, "%s/%s", root, sub);
    struct stat st;
    if (stat(full, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode) && depth < LOAD_DEPTH_MAX) {
      if (collect(root, sub, depth + 1, out, errs) < 0)
        rc = -1;
    } else if (S_ISREG(st.st_mode) && is_script(e->d_name)) {
      char **v = realloc(out->v, (out->n + 1) * sizeof *v);
      if (!v) {
        rc = -1;
        break;
      }
      out->v = v;
      out->v[out->n] = strdup(sub);
      if (out->v[out->n])
        out->n++;
    }
  }
  closedir(d);
  return rc;
}

/* by_name - qsort order of relative paths (as cmake's list(SORT)). */
static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* read_file - the whole file into a malloc'd buffer. */
static char *read_file(const char *path, size_t *len, struct script_errors *errs,
                       const char *name) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    script_error_add(errs, name, 0, "cannot read: %s", strerror(errno));
    return NULL;
  }
  char *buf = malloc(LOAD_FILE_MAX + 1);
  size_t n = buf ? fread(buf, 1, LOAD_FILE_MAX + 1, f) : 0;
  fclose(f);
  if (!buf || n > LOAD_FILE_MAX) {
    script_error_add(errs, name, 0, "script larger than %u octets", LOAD_FILE_MAX);
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* script_load_dir - parse every script below dir, in sorted order. */
size_t script_load_dir(const char *dir, struct script_suite *suite, struct script_errors *errs) {
  struct names names = {0};
  size_t before = errs->n;
  collect(dir, "", 0, &names, errs);
  if (names.n)
    qsort(names.v, names.n, sizeof *names.v, by_name);
  size_t nerr = errs->n - before;
  for (size_t i = 0; i < names.n; i++) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, names.v[i]);
    size_t len = 0;
    char *text = read_file(path, &len, errs, names.v[i]);
    if (!text)
      nerr++;
    else
      nerr += script_parse(names.v[i], text, len, suite, errs);
    free(text);
    free(names.v[i]);
  }
  free(names.v);
  if (names.n == 0 && nerr == 0) {
    script_error_add(errs, dir, 0, "no *.smtp scripts in this folder");
    nerr++;
  }
  return nerr;
}
