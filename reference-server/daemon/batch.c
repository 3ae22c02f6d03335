/* batch.c - group commit: messages that end while the disk is busy are made durable
 * together (fdatasync each file, rename into new/, ONE fsync of new/), then every waiting
 * session gets its 250. The fsyncs run on one worker thread, so the event loop keeps
 * serving sessions (and the next batch keeps growing) while the disk works; the worker
 * touches nothing but the files of the batch it was handed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

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

/* sync_file - make one file's data durable and move it into new/ (worker thread). */
static void sync_file(struct maildir *md, struct txn *t, struct spool_out *o) {
  if (t->failed || !o->storing)
    return;
  if (maildir_sync(&o->msg) != 0 || maildir_publish(md, &o->msg) != 0) {
    t->failed = true;
    t->errno_saved = errno;
    return;
  }
  o->published = true;
}

/* sync_dir - one directory fsync makes every rename of this batch into md durable. */
static void sync_dir(struct maildir *md, struct txn **txns, size_t n, size_t field) {
  bool any = false;
  for (size_t i = 0; i < n; i++)
    any |= ((struct spool_out *)(void *)((char *)txns[i] + field))->published;
  if (!any || maildir_sync_new(md) == 0)
    return;
  int e = errno;
  for (size_t i = 0; i < n; i++) {
    if (((struct spool_out *)(void *)((char *)txns[i] + field))->published) {
      /* The file stays in new/ and we answer 451: a duplicate after the client's
       * retry beats a loss. */
      txns[i]->failed = true;
      txns[i]->errno_saved = e;
    }
  }
}

/* sync_batch - the worker's job: every file, then one fsync per directory (worker). */
static void sync_batch(struct sync_worker *w, struct txn **txns, size_t n) {
  /* Start writeback of every file first: the blocks are then allocated in one journal
   * transaction, so the first fdatasync commits them all and the others find little
   * left to do (ext4 with delayed allocation). Only a hint; fdatasync is the guarantee. */
  for (size_t i = 0; i < n; i++) {
    if (txns[i]->failed)
      continue;
    if (txns[i]->mail.storing)
      sync_file_range(txns[i]->mail.msg.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (txns[i]->queue.storing)
      sync_file_range(txns[i]->queue.msg.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  }
  for (size_t i = 0; i < n; i++) {
    sync_file(w->md, txns[i], &txns[i]->mail);
    if (w->qmd != NULL)
      sync_file(w->qmd, txns[i], &txns[i]->queue);
  }
  sync_dir(w->md, txns, n, offsetof(struct txn, mail));
  if (w->qmd != NULL)
    sync_dir(w->qmd, txns, n, offsetof(struct txn, queue));
}

/* sync_main - the worker thread: wait for a job, do it, tell the loop by eventfd. */
static void *sync_main(void *arg) {
  struct sync_worker *w = arg;
  uint64_t one = 1;

  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->has_job && !w->quit)
      pthread_cond_wait(&w->cv, &w->mu);
    if (!w->has_job)
      break;
    pthread_mutex_unlock(&w->mu);
    sync_batch(w, w->txns, w->njob);
    pthread_mutex_lock(&w->mu);
    w->has_job = false;
    w->job_done = true;
    if (write(w->efd, &one, sizeof(one)) < 0) {
      /* an eventfd write only fails on overflow, which one pending wake-up cannot cause */
    }
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* batch_start - create the worker and watch its eventfd. 0, or -1 with a message. */
int batch_start(struct daemon *d, char *err, size_t errcap) {
  struct sync_worker *w = &d->sync;
  struct epoll_event ev;

  w->kind = HANDLE_SYNC;
  w->md = &d->maildir;
  w->qmd = d->have_queue ? &d->queue.md : NULL;
  w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->efd < 0)
    goto fail;
  memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLIN;
  ev.data.ptr = w;
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, w->efd, &ev) != 0)
    goto fail;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  errno = pthread_create(&w->thread, NULL, sync_main, w);
  if (errno != 0)
    goto fail;
  w->started = true;
  return 0;
fail:
  snprintf(err, errcap, "cannot start the fsync worker: %s", strerror(errno));
  return -1;
}

