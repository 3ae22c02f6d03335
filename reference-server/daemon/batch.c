/* batch.c - group commit: the messages that ended in one loop iteration are made durable
 * together (fdatasync each file, rename into new/, ONE fsync of new/), then every waiting
 * session gets its 250. The reply is only sent once the message is on disk. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* batch_add - a session's message waits for fsync. */
int batch_add(struct daemon *d, struct session *s) {
  if (d->nbatch == d->batch_cap) {
    size_t cap = d->batch_cap ? d->batch_cap * 2 : 64;
    struct session **grown = realloc(d->batch, cap * sizeof(*grown));
    if (grown == NULL)
      return -1;
    d->batch = grown;
    d->batch_cap = cap;
  }
  d->batch[d->nbatch++] = s;
  s->in_batch = true;
  return 0;
}

/* sync_one - make one message's data durable and move it into new/. */
static void sync_one(struct daemon *d, struct txn *t) {
  if (t->failed)
    return;
  if (maildir_sync(&t->msg) != 0 || maildir_publish(&d->maildir, &t->msg) != 0) {
    t->failed = true;
    t->errno_saved = errno;
    return;
  }
  t->published = true;
}

/* finish_one - answer one session and close its transaction. */
static void finish_one(struct session *s) {
  struct txn *t = s->txn;
  struct smtp_hook_reply reply;
  enum smtp_hook_status status;
  char text[96];
  bool ok = t != NULL && t->published && !t->failed;

  s->in_batch = false;
  if (ok) {
    s->messages_stored++;
    snprintf(text, sizeof(text), "Ok: queued as %s", t->id);
    reply = (struct smtp_hook_reply){250, "2.0.0", text};
    status = SMTP_HOOK_ACCEPT;
  } else {
    txn_failure_reply(t, &reply);
    status = SMTP_HOOK_REJECT;
  }
  txn_log(s, ok ? "stored in new/" : strerror(t != NULL ? t->errno_saved : ENOMEM));
  /* Free the transaction before resuming: the engine may go on with pipelined
   * commands and start the next one at once. */
  /* A published file whose directory fsync failed stays in new/: we answered 451, and
   * a duplicate after the client's retry beats a loss. */
  txn_free(s);
  if (s->dead)
    return;
  smtp_server_resume(s->srv, status, &reply);
  session_pump(s);
}

/* batch_run - fsync every waiting message, publish, fsync new/ once, resume sessions. */
void batch_run(struct daemon *d) {
  struct session **list = d->batch;
  size_t n = d->nbatch;
  bool any_published = false;

  if (n == 0)
    return;
  /* Take the list: sessions resumed below may finish another message at once, which
   * goes into a fresh batch for the next round. */
  d->batch = NULL;
  d->nbatch = d->batch_cap = 0;
  d->batches++;
  d->batched_messages += n;
  for (size_t i = 0; i < n; i++) {
    if (list[i]->txn != NULL) {
      sync_one(d, list[i]->txn);
      any_published |= list[i]->txn->published;
    }
  }
  /* One directory fsync makes every rename of this batch durable. */
  if (any_published && maildir_sync_new(&d->maildir) != 0) {
    int e = errno;
    for (size_t i = 0; i < n; i++) {
      struct txn *t = list[i]->txn;
      if (t != NULL && t->published) {
        t->failed = true;
        t->errno_saved = e;
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    finish_one(list[i]);
  free(list);
}
