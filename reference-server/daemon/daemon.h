/* daemon.h - refsmtpd's event loop, sessions and transactions (internal to the daemon).
 *
 * One event-loop thread, one epoll set (plus one worker thread that only fsyncs). Each connection
 * is a struct session around a sans-I/O struct smtp_server: the session moves bytes between the
 * socket (or TLS memory BIOs) and the engine, and answers the engine's hooks (policy, Maildir,
 * AUTH). Messages that end while the disk is busy are made durable together (one fsync of new/ per
 * batch), and only then do their sessions get 250. */
#ifndef REFSMTPD_DAEMON_H
#define REFSMTPD_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth_users.h"
#include "ipcount.h"
#include "maildir.h"
#include "options.h"
#include "policy.h"
#include "queue.h"
#include "received.h"
#include "routes.h"
#include "smtp/client.h"
#include "smtp/server.h"
#include "tls.h"

/* What an epoll event points at; the first member of each such struct. */
enum handle_kind {
  HANDLE_LISTENER = 1,
  HANDLE_SESSION,
  HANDLE_SIGNAL,
  HANDLE_SYNC,
  HANDLE_RELAY,        /* an outbound connection to a next hop */
  HANDLE_METRICS,      /* the metrics listener */
  HANDLE_METRICS_CONN, /* one metrics HTTP request */
};

/* A listening socket. */
struct listener {
  enum handle_kind kind;
  int fd;
  const struct listen_addr *addr;
};

/* One file a transaction writes: a Maildir message, or a queue file for relaying. */
struct spool_out {
  bool storing;   /* the file is open in tmp/ */
  bool published; /* the file reached new/ */
  struct maildir_msg msg;
  char *buf; /* write buffer */
  size_t buf_len;
};

/* One transaction's state in the daemon: exists from MAIL to its end. */
struct txn {
  char reverse_path[SMTP_PATH_MAX + 2];
  char first_rcpt[SMTP_PATH_MAX + 2];
  unsigned nrcpt;
  bool binary;    /* BODY=BINARYMIME: bare CR/LF are content, not defects */
  bool has_local; /* a recipient is ours: the message goes into the Maildir */
  bool failed;    /* a write failed; errno_saved says why */
  int errno_saved;
  struct spool_out mail;  /* the Maildir file */
  struct spool_out queue; /* the queue file (relayed recipients) */
  char **relay_rcpts;     /* recipients for the next hop */
  size_t nrelay;
  struct received_counter received; /* RFC 5321 6.3 loop detection */
  uint64_t octets;                  /* content octets received */
  char id[32];
};

/* Why a session's deadline exists. */
enum session_timer {
  TIMER_IDLE = 0,    /* RFC 5321 4.5.3.2 command/data timeouts */
  TIMER_LINE,        /* --command-deadline: a started command line must end by now */
  TIMER_HANDSHAKE,   /* TLS handshake limit */
  TIMER_AUTH_DELAY,  /* a failed AUTH waits before its 535 */
  TIMER_CLOSE_GRACE, /* the last reply could not be delivered: give up */
};

/* One client connection. */
struct session {
  enum handle_kind kind;
  struct daemon *d;
  struct session *prev, *next; /* all live sessions */
  struct session *next_dead;   /* closed, freed at the end of the loop iteration */
  int fd;
  uint32_t events; /* epoll interest currently registered */
  uint64_t id;
  const struct listener *listener;
  struct smtp_server *srv;
  struct tls_conn *tls;
  bool handshaking; /* TLS handshake in progress: no engine output yet */
  bool dead;
  bool in_batch; /* its message waits for, or is on, the fsync worker */
  bool orphan;   /* closed and unlisted; batch_done frees it */
  bool shutdown_sent;
  bool eof; /* the peer closed its side */
  char *in; /* input the engine did not take yet (allocated lazily) */
  size_t in_len;
  uint64_t deadline_ms;
  enum session_timer timer;
  uint64_t line_started_ms; /* first octet of the unfinished command line; 0: none */
  bool line_cr;             /* the last octet the engine took was a CR */
  uint64_t opened_ms;
  unsigned auth_failures;
  unsigned char ipkey[16];
  char peer[64]; /* "ip" */
  bool peer_v6;
  uint16_t peer_port;
  struct txn *txn;
  uint64_t messages_stored;
  bool may_relay; /* the peer is in a --relay-from network */
};

/* One delivery attempt: a connection to a next hop carrying one queued message to the
 * recipients routed there, driven by the sans-I/O client engine. */
struct relay_conn {
  enum handle_kind kind; /* HANDLE_RELAY */
  struct daemon *d;
  struct relay_conn *next;
  struct queue_entry *e;
  int fd;
  uint32_t events;
  bool connecting;  /* non-blocking connect() in progress */
  bool handshaking; /* STARTTLS handshake in progress */
  bool dead;
  struct tls_conn *tls;
  struct smtp_client *client;
  struct smtp_client_message msg;
  const char **rcpts; /* addresses of the recipients of this attempt */
  size_t *rcpt_index; /* their index in e->rcpts */
  size_t nrcpts;
  size_t rcpt_replies; /* RCPT replies seen so far */
  bool mail_failed;
  char *content;
  size_t content_len;
  char next_hop[272];
  uint64_t opened_ms, deadline_ms;
  char error[640];
};

