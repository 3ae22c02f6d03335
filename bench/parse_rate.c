/* parse_rate.c - throughput of libsmtp's command parser and DATA unstuffer, each as a
 * ratio to a plain memchr() CRLF line splitter run over the very same bytes.
 *
 *   parse_rate [--megabytes N]
 *
 * Prints "name value" lines (MB = 10^6 octets): memchr_mbs, command_mbs, command_ratio,
 * memchr_data_mbs, unstuff_mbs, unstuff_ratio, plus the counts that prove the work was
 * done. Each rate is the best of three passes over at least N MB. Exit 1 when a
 * generated command fails to parse or the unstuffer's output differs from the content
 * that was stuffed (checked once, before timing). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtp/command.h"
#include "smtp/data.h"
#include "smtp/ext.h"

/* Size of one generated corpus; passes repeat it until the byte target is reached. */
#define CORPUS_OCTETS (4u << 20)
/* The unstuffer is fed in pieces of this size, as a daemon's reads would feed it. */
#define FEED_OCTETS 16384u

/* A growable byte buffer (heap only). */
struct buf {
  char *data;
  size_t len, cap;
};

/* One generated corpus and what a correct parse of it must give. */
struct corpus {
  struct buf commands; /* CRLF command lines */
  size_t ncommands;    /* lines in commands */
  struct buf wire;     /* dot-stuffed messages, each ending in CRLF.CRLF */
  struct buf content;  /* the same messages unstuffed, back to back */
  size_t nmessages;    /* messages in wire */
};

/* buf_append - append len octets; -1 when out of memory. */
static int buf_append(struct buf *b, const void *p, size_t len) {
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + len)
      cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
      return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, len);
  b->len += len;
  return 0;
}

/* buf_line - append one formatted line plus CRLF; -1 on error. */
static int buf_line(struct buf *b, const char *text) {
  if (buf_append(b, text, strlen(text)) != 0)
    return -1;
  return buf_append(b, "\r\n", 2);
}

/* gen_commands - a realistic mix of RFC 5321 commands with ESMTP parameters. */
static int gen_commands(struct corpus *c) {
  char line[256];
  unsigned i = 0;
  while (c->commands.len < CORPUS_OCTETS) {
    switch (i % 10) {
    case 0:
      snprintf(line, sizeof line, "EHLO client%u.mail.example.org", i);
      break;
    case 1:
      snprintf(line, sizeof line, "MAIL FROM:<sender.%u@example.org> SIZE=%u BODY=8BITMIME", i,
               1000 + i % 50000);
      break;
    case 2:
      snprintf(line, sizeof line, "RCPT TO:<user%u@bench.test>", i);
      break;
    case 3:
      snprintf(line, sizeof line, "RCPT TO:<User.Name+tag%u@[192.0.2.%u]> NOTIFY=SUCCESS,FAILURE",
               i, i % 250);
      break;
    case 4:
      snprintf(line, sizeof line, "RCPT TO:<postmaster>");
      break;
    case 5:
      snprintf(line, sizeof line, "DATA");
      break;
    case 6:
      snprintf(line, sizeof line, "MAIL FROM:<> RET=HDRS ENVID=bench%u", i);
      break;
    case 7:
      snprintf(line, sizeof line, "RSET");
      break;
    case 8:
      snprintf(line, sizeof line, "NOOP");
      break;
    default:
      snprintf(line, sizeof line, "VRFY user%u", i);
      break;
    }
    if (buf_line(&c->commands, line) != 0)
      return -1;
    c->ncommands++;
    i++;
  }
  return 0;
}

/* gen_messages - messages of about 4 KB with some lines that begin with '.', stuffed for
 * the wire (RFC 5321 4.5.2) and kept unstuffed for checking. */
