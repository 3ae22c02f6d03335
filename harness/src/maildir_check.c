/* maildir_check.c - scan a Maildir tree for delivered test messages (byte for byte). */
#include "maildir_check.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The deepest folder nesting followed below the given directory. */
#define MAILDIR_DEPTH_MAX 6
/* The largest message file read (larger ones are read up to this size). */
#define MAILDIR_FILE_MAX (32u * 1024u * 1024u)

/* The scan's inputs and running totals. */
struct scan {
  const char *token;
  size_t token_len;
  maildir_judge judge; /* NULL: count the token only */
  void *ctx;
  struct maildir_hits *hits;
  char *buf; /* MAILDIR_FILE_MAX octets, reused for every file */
};

/* check_file - count one message file. */
static void check_file(struct scan *s, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return; /* moved from new/ to cur/ meanwhile: the next poll sees it */
  size_t n = fread(s->buf, 1, MAILDIR_FILE_MAX, f);
  fclose(f);
  if (!memmem(s->buf, n, s->token, s->token_len))
    return;
  s->hits->with_token++;
  if (s->judge && s->judge(s->ctx, s->buf, n))
    s->hits->with_needle++;
}

/* walk - visit path; messages are the regular files directly inside new/ or cur/. */
static int walk(struct scan *s, const char *path, bool messages, int depth) {
  DIR *d = opendir(path);
  if (!d)
    return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && !e->d_name[2])))
      continue;
    char sub[4096];
    if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= sizeof sub)
      continue;
    struct stat st;
    if (lstat(sub, &st) != 0)
      continue;
    if (S_ISREG(st.st_mode) && messages) {
      check_file(s, sub);
    } else if (S_ISDIR(st.st_mode) && depth < MAILDIR_DEPTH_MAX && strcmp(e->d_name, "tmp")) {
      bool inbox = !strcmp(e->d_name, "new") || !strcmp(e->d_name, "cur");
      walk(s, sub, inbox, depth + 1);
    }
  }
  closedir(d);
  return 0;
}

/* A `maildir has/lacks` needle. */
struct needle {
  const char *p;
  size_t len;
};

/* has_needle - the judge of maildir_scan: the message contains the needle. */
static bool has_needle(void *ctx, const char *msg, size_t len) {
  const struct needle *nd = ctx;
  return memmem(msg, len, nd->p, nd->len) != NULL;
}

/* maildir_scan - see maildir_check.h. */
int maildir_scan(const char *dir, const char *token, size_t token_len, const char *needle,
                 size_t needle_len, struct maildir_hits *out, char *err, size_t errlen) {
  struct needle nd = {needle, needle_len};
  return maildir_scan_judge(dir, token, token_len, needle ? has_needle : NULL, &nd, out, err,
                            errlen);
}

/* maildir_scan_judge - see maildir_check.h. */
int maildir_scan_judge(const char *dir, const char *token, size_t token_len, maildir_judge judge,
                       void *ctx, struct maildir_hits *out, char *err, size_t errlen) {
  struct scan s = {token, token_len, judge, ctx, out, malloc(MAILDIR_FILE_MAX)};
  out->with_token = out->with_needle = 0;
  if (!s.buf) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  int rc = walk(&s, dir, false, 0);
  if (rc < 0)
    snprintf(err, errlen, "cannot read Maildir %s: %s", dir, strerror(errno));
  free(s.buf);
  return rc;
}
