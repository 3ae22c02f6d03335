/* queue.c - the relay queue's files: envelope format, scan, in-place status updates. */
#include "queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* clean_tmp - remove files left in tmp/ by a crash: none of them was ever answered 250. */
static void clean_tmp(struct queue *q) {
  int fd = openat(q->md.dir_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
  struct dirent *de;
  if (dir == NULL) {
    if (fd >= 0)
      close(fd);
    return;
  }
  while ((de = readdir(dir)) != NULL)
    if (de->d_name[0] != '.')
      unlinkat(q->md.tmp_fd, de->d_name, 0);
  closedir(dir);
}

/* queue_open - the queue is a Maildir-shaped spool: the same durability rules. One
 * daemon per queue (an exclusive lock): two would deliver every message twice. */
int queue_open(struct queue *q, const char *path, char *err, size_t errcap) {
  char why[512];
  if (maildir_open(&q->md, path, why, sizeof(why)) != 0) {
    snprintf(err, errcap, "--queue %s: %s", path, why);
    return -1;
  }
  if (flock(q->md.dir_fd, LOCK_EX | LOCK_NB) != 0) {
    snprintf(err, errcap, "--queue %s: %s", path,
             errno == EWOULDBLOCK ? "in use by another refsmtpd" : strerror(errno));
    maildir_close(&q->md);
    return -1;
  }
  clean_tmp(q);
  return 0;
}

/* queue_close - close the directories. */
void queue_close(struct queue *q) {
  maildir_close(&q->md);
}

/* queue_envelope_format - the envelope, every recipient pending. */
int queue_envelope_format(char *buf, size_t cap, const char *id, uint64_t created, const char *from,
                          const char *const *rcpts, size_t nrcpts) {
  size_t o = 0;
  int n;

  if (strpbrk(from, "\r\n") != NULL || strpbrk(id, "\r\n ") != NULL)
    return -1;
  n = snprintf(buf, cap, "%s\nid %s\ncreated %" PRIu64 "\nfrom %s\n", QUEUE_MAGIC, id, created,
               from);
  if (n < 0 || (size_t)n >= cap)
    return -1;
  o = (size_t)n;
  for (size_t i = 0; i < nrcpts; i++) {
    if (rcpts[i][0] == '\0' || strpbrk(rcpts[i], "\r\n") != NULL)
      return -1;
    n = snprintf(buf + o, cap - o, "rcpt %c %s\n", QUEUE_PENDING, rcpts[i]);
    if (n < 0 || (size_t)n >= cap - o)
      return -1;
    o += (size_t)n;
  }
  if (o + 2 > cap)
    return -1;
  buf[o++] = '\n';
  buf[o] = '\0';
  return (int)o;
}

/* queue_entry_free - release an entry. */
void queue_entry_free(struct queue_entry *e) {
  if (e == NULL)
    return;
  for (size_t i = 0; i < e->nrcpts; i++) {
    free(e->rcpts[i].addr);
    free(e->rcpts[i].diag);
  }
  free(e->rcpts);
  free(e->from);
  free(e);
}

/* dup_n - a NUL-terminated copy of n octets. */
static char *dup_n(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p != NULL) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* starts - does line (n octets) begin with prefix? */
static bool starts(const char *line, size_t n, const char *prefix) {
  size_t p = strlen(prefix);
  return n >= p && memcmp(line, prefix, p) == 0;
}

/* add_rcpt - append a recipient read from the file. 0 or -1. */
static int add_rcpt(struct queue_entry *e, char status, const char *addr, size_t n, off_t off) {
  struct queue_rcpt *grown = realloc(e->rcpts, (e->nrcpts + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  e->rcpts = grown;
  memset(&grown[e->nrcpts], 0, sizeof(grown[0]));
  grown[e->nrcpts].addr = dup_n(addr, n);
  if (grown[e->nrcpts].addr == NULL)
    return -1;
  grown[e->nrcpts].status = status;
  grown[e->nrcpts].status_off = off;
  e->nrcpts++;
  return 0;
}

/* parse_line - one envelope line into e. 0, 1 at the empty line, -1 if invalid. */
static int parse_line(struct queue_entry *e, const char *line, size_t n, size_t at,
                      unsigned *seen) {
  if (n == 0)
    return 1;
  if (*seen == 0) {
    if (n != strlen(QUEUE_MAGIC) || memcmp(line, QUEUE_MAGIC, n) != 0)
      return -1;
  } else if (starts(line, n, "id ")) {
    if (n - 3 == 0 || n - 3 >= sizeof(e->id))
      return -1;
    memcpy(e->id, line + 3, n - 3);
    e->id[n - 3] = '\0';
  } else if (starts(line, n, "created ")) {
    uint64_t v = 0;
    for (size_t i = 8; i < n; i++) {
      if (line[i] < '0' || line[i] > '9' || v > UINT64_MAX / 10)
        return -1;
      v = v * 10 + (uint64_t)(line[i] - '0');
    }
    e->created = v;
  } else if (starts(line, n, "from ")) {
    free(e->from);
    e->from = dup_n(line + 5, n - 5);
    if (e->from == NULL)
      return -1;
  } else if (starts(line, n, "rcpt ") && n > 7 && line[6] == ' ') {
    char st = line[5];
    if (st != QUEUE_PENDING && st != QUEUE_DELIVERED && st != QUEUE_BOUNCED)
      return -1;
    if (add_rcpt(e, st, line + 7, n - 7, (off_t)(at + 5)) != 0)
      return -1;
  } else {
    return -1;
  }
  (*seen)++;
  return 0;
}

/* queue_envelope_parse - parse an envelope at the start of buf. */
struct queue_entry *queue_envelope_parse(const char *buf, size_t len) {
  struct queue_entry *e = calloc(1, sizeof(*e));
  unsigned seen = 0;
  size_t at = 0;

  if (e == NULL)
    return NULL;
  while (at < len) {
    const char *nl = memchr(buf + at, '\n', len - at);
    int r;
    if (nl == NULL)
      break;
    r = parse_line(e, buf + at, (size_t)(nl - (buf + at)), at, &seen);
    at = (size_t)(nl - buf) + 1;
    if (r < 0)
      break;
    if (r == 1) {
      if (e->from == NULL || e->id[0] == '\0' || e->nrcpts == 0)
        break;
      e->content_off = (off_t)at;
      return e;
    }
  }
  queue_entry_free(e);
  return NULL;
}

/* queue_pending - recipients still pending. */
size_t queue_pending(const struct queue_entry *e) {
  size_t n = 0;
  for (size_t i = 0; i < e->nrcpts; i++)
    n += e->rcpts[i].status == QUEUE_PENDING;
  return n;
}

/* queue_load - read new/<name>'s envelope (reading more until the empty line). */
struct queue_entry *queue_load(struct queue *q, const char *name) {
  size_t cap = 8192, len = 0;
  char *buf = NULL;
  struct queue_entry *e = NULL;
  int fd = openat(q->md.new_fd, name, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || strlen(name) >= sizeof(e->name))
    goto out;
  for (;;) {
    ssize_t n;
    char *grown = realloc(buf, cap);
    if (grown == NULL)
      goto out;
    buf = grown;
    n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
    if (memmem(buf, len, "\n\n", 2) != NULL)
      break;
    if (len == cap) {
      if (cap >= QUEUE_ENVELOPE_MAX)
        break;
      cap *= 2;
    }
  }
  e = queue_envelope_parse(buf, len);
  if (e == NULL)
    errno = EINVAL;
  else
    snprintf(e->name, sizeof(e->name), "%s", name);
out:
  if (fd >= 0)
    close(fd);
  free(buf);
  return e;
}

/* queue_scan - load every file in new/. */
size_t queue_scan(struct queue *q, struct queue_entry **list,
                  void (*bad)(const char *name, const char *why)) {
  int fd = openat(q->md.dir_fd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
  struct dirent *de;
  size_t count = 0;

  if (dir == NULL) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  while ((de = readdir(dir)) != NULL) {
    struct queue_entry *e;
    if (de->d_name[0] == '.')
      continue;
    e = queue_load(q, de->d_name);
    if (e == NULL) {
      if (bad != NULL)
        bad(de->d_name, strerror(errno));
      continue;
    }
    e->next = *list;
    *list = e;
    count++;
  }
  closedir(dir);
  return count;
}

/* queue_mark - one octet in place, then fdatasync: the recipient's fate is durable. */
int queue_mark(struct queue *q, struct queue_entry *e, size_t i, char status) {
  int fd = openat(q->md.new_fd, e->name, O_WRONLY | O_CLOEXEC);
  int rc = -1;
  if (fd < 0)
    return -1;
  if (pwrite(fd, &status, 1, e->rcpts[i].status_off) == 1 && fdatasync(fd) == 0) {
    e->rcpts[i].status = status;
    rc = 0;
  }
  close(fd);
  return rc;
}

/* queue_remove - unlink the file; the directory fsync makes the removal stick. */
int queue_remove(struct queue *q, const struct queue_entry *e) {
  if (unlinkat(q->md.new_fd, e->name, 0) != 0)
    return -1;
  return fsync(q->md.new_fd);
}

/* queue_read_content - read the content after the envelope. */
char *queue_read_content(struct queue *q, const struct queue_entry *e, size_t *len) {
  int fd = openat(q->md.new_fd, e->name, O_RDONLY | O_CLOEXEC);
  off_t end;
  char *buf = NULL;
  size_t want, got = 0;

  if (fd < 0)
    return NULL;
  end = lseek(fd, 0, SEEK_END);
  if (end < e->content_off)
    goto fail;
  want = (size_t)(end - e->content_off);
  buf = malloc(want + 1);
  if (buf == NULL)
    goto fail;
  while (got < want) {
    ssize_t n = pread(fd, buf + got, want - got, e->content_off + (off_t)got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      goto fail;
    got += (size_t)n;
  }
  close(fd);
  *len = want;
  return buf;
fail:
  free(buf);
  close(fd);
  return NULL;
}

/* queue_write - a whole message, durably, in one go. */
int queue_write(struct queue *q, const char *envelope, size_t envelope_len, const char *content,
                size_t content_len, char *name, size_t cap) {
  struct maildir_msg msg;
  if (maildir_begin(&q->md, &msg) != 0)
    return -1;
  if (maildir_write(&msg, envelope, envelope_len) != 0 ||
      maildir_write(&msg, content, content_len) != 0 || maildir_sync(&msg) != 0 ||
      maildir_publish(&q->md, &msg) != 0) {
    maildir_abort(&q->md, &msg);
    return -1;
  }
  if (maildir_sync_new(&q->md) != 0)
    return -1;
  snprintf(name, cap, "%s", msg.name);
  return 0;
}