/* Counters of the daemon's life (issue 6); live gauges are computed at scrape time. */
struct daemon_counters {
  uint64_t sessions;                 /* sessions accepted */
  uint64_t commands, replies[4];     /* replies 2xx, 3xx, 4xx, 5xx of closed sessions */
  uint64_t messages, message_octets; /* messages accepted (250 after durable storage) */
  uint64_t auth_failures;
  uint64_t tls_sessions;   /* TLS handshakes completed (STARTTLS or implicit) */
  uint64_t loops_refused;  /* RFC 5321 6.3 */
  uint64_t relay_attempts; /* outbound connections started */
  uint64_t relay_delivered, relay_deferred, relay_bounced; /* recipients */
  uint64_t bounces_sent;                                   /* DSNs generated */
  uint64_t relay_tls_refused; /* verify mode: next hops whose certificate failed */
  uint64_t metrics_scrapes;
};

/* The metrics endpoint: one listener, short-lived HTTP/1.0 connections. */
struct metrics_conn {
  enum handle_kind kind; /* HANDLE_METRICS_CONN */
  struct metrics_conn *next;
  int fd;
  char req[2048];
  size_t req_len;
  char *resp;
  size_t resp_len, resp_sent;
  uint64_t deadline_ms;
  bool dead;
};

/* The fsync worker: one thread that makes a batch of messages durable. Fields under
 * mu: has_job, job_done, quit. txns/njob belong to the worker while has_job. */
struct sync_worker {
  enum handle_kind kind; /* HANDLE_SYNC: its eventfd is in the epoll set */
  int efd;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool started, busy; /* busy: a job is out (main thread's view) */
  bool has_job, job_done, quit;
  struct maildir *md;
  struct maildir *qmd;  /* the queue directory, or NULL */
  struct session **job; /* the sessions of the job (main thread only) */
  struct txn **txns;    /* their transactions (the worker's copy) */
  size_t njob;
};

/* The whole daemon. */
struct daemon {
  const struct refsmtpd_options *opt;
  int epfd, sigfd;
  struct {
    enum handle_kind kind;
  } signal_handle;
  struct listener listeners[REFSMTPD_MAX_LISTEN];
  size_t nlisteners;
  char hostname[256];
  struct smtp_server_config cfg_smtp, cfg_submission;
  struct smtp_server_hooks hooks;
  struct policy policy;
  const char *default_domain[1];
  struct maildir maildir;
  bool have_maildir;
  struct tls_server tls;
  bool have_tls;
  struct auth_users users;
  bool have_users;
  struct ipcount ipc;
  struct session *sessions; /* list head */
  struct session *dead;     /* freed at the end of each iteration */
  unsigned nsessions;
  uint64_t next_id;
  uint64_t next_deadline_ms;
  char *rbuf; /* shared read buffer (heap, DAEMON_READ_SIZE) */
  char *pbuf; /* shared plaintext buffer for TLS */
  struct sync_worker sync;
  struct session **batch; /* sessions whose message waits for the worker */
  size_t nbatch, batch_cap;
  bool draining;
  uint64_t drain_started_ms;
  bool stop_now;
  uint64_t start_time;                /* wall clock seconds at start, for message ids */
  int reserve_fd;                     /* spare descriptor, released to refuse a client at EMFILE */
  uint64_t batches, batched_messages; /* group-commit figures, logged at exit */
  /* Relaying (issue 7). */
  bool have_queue;
  struct queue queue;
  struct routes routes;
  struct tls_client tls_client;
  bool have_tls_client;
  struct queue_entry *queued; /* every message in the queue */
  size_t nqueued;
  struct relay_conn *relays; /* connections under way */
  size_t nrelays;
  uint64_t relay_next_ms; /* when the scheduler must look again (0: nothing due) */
  /* Metrics (issue 6). */
  struct daemon_counters counters;
  struct {
    enum handle_kind kind; /* HANDLE_METRICS */
    int fd;
  } metrics;
  struct metrics_conn *metrics_conns;
};

#define DAEMON_READ_SIZE 16384

/* daemon.c */
/* daemon_init - everything that can fail at start-up: Maildir, TLS, users, sockets.
 * Returns 0, or -1 with a user-facing message in err (exit status 1). */
int daemon_init(struct daemon *d, const struct refsmtpd_options *opt, char *err, size_t errcap);
/* daemon_run - the event loop; returns when drained after SIGTERM/SIGINT. 0 or 1. */
int daemon_run(struct daemon *d);
/* daemon_free - release everything. */
void daemon_free(struct daemon *d);
/* daemon_now_ms - the monotonic clock in milliseconds. */
uint64_t daemon_now_ms(void);
/* daemon_set_deadline - arm a session's timer. */
void daemon_set_deadline(struct session *s, enum session_timer timer, uint64_t ms_from_now);

