/* maildir.h - Maildir delivery (cr.yp.to/proto/maildir.html): write tmp/, fsync, rename
 * into new/, fsync new/. One Maildir holds the mail of every recipient. */
#ifndef REFSMTPD_MAILDIR_H
#define REFSMTPD_MAILDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* An open Maildir: directory descriptors and what makes file names unique. */
struct maildir {
  char *path;
  int dir_fd, tmp_fd, new_fd;
  pid_t pid;
  uint64_t counter; /* Q<n> part of unique names */
  char host[64];    /* host part of unique names, '/' and ':' escaped */
};

/* One message being written: a file in tmp/. */
struct maildir_msg {
  int fd;          /* -1 when not open */
  char name[128];  /* unique name, the same in tmp/ and new/ */
  uint64_t octets; /* written so far */
};

/* maildir_open - open (creating if needed) the Maildir at path and prove that tmp/ is
 * writable. On failure returns -1 with a user-facing message in err
 * ("cannot write to Maildir X/tmp: Permission denied"). */
int maildir_open(struct maildir *m, const char *path, char *err, size_t errcap);
/* maildir_close - close the directory descriptors. */
void maildir_close(struct maildir *m);

/* maildir_unique - the next unique name "SECS.M<usec>P<pid>Q<n>.<host>". 0 or -1. */
int maildir_unique(struct maildir *m, char *buf, size_t cap);

/* maildir_begin - create tmp/<unique> exclusively. 0, or -1 with errno. */
int maildir_begin(struct maildir *m, struct maildir_msg *msg);
/* maildir_write - append len octets (all of them, or -1 with errno). */
int maildir_write(struct maildir_msg *msg, const void *buf, size_t len);
/* maildir_sync - make the file's data durable (fdatasync). 0 or -1 with errno. */
int maildir_sync(struct maildir_msg *msg);
/* maildir_publish - close the file and rename tmp/<name> to new/<name>. The rename is
 * durable only after maildir_sync_new(). 0 or -1 with errno (the file stays in tmp/). */
int maildir_publish(struct maildir *m, struct maildir_msg *msg);
/* maildir_sync_new - fsync new/, making every earlier publish durable (one per batch). */
int maildir_sync_new(struct maildir *m);
/* maildir_abort - close and remove an unpublished message. */
void maildir_abort(struct maildir *m, struct maildir_msg *msg);

#endif
