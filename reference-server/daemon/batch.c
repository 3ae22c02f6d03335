/* batch.c - group commit: messages that end while the disk is busy are made durable
 * together (fdatasync each file, rename into new/, ONE fsync of new/), then every waiting
 * session gets its 250. The fsyncs run on one worker thread, so the event loop keeps
 * serving sessions (and the next batch keeps growing) while the disk works; the worker
 * touches nothing but the files of the batch it was handed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

/* sync_one - make one message's data durable and move it into new/ (worker thread). */
static void sync_one(struct maildir *md, struct txn *t) {
  if (t->failed)
    return;
  if (maildir_sync(&t->msg) != 0 || maildir_publish(md, &t->msg) != 0) {
    t->failed = true;
    t->errno_saved = errno;
    return;
  }
  t->published = true;
}

/* sync_batch - the worker's job: every file, then one fsync of new/ (worker thread). */
static void sync_batch(struct maildir *md, struct txn **txns, size_t n) {
  bool any_published = false;
  /* Start writeback of every file first: the blocks are then allocated in one journal
   * transaction, so the first fdatasync commits them all and the others find little
   * left to do (ext4 with delayed allocation). Only a hint; fdatasync is the guarantee. */
  for (size_t i = 0; i < n; i++)
    if (!txns[i]->failed)
      sync_file_range(txns[i]->msg.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  for (size_t i = 0; i < n; i++) {
    sync_one(md, txns[i]);
    any_published |= txns[i]->published;
  }
  /* One directory fsync makes every rename of this batch durable. */
  if (any_published && maildir_sync_new(md) != 0) {
    int e = errno;
    for (size_t i = 0; i < n; i++) {
      if (txns[i]->published) {
        /* The file stays in new/ and we answer 451: a duplicate after the client's
         * retry beats a loss. */
        txns[i]->failed = true;
        txns[i]->errno_saved = e;
      }
    }
  }
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
    sync_batch(w->md, w->txns, w->njob);
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
  txn_free(s);
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