/* batch_stop - finish every batch (blocking), then end the worker. */
void batch_stop(struct daemon *d) {
  struct sync_worker *w = &d->sync;
  if (!w->started)
    return;
  while (w->busy || d->nbatch > 0) {
    struct pollfd p = {w->efd, POLLIN, 0};
    batch_kick(d);
    if (!w->busy)
      break; /* out of memory: the messages stay in tmp/, unanswered */
    if (poll(&p, 1, -1) < 0 && errno != EINTR)
      break;
    batch_done(d);
  }
  pthread_mutex_lock(&w->mu);
  w->quit = true;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  close(w->efd);
  free(w->txns);
  free(w->job);
  w->started = false;
}

/* batch_kick - if the worker is idle, hand it every waiting message. */
void batch_kick(struct daemon *d) {
  struct sync_worker *w = &d->sync;
  struct txn **txns;

  if (w->busy || d->nbatch == 0)
    return;
  txns = realloc(w->txns, d->nbatch * sizeof(*txns));
  if (txns == NULL)
    return; /* retried on the next round */
  w->txns = txns;
  for (size_t i = 0; i < d->nbatch; i++)
    txns[i] = d->batch[i]->txn;
  free(w->job);
  w->job = d->batch;
  w->njob = d->nbatch;
  d->batch = NULL;
  d->nbatch = d->batch_cap = 0;
  d->batches++;
  d->batched_messages += w->njob;
  w->busy = true;
  pthread_mutex_lock(&w->mu);
  w->has_job = true;
  w->job_done = false;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

/* finish_one - answer one session and close its transaction. */
static void finish_one(struct session *s) {
  struct txn *t = s->txn;
  struct smtp_hook_reply reply;
  enum smtp_hook_status status;
  char text[96];
  bool ok = t != NULL && !t->failed && (t->mail.published || !t->mail.storing) &&
            (t->queue.published || !t->queue.storing) && (t->mail.storing || t->queue.storing);
  char queued[sizeof(t->queue.msg.name)] = "";

  s->in_batch = false;
  if (ok) {
    s->messages_stored++;
    s->d->counters.messages++;
    s->d->counters.message_octets += t->octets;
    if (t->queue.published)
      memcpy(queued, t->queue.msg.name, sizeof(queued));
    snprintf(text, sizeof(text), "Ok: queued as %s", t->id);
    reply = (struct smtp_hook_reply){250, "2.0.0", text};
    status = SMTP_HOOK_ACCEPT;
  } else {
    txn_failure_reply(t, &reply);
    status = SMTP_HOOK_REJECT;
  }
  txn_log(s, !ok                 ? strerror(t != NULL ? t->errno_saved : ENOMEM)
             : queued[0] == '\0' ? "stored in new/"
             : t->mail.published ? "stored in new/ and queued for relay"
                                 : "queued for relay");
  /* Free the transaction before resuming: the engine may go on with pipelined
   * commands and start the next one at once. */
  txn_free(s);
  /* The queue file is durable: the relay may start at once, whether or not the client
   * is still there to hear its 250. */
  if (queued[0] != '\0')
    relay_enqueue(s->d, queued);
  if (s->orphan) {
    session_destroy(s); /* closed while its message was on the worker */
    return;
  }
  if (s->dead)
    return;
  smtp_server_resume(s->srv, status, &reply);
  session_pump(s);
}

/* batch_done - the worker finished: answer its sessions, start the next batch. */
void batch_done(struct daemon *d) {
  struct sync_worker *w = &d->sync;
  uint64_t count;
  struct session **job;
  size_t n;
  bool done;

  if (read(w->efd, &count, sizeof(count)) < 0) {
    /* EAGAIN: the flag below is the truth */
  }
  pthread_mutex_lock(&w->mu);
  done = w->job_done;
  w->job_done = false;
  pthread_mutex_unlock(&w->mu);
  if (!done || !w->busy)
    return;
  job = w->job;
  n = w->njob;
  w->job = NULL;
  w->njob = 0;
  w->busy = false;
  /* Start the messages that gathered meanwhile before answering these, so the disk is
   * never idle while sessions wait. */
  batch_kick(d);
  for (size_t i = 0; i < n; i++)
    finish_one(job[i]);
  free(job);
}
