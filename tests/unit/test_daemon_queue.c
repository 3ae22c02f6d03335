/* test_daemon_queue.c - the relay queue's files: the envelope round-trips, a damaged
 * envelope is refused, a recipient's status changes in place on disk, the scan at
 * start-up finds every file, and the content comes back byte for byte. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queue.h"

/* tmpdir - a fresh directory for one test. */
static char *tmpdir(void) {
  char *dir = strdup("/tmp/test_daemon_queue.XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  return dir;
}

/* rmtree - remove what the tests create (two levels). */
static void rmtree(const char *dir) {
  char cmd[512];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

Test(daemon_queue, an_envelope_round_trips_with_every_recipient_pending) {
  const char *rcpts[] = {"bob@b.example", "\"odd name\"@c.example"};
  char buf[1024];
  int n = queue_envelope_format(buf, sizeof(buf), "ID1", 1700000000, "alice@a.example", rcpts, 2);
  cr_assert_gt(n, 0);
  cr_assert_str_eq(buf, "refsmtpd-queue 1\nid ID1\ncreated 1700000000\nfrom alice@a.example\n"
                        "rcpt P bob@b.example\nrcpt P \"odd name\"@c.example\n\n");
  struct queue_entry *e = queue_envelope_parse(buf, (size_t)n);
  cr_assert_not_null(e);
  cr_assert_str_eq(e->id, "ID1");
  cr_assert_eq(e->created, 1700000000u);
  cr_assert_str_eq(e->from, "alice@a.example");
  cr_assert_eq(e->nrcpts, 2);
  cr_assert_str_eq(e->rcpts[1].addr, "\"odd name\"@c.example");
  cr_assert_eq(e->rcpts[0].status, QUEUE_PENDING);
  cr_assert_eq(buf[e->rcpts[0].status_off], 'P', "status_off points at the status octet");
  cr_assert_eq(buf[e->rcpts[1].status_off], 'P');
  cr_assert_eq(e->content_off, n, "the content starts after the empty line");
  cr_assert_eq(queue_pending(e), 2);
  queue_entry_free(e);
}

Test(daemon_queue, the_null_reverse_path_is_an_empty_from) {
  const char *rcpts[] = {"alice@a.example"};
  char buf[256];
  int n = queue_envelope_format(buf, sizeof(buf), "B1", 1, "", rcpts, 1);
  struct queue_entry *e = queue_envelope_parse(buf, (size_t)n);
  cr_assert_not_null(e);
  cr_assert_str_eq(e->from, "");
  queue_entry_free(e);
}

Test(daemon_queue, addresses_with_line_breaks_and_small_buffers_are_refused) {
  const char *bad[] = {"bob@b.example\nrcpt P evil@x"};
  const char *good[] = {"bob@b.example"};
  char buf[256];
  cr_assert_eq(queue_envelope_format(buf, sizeof(buf), "I", 1, "a@b", bad, 1), -1);
  cr_assert_eq(queue_envelope_format(buf, sizeof(buf), "I", 1, "a@b\r\nx", good, 1), -1);
  cr_assert_eq(queue_envelope_format(buf, 40, "I", 1, "a@b", good, 1), -1);
}

Test(daemon_queue, damaged_envelopes_are_refused) {
  static const char *const bad[] = {
      "",
      "refsmtpd-queue 2\nid I\ncreated 1\nfrom a@b\nrcpt P c@d\n\n",
      "refsmtpd-queue 1\nid I\ncreated 1\nfrom a@b\nrcpt P c@d\n",   /* no empty line */
      "refsmtpd-queue 1\nid I\ncreated 1\nfrom a@b\n\n",             /* no recipient */
      "refsmtpd-queue 1\ncreated 1\nfrom a@b\nrcpt P c@d\n\n",       /* no id */
      "refsmtpd-queue 1\nid I\ncreated 1\nrcpt P c@d\n\n",           /* no from */
      "refsmtpd-queue 1\nid I\ncreated 1\nfrom a@b\nrcpt X c@d\n\n", /* bad status */
      "refsmtpd-queue 1\nid I\ncreated 1x\nfrom a@b\nrcpt P c@d\n\n",
      "refsmtpd-queue 1\nid I\ncreated 1\nfrom a@b\nrcpt P c@d\nbogus\n\n",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    cr_assert_null(queue_envelope_parse(bad[i], strlen(bad[i])), "vector %zu", i);
  /* Every proper prefix of a good envelope is incomplete. */
  const char *good = "refsmtpd-queue 1\nid I\ncreated 1\nfrom a@b\nrcpt P c@d\n\n";
  for (size_t n = 0; n < strlen(good); n++)
    cr_assert_null(queue_envelope_parse(good, n), "prefix of %zu octets", n);
  struct queue_entry *e = queue_envelope_parse(good, strlen(good));
  cr_assert_not_null(e);
  queue_entry_free(e);
}

/* write_one - a queued message with two recipients, through queue_write. */
static void write_one(struct queue *q, const char *id, const char *content, char *name,
                      size_t cap) {
  const char *rcpts[] = {"bob@b.example", "carol@c.example"};
  char env[512];
  int n = queue_envelope_format(env, sizeof(env), id, 1700000000, "alice@a.example", rcpts, 2);
  cr_assert_gt(n, 0);
  cr_assert_eq(queue_write(q, env, (size_t)n, content, strlen(content), name, cap), 0);
}

Test(daemon_queue, a_status_change_is_on_disk_and_survives_a_reload) {
  char *dir = tmpdir(), err[256], name[128];
  struct queue q;
  cr_assert_eq(queue_open(&q, dir, err, sizeof(err)), 0, "%s", err);
  write_one(&q, "Q1", "Subject: x\r\n\r\nbody\r\n", name, sizeof(name));
  struct queue_entry *e = queue_load(&q, name);
  cr_assert_not_null(e);
  cr_assert_eq(queue_mark(&q, e, 0, QUEUE_DELIVERED), 0);
  cr_assert_eq(e->rcpts[0].status, QUEUE_DELIVERED);
  queue_entry_free(e);
  e = queue_load(&q, name);
  cr_assert_not_null(e);
  cr_assert_eq(e->rcpts[0].status, QUEUE_DELIVERED, "the delivered mark is durable");
  cr_assert_eq(e->rcpts[1].status, QUEUE_PENDING);
  cr_assert_eq(queue_pending(e), 1);
  size_t len;
  char *content = queue_read_content(&q, e, &len);
  cr_assert_not_null(content);
  cr_assert_eq(len, strlen("Subject: x\r\n\r\nbody\r\n"));
  cr_assert_eq(memcmp(content, "Subject: x\r\n\r\nbody\r\n", len), 0, "content unchanged");
  free(content);
  cr_assert_eq(queue_remove(&q, e), 0);
  cr_assert_null(queue_load(&q, name), "removed");
  queue_entry_free(e);
  queue_close(&q);
  rmtree(dir);
  free(dir);
}

Test(daemon_queue, the_scan_finds_every_message_and_skips_damaged_files) {
  char *dir = tmpdir(), err[256], name[128], path[512];
  struct queue q;
  struct queue_entry *list = NULL;
  cr_assert_eq(queue_open(&q, dir, err, sizeof(err)), 0, "%s", err);
  write_one(&q, "S1", "a\r\n", name, sizeof(name));
  write_one(&q, "S2", "b\r\n", name, sizeof(name));
  snprintf(path, sizeof(path), "%s/new/garbage", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("not a queue file\n", f);
  fclose(f);
  cr_assert_eq(queue_scan(&q, &list, NULL), 2);
  bool s1 = false, s2 = false;
  for (struct queue_entry *e = list, *next; e != NULL; e = next) {
    next = e->next;
    s1 |= strcmp(e->id, "S1") == 0;
    s2 |= strcmp(e->id, "S2") == 0;
    queue_entry_free(e);
  }
  cr_assert(s1 && s2);
  queue_close(&q);
  rmtree(dir);
  free(dir);
}

Test(daemon_queue, one_daemon_per_queue_and_crash_leftovers_in_tmp_are_removed) {
  char *dir = tmpdir(), err[256], path[512];
  struct queue q, q2;
  cr_assert_eq(queue_open(&q, dir, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(queue_open(&q2, dir, err, sizeof(err)), -1, "a second daemon on the same queue");
  cr_assert_not_null(strstr(err, "in use by another refsmtpd"), "%s", err);
  snprintf(path, sizeof(path), "%s/tmp/half-written", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("refsmtpd-queue 1\nid X\n", f);
  fclose(f);
  queue_close(&q);
  cr_assert_eq(queue_open(&q, dir, err, sizeof(err)), 0, "the lock went with the close: %s", err);
  cr_assert_eq(access(path, F_OK), -1, "a file never answered 250 does not survive a restart");
  queue_close(&q);
  rmtree(dir);
  free(dir);
}

Test(daemon_queue, mutated_envelopes_never_crash_and_parse_consistently) {
  const char *good = "refsmtpd-queue 1\nid I\ncreated 17\nfrom a@b\nrcpt P c@d\nrcpt D e@f\n\nbody";
  size_t len = strlen(good);
  char buf[128];
  unsigned seed = 12345;
  for (int round = 0; round < 20000; round++) {
    memcpy(buf, good, len);
    int edits = 1 + round % 4;
    for (int k = 0; k < edits; k++) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % len;
      seed = seed * 1103515245u + 12345u;
      buf[at] = (char)(seed >> 16);
    }
    seed = seed * 1103515245u + 12345u;
    size_t n = (seed >> 8) % (len + 1);
    struct queue_entry *e = queue_envelope_parse(buf, n);
    if (e == NULL)
      continue;
    cr_assert_leq((size_t)e->content_off, n);
    cr_assert_gt(e->nrcpts, 0);
    for (size_t i = 0; i < e->nrcpts; i++) {
      char st = buf[e->rcpts[i].status_off];
      cr_assert(st == 'P' || st == 'D' || st == 'B', "status_off points at a status octet");
      cr_assert_eq(st, e->rcpts[i].status);
    }
    queue_entry_free(e);
  }
}
