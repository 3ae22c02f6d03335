/* maildir.c - Maildir delivery: tmp/ unique name, fsync, rename into new/, fsync new/. */
#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* mkdir_p - create path and its parents (mode 0700 for new ones). */
static int mkdir_p(const char *path) {
  char *copy = strdup(path);
  int rc = -1;

  if (copy == NULL)
    return -1;
  for (char *p = copy + 1; *p != '\0'; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(copy, 0700) != 0 && errno != EEXIST)
      goto out;
    *p = '/';
  }
  if (mkdir(copy, 0700) != 0 && errno != EEXIST)
    goto out;
  rc = 0;
out:
  free(copy);
  return rc;
}

/* escape_host - copy a host name for a unique name: '/' -> \057, ':' -> \072. */
static void escape_host(const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (; *in != '\0' && o + 5 < cap; in++) {
    if (*in == '/' || *in == ':') {
      o += (size_t)snprintf(out + o, cap - o, "\\%03o", (unsigned char)*in);
    } else {
      out[o++] = *in;
    }
  }
  out[o] = '\0';
}

/* open_sub - open (creating) one of tmp/ new/ cur/. */
static int open_sub(struct maildir *m, const char *sub, char *err, size_t errcap) {
  int fd;
  if (mkdirat(m->dir_fd, sub, 0700) != 0 && errno != EEXIST) {
    snprintf(err, errcap, "cannot write to Maildir %s/%s: %s", m->path, sub, strerror(errno));
    return -1;
  }
  fd = openat(m->dir_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    snprintf(err, errcap, "cannot open Maildir %s/%s: %s", m->path, sub, strerror(errno));
  return fd;
}

/* probe_tmp - create and remove a file in tmp/, so that a read-only Maildir fails now. */
static int probe_tmp(struct maildir *m, char *err, size_t errcap) {
  struct maildir_msg msg;
  if (maildir_begin(m, &msg) != 0) {
    snprintf(err, errcap, "cannot write to Maildir %s/tmp: %s", m->path, strerror(errno));
    return -1;
  }
  maildir_abort(m, &msg);
  return 0;
}

/* maildir_open - open (creating if needed) the Maildir at path; prove tmp/ writable. */
int maildir_open(struct maildir *m, const char *path, char *err, size_t errcap) {
  char host[256];
  int cur_fd;

  memset(m, 0, sizeof(*m));
  m->dir_fd = m->tmp_fd = m->new_fd = -1;
  m->pid = getpid();
  m->path = strdup(path);
  if (m->path == NULL) {
    snprintf(err, errcap, "out of memory");
    return -1;
  }
  if (gethostname(host, sizeof(host)) != 0)
    strcpy(host, "localhost");
  host[sizeof(host) - 1] = '\0';
  escape_host(host, m->host, sizeof(m->host));
  if (mkdir_p(path) != 0) {
    snprintf(err, errcap, "cannot write to Maildir %s: %s", path, strerror(errno));
    goto fail;
  }
  m->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (m->dir_fd < 0) {
    snprintf(err, errcap, "cannot open Maildir %s: %s", path, strerror(errno));
    goto fail;
  }
  m->tmp_fd = open_sub(m, "tmp", err, errcap);
  if (m->tmp_fd < 0)
    goto fail;
  m->new_fd = open_sub(m, "new", err, errcap);
  if (m->new_fd < 0)
    goto fail;
  cur_fd = open_sub(m, "cur", err, errcap);
  if (cur_fd < 0)
    goto fail;
  close(cur_fd);
  if (probe_tmp(m, err, errcap) != 0)
    goto fail;
  return 0;
fail:
  maildir_close(m);
  return -1;
}

/* maildir_close - close the directory descriptors. */
void maildir_close(struct maildir *m) {
  if (m->tmp_fd >= 0)
    close(m->tmp_fd);
  if (m->new_fd >= 0)
    close(m->new_fd);
  if (m->dir_fd >= 0)
    close(m->dir_fd);
  m->dir_fd = m->tmp_fd = m->new_fd = -1;
  free(m->path);
  m->path = NULL;
}

/* maildir_unique - the next unique name "SECS.M<usec>P<pid>Q<n>.<host>". */
int maildir_unique(struct maildir *m, char *buf, size_t cap) {
  struct timeval tv;
  int n;

  gettimeofday(&tv, NULL);
  m->counter++;
  n = snprintf(buf, cap, "%lld.M%ldP%ldQ%llu.%s", (long long)tv.tv_sec, (long)tv.tv_usec,
               (long)m->pid, (unsigned long long)m->counter, m->host);
  return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* maildir_begin - create tmp/<unique> exclusively. */
int maildir_begin(struct maildir *m, struct maildir_msg *msg) {
  memset(msg, 0, sizeof(*msg));
  msg->fd = -1;
  if (maildir_unique(m, msg->name, sizeof(msg->name)) != 0) {
    errno = ENAMETOOLONG;
    return -1;
  }
  msg->fd = openat(m->tmp_fd, msg->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  return msg->fd < 0 ? -1 : 0;
}

/* maildir_write - append len octets (all of them, or -1 with errno). */
int maildir_write(struct maildir_msg *msg, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(msg->fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
    msg->octets += (uint64_t)n;
  }
  return 0;
}

/* maildir_sync - make the file's data durable (fdatasync: the size that matters to a
 * reader is included, the timestamps are not needed). */
int maildir_sync(struct maildir_msg *msg) {
  return fdatasync(msg->fd);
}

/* maildir_publish - close the file and rename tmp/<name> to new/<name>. */
int maildir_publish(struct maildir *m, struct maildir_msg *msg) {
  if (close(msg->fd) != 0) {
    msg->fd = -1;
    return -1;
  }
  msg->fd = -1;
  return renameat(m->tmp_fd, msg->name, m->new_fd, msg->name);
}

/* maildir_sync_new - fsync new/, making every earlier publish durable. */
int maildir_sync_new(struct maildir *m) {
  return fsync(m->new_fd);
}

/* maildir_abort - close and remove an unpublished message. */
void maildir_abort(struct maildir *m, struct maildir_msg *msg) {
  if (msg->fd >= 0)
    close(msg->fd);
  msg->fd = -1;
  if (msg->name[0] != '\0')
    unlinkat(m->tmp_fd, msg->name, 0);
  msg->name[0] = '\0';
}