/* listener.c */
/* listener_open - bind and listen; -1 with a message ("cannot listen on X: ...") */
int listener_open(struct listener *l, const struct listen_addr *addr, char *err, size_t errcap);
/* listener_accept - accept pending connections into sessions (bounded per call). */
void listener_accept(struct daemon *d, struct listener *l);

/* session.c */
/* session_new - wrap an accepted socket; NULL on failure (the caller closes fd). */
struct session *session_new(struct daemon *d, struct listener *l, int fd,
                            const struct sockaddr *peer);
/* session_event - the socket is readable/writable/hung up. */
void session_event(struct session *s, uint32_t events);
/* session_pump - move bytes between the engine and the peer until nothing moves. */
void session_pump(struct session *s);
/* session_close - close now (reason for the log line); the memory goes at loop end. */
void session_close(struct session *s, const char *reason);
/* session_timeout - the session's deadline passed. */
void session_timeout(struct session *s);
/* session_shutdown - the daemon is draining: close now if idle, else after the txn. */
void session_shutdown(struct session *s);
/* session_destroy - free a closed session. */
void session_destroy(struct session *s);
/* session_idle - no transaction, no pending decision, nothing being written. */
bool session_idle(const struct session *s);

/* hooks.c */
/* hooks_init - the engine hooks refsmtpd answers. */
void hooks_init(struct smtp_server_hooks *h);
/* txn_free - end a session's transaction, removing an unpublished file. */
void txn_free(struct session *s);
/* txn_log - one log line for the session's transaction and its outcome. */
void txn_log(const struct session *s, const char *outcome);
/* txn_failure_reply - 452 4.3.1 when the disk is full, else 451 4.3.0. */
void txn_failure_reply(const struct txn *t, struct smtp_hook_reply *reply);

/* batch.c */
/* batch_add - a session's message waits for fsync; 0 or -1. */
int batch_add(struct daemon *d, struct session *s);
/* batch_start - start the fsync worker; 0, or -1 with a message. */
int batch_start(struct daemon *d, char *err, size_t errcap);
/* batch_kick - if the worker is idle, hand it every waiting message. */
void batch_kick(struct daemon *d);
/* batch_done - the worker's eventfd fired: answer that batch, start the next. */
void batch_done(struct daemon *d);
/* batch_stop - finish every batch (blocking), then end the worker. */
void batch_stop(struct daemon *d);

/* relay.c */
/* relay_init - open the queue, load routes, the TLS client context; scan the queue. */
int relay_init(struct daemon *d, char *err, size_t errcap);
/* relay_free - close connections, release entries. */
void relay_free(struct daemon *d);
/* relay_enqueue - a message reached the queue (name in queue new/): schedule it now. */
void relay_enqueue(struct daemon *d, const char *name);
/* relay_run - start due attempts, expire old messages, time out connections. */
void relay_run(struct daemon *d);
/* relay_event - an outbound connection is readable/writable. */
void relay_event(struct relay_conn *c, uint32_t events);
/* relay_next_deadline - the earliest relay timer (0: none). */
uint64_t relay_next_deadline(const struct daemon *d);
/* relay_drain - SIGTERM: start nothing new; true while connections are under way. */
bool relay_busy(const struct daemon *d);
/* relay_abort_all - close every outbound connection now (recipients stay pending). */
void relay_abort_all(struct daemon *d);

/* bounce.c */
/* bounce_send - RFC 3464 bounce for e's recipients with status B (marked by the caller),
 * to e->from: into the Maildir when its domain is local, else queued with MAIL FROM:<>.
 * Nothing for the null reverse-path (RFC 5321 4.5.5, 6.1). 0 or -1. */
int bounce_send(struct daemon *d, struct queue_entry *e, const size_t *idx, size_t n);

/* metrics_http.c */
/* metrics_open - listen on --metrics (loopback only). 0 or -1 with a message. */
int metrics_open(struct daemon *d, char *err, size_t errcap);
/* metrics_close - stop listening and drop connections. */
void metrics_close(struct daemon *d);
/* metrics_accept - accept scrapers. */
void metrics_accept(struct daemon *d);
/* metrics_conn_event - a scraper's socket is ready. */
void metrics_conn_event(struct daemon *d, struct metrics_conn *c, uint32_t events);
/* metrics_timers - drop scrapers that are too slow; free closed ones. */
void metrics_timers(struct daemon *d);
/* metrics_text - the exposition text of the daemon's counters (malloc'd). */
char *metrics_text(const struct daemon *d, size_t *len);

/* log.c */
/* log_msg - one line to stderr, "refsmtpd: " first. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_clean - copy peer-supplied text for a log line: non-printable octets become '?'. */
void log_clean(const char *in, size_t len, char *out, size_t cap);

#endif
