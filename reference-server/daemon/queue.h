/* queue.h - the relay queue on disk: one file per message in DIR/new/, written like a
 * Maildir message (DIR/tmp/, fdatasync, rename, fsync of DIR/new/) before the 250.
 *
 * A file is a text envelope, an empty line, then the message content:
 *   refsmtpd-queue 1\n  id ID\n  created UNIX-SECONDS\n  from REVERSE-PATH\n
 *   rcpt S FORWARD-PATH\n ... \n  <content>
 * S is one octet per recipient: 'P' pending, 'D' delivered (the next hop said 250),
 * 'B' bounced. It is rewritten in place with one pwrite and fdatasync, so a recipient
 * leaves the queue durably the moment it is delivered, and never goes out twice. */
#ifndef REFSMTPD_QUEUE_H
#define REFSMTPD_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "maildir.h"

#define QUEUE_MAGIC "refsmtpd-queue 1"
/* The largest envelope read back (1000 recipients of 256 octets fit). */
#define QUEUE_ENVELOPE_MAX (1024 * 1024)

/* Recipient states, as stored. */
enum queue_rcpt_status {
  QUEUE_PENDING = 'P',
  QUEUE_DELIVERED = 'D',
  QUEUE_BOUNCED = 'B',
};

/* The queue directory (a Maildir-shaped spool: tmp/ and new/). */
struct queue {
  struct maildir md;
};

/* One recipient of a queued message. */
struct queue_rcpt {
  char *addr;
  char status;      /* enum queue_rcpt_status */
  off_t status_off; /* where the status octet is in the file */
  int code;         /* last reply code for this recipient (0: none) */
  char *diag;       /* last reply or error text, for the bounce */
  bool diag_smtp;   /* diag is an SMTP reply ("550 5.1.1 ...") */
  bool in_attempt;  /* part of the delivery attempt under way */
  unsigned round;   /* the last round in which it was attempted */
};

/* One queued message, as the relay sees it. */
struct queue_entry {
  struct queue_entry *next;
  char name[128]; /* file name in new/ */
  char id[64];
  char *from; /* "" for the null reverse-path */
  struct queue_rcpt *rcpts;
  size_t nrcpts;
  uint64_t created; /* wall-clock seconds */
  off_t content_off;
  unsigned attempts; /* rounds tried (backoff exponent) */
  unsigned round;
  uint64_t next_ms; /* monotonic time of the next attempt */
  bool busy;        /* a connection is delivering it */
};

/* queue_open - open (creating) the queue directory; -1 with a message. */
int queue_open(struct queue *q, const char *path, char *err, size_t errcap);
/* queue_close - close it. */
void queue_close(struct queue *q);

/* queue_envelope_format - the envelope text (through the empty line) into buf, NUL-
 * terminated; every recipient pending. Returns its length, or -1 if cap is too small or
 * an address holds a line break. */
int queue_envelope_format(char *buf, size_t cap, const char *id, uint64_t created, const char *from,
                          const char *const *rcpts, size_t nrcpts);

/* queue_envelope_parse - parse an envelope at the start of buf (len octets). Returns a
 * new entry (content_off set) or NULL if the text is not a complete, valid envelope. */
struct queue_entry *queue_envelope_parse(const char *buf, size_t len);
/* queue_entry_free - release an entry. */
void queue_entry_free(struct queue_entry *e);
/* queue_pending - recipients still pending. */
size_t queue_pending(const struct queue_entry *e);

/* queue_load - read new/<name>'s envelope. NULL (errno set) if unreadable or invalid. */
struct queue_entry *queue_load(struct queue *q, const char *name);
/* queue_scan - load every file in new/ (start-up), appending to *list; returns how many,
 * and logs through the callback the names it could not parse. */
size_t queue_scan(struct queue *q, struct queue_entry **list,
                  void (*bad)(const char *name, const char *why));
/* queue_mark - set recipient i's status on disk (pwrite + fdatasync) and in memory. 0 or
 * -1 with errno. */
int queue_mark(struct queue *q, struct queue_entry *e, size_t i, char status);
/* queue_remove - unlink new/<name> (no recipient pending any more). 0 or -1. */
int queue_remove(struct queue *q, const struct queue_entry *e);
/* queue_read_content - the message content (malloc'd; *len its size). NULL with errno. */
char *queue_read_content(struct queue *q, const struct queue_entry *e, size_t *len);
/* queue_write - write a whole message durably into the queue (a bounce for a remote
 * sender): tmp/, fdatasync, rename, fsync new/. Fills name (cap octets). 0 or -1. */
int queue_write(struct queue *q, const char *envelope, size_t envelope_len, const char *content,
                size_t content_len, char *name, size_t cap);

#endif