static int gen_messages(struct corpus *c) {
  char line[160];
  unsigned m = 0;
  while (c->wire.len < CORPUS_OCTETS) {
    for (unsigned j = 0; j < 50; j++) {
      if (j % 9 == 4)
        snprintf(line, sizeof line, ".line %u of message %u starts with a dot", j, m);
      else
        snprintf(line, sizeof line,
                 "Line %u of message %u: the quick brown fox jumps over the lazy dog", j, m);
      if (line[0] == '.' && buf_append(&c->wire, ".", 1) != 0)
        return -1;
      if (buf_line(&c->wire, line) != 0 || buf_line(&c->content, line) != 0)
        return -1;
    }
    if (buf_line(&c->wire, ".") != 0)
      return -1;
    c->nmessages++;
    m++;
  }
  return 0;
}

/* seconds - a monotonic clock reading. */
static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* split_lines - the baseline: find every CRLF with memchr; returns the lines found. */
static size_t split_lines(const char *p, size_t len, size_t *octets) {
  const char *end = p + len;
  size_t n = 0;
  while (p < end) {
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    if (!lf)
      break;
    if (lf > p && lf[-1] == '\r') {
      n++;
      *octets += (size_t)(lf - p - 1);
    }
    p = lf + 1;
  }
  return n;
}

/* parse_lines - split the same way and parse every line; counts failures in *bad. */
static size_t parse_lines(const char *p, size_t len, size_t *bad) {
  const char *end = p + len;
  struct smtp_command cmd;
  struct smtp_command_error err;
  size_t n = 0;
  while (p < end) {
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    if (!lf)
      break;
    if (smtp_command_parse(p, (size_t)(lf - p - 1), SMTP_EXT_ALL, &cmd, &err) != 0)
      (*bad)++;
    n++;
    p = lf + 1;
  }
  return n;
}

/* unstuff_all - run the unstuffer over the wire bytes in FEED_OCTETS pieces; out gets the
 * content of every message back to back. Returns messages completed, or (size_t)-1. */
static size_t unstuff_all(const struct buf *wire, char *out, size_t outcap, size_t *outlen) {
  struct smtp_unstuffer u;
  size_t pos = 0, done_msgs = 0;
  memset(&u, 0, sizeof u);
  *outlen = 0;
  while (pos < wire->len) {
    size_t n = wire->len - pos < FEED_OCTETS ? wire->len - pos : FEED_OCTETS;
    size_t produced = 0;
    bool done = false;
    if (*outlen + n + 2 > outcap)
      return (size_t)-1;
    size_t used = smtp_unstuff(&u, wire->data + pos, n, out + *outlen, &produced, &done);
    *outlen += produced;
    pos += used;
    if (done) {
      done_msgs++;
      memset(&u, 0, sizeof u);
    } else if (used == 0) {
      return (size_t)-1; /* no progress without reaching the end: a bug */
    }
  }
  return done_msgs;
}

/* The four rates, in MB/s (10^6 octets per second). */
struct rates {
  double memchr_mbs, command_mbs, memchr_data_mbs, unstuff_mbs;
};

/* verify - 0 when every generated command parses and the unstuffer gives back exactly
 * the content that was stuffed; a benchmark of wrong code measures nothing. */
static int verify(const struct corpus *c, char *scratch, size_t scratchcap) {
  size_t bad = 0, outlen = 0;
  parse_lines(c->commands.data, c->commands.len, &bad);
  if (bad) {
    fprintf(stderr, "parse_rate: %zu generated command lines failed to parse\n", bad);
    return -1;
  }
  size_t msgs = unstuff_all(&c->wire, scratch, scratchcap, &outlen);
  if (msgs != c->nmessages || outlen != c->content.len ||
      memcmp(scratch, c->content.data, outlen) != 0) {
    fprintf(stderr, "parse_rate: smtp_unstuff gave %zu messages, %zu octets; want %zu, %zu\n", msgs,
            outlen, c->nmessages, c->content.len);
    return -1;
  }
  return 0;
}

/* keep_best - raise *best to v. */
static void keep_best(double *best, double v) {
  if (v > *best)
    *best = v;
}

/* measure - the best of three passes of each rate, each pass over at least target octets. */
static void measure(const struct corpus *c, size_t target, struct rates *r, char *scratch,
                    size_t scratchcap) {
  volatile size_t sink = 0;
  size_t cmd_reps = target / c->commands.len + 1, data_reps = target / c->wire.len + 1;
  double cmd_mb = (double)(c->commands.len * cmd_reps) / 1e6;
  double data_mb = (double)(c->wire.len * data_reps) / 1e6;
  memset(r, 0, sizeof *r);
  for (int pass = 0; pass < 3; pass++) {
    size_t bad = 0, octets = 0, outlen = 0;
    double t0 = seconds();
    for (size_t i = 0; i < cmd_reps; i++)
      sink += split_lines(c->commands.data, c->commands.len, &octets);
    double t1 = seconds();
    for (size_t i = 0; i < cmd_reps; i++)
      sink += parse_lines(c->commands.data, c->commands.len, &bad);
    double t2 = seconds();
    for (size_t i = 0; i < data_reps; i++)
      sink += split_lines(c->wire.data, c->wire.len, &octets);
    double t3 = seconds();
    for (size_t i = 0; i < data_reps; i++)
      sink += unstuff_all(&c->wire, scratch, scratchcap, &outlen);
    double t4 = seconds();
    sink += octets + bad + outlen;
    keep_best(&r->memchr_mbs, cmd_mb / (t1 - t0));
    keep_best(&r->command_mbs, cmd_mb / (t2 - t1));
    keep_best(&r->memchr_data_mbs, data_mb / (t3 - t2));
    keep_best(&r->unstuff_mbs, data_mb / (t4 - t3));
  }
  (void)sink;
}

/* usage - print how to run the program. */
static void usage(FILE *f) {
  fputs("usage: parse_rate [--megabytes N]   (N from 1 to 100000, default 64)\n", f);
}

/* main - generate the corpora, measure, print "name value" lines. */
int main(int argc, char **argv) {
  struct corpus c;
  struct rates r;
  char *scratch = NULL;
  unsigned long mb = 64;
  int status = 1;

  memset(&c, 0, sizeof c);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--megabytes") == 0 && i + 1 < argc) {
      char *end;
      mb = strtoul(argv[++i], &end, 10);
      if (*end || mb < 1 || mb > 100000) {
        usage(stderr);
        return 2;
      }
    } else if (strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if (gen_commands(&c) != 0 || gen_messages(&c) != 0) {
    fprintf(stderr, "parse_rate: out of memory generating the corpus\n");
    goto out;
  }
  scratch = malloc(c.wire.len + FEED_OCTETS);
  if (!scratch) {
    fprintf(stderr, "parse_rate: out of memory\n");
    goto out;
  }
  if (verify(&c, scratch, c.wire.len + FEED_OCTETS) != 0)
    goto out;
  measure(&c, (size_t)mb * 1000000u, &r, scratch, c.wire.len + FEED_OCTETS);
  printf("corpus_commands %zu\n", c.ncommands);
  printf("corpus_messages %zu\n", c.nmessages);
  printf("memchr_mbs %.0f\n", r.memchr_mbs);
  printf("command_mbs %.0f\n", r.command_mbs);
  printf("command_ratio %.2f\n", r.command_mbs / r.memchr_mbs);
  printf("memchr_data_mbs %.0f\n", r.memchr_data_mbs);
  printf("unstuff_mbs %.0f\n", r.unstuff_mbs);
  printf("unstuff_ratio %.2f\n", r.unstuff_mbs / r.memchr_data_mbs);
  status = 0;
out:
  free(scratch);
  free(c.commands.data);
  free(c.wire.data);
  free(c.content.data);
  return status;
}
