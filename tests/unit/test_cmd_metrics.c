/* test_cmd_metrics.c - smtpcheck metrics against a canned HTTP server on loopback:
 * output, deltas with --watch, and the exit statuses. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd_metrics.h"
#include "commands.h"

/* A server that answers each of n connections with one of the responses. */
struct canned {
  int fd;
  const char *responses[4];
  int n;
  char request[512];
};

/* serve - accept n connections, read the request head, answer, close. */
static void *serve(void *arg) {
  struct canned *c = arg;
  for (int i = 0; i < c->n; i++) {
    int fd = accept(c->fd, NULL, NULL);
    ssize_t got = 0, r;
    if (fd < 0)
      return NULL;
    while ((size_t)got < sizeof(c->request) - 1 &&
           (r = recv(fd, c->request + got, sizeof(c->request) - 1 - (size_t)got, 0)) > 0) {
      got += r;
      c->request[got] = '\0';
      if (strstr(c->request, "\r\n\r\n") != NULL)
        break;
    }
    if (send(fd, c->responses[i], strlen(c->responses[i]), MSG_NOSIGNAL) < 0) {
      /* the test sees the failure */
    }
    close(fd);
  }
  return NULL;
}

/* start - listen on 127.0.0.1:0; target gets "127.0.0.1:PORT". */
static void start(struct canned *c, pthread_t *t, char *target, size_t cap) {
  struct sockaddr_in sin;
  socklen_t len = sizeof(sin);
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(c->fd, 0);
  cr_assert_eq(bind(c->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  cr_assert_eq(listen(c->fd, 4), 0);
  cr_assert_eq(getsockname(c->fd, (struct sockaddr *)&sin, &len), 0);
  snprintf(target, cap, "127.0.0.1:%u", ntohs(sin.sin_port));
  cr_assert_eq(pthread_create(t, NULL, serve, c), 0);
}

#define BODY1 "# HELP a_total A.\n# TYPE a_total counter\na_total 5\nb{class=\"2xx\"} 1\n"
#define BODY2 "# HELP a_total A.\n# TYPE a_total counter\na_total 8\nb{class=\"2xx\"} 1\n"
#define OK_HEAD "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\r\n"

Test(cmd_metrics, raw_prints_the_exposition_as_served, .init = cr_redirect_stdout) {
  struct canned c = {.responses = {OK_HEAD BODY1}, .n = 1};
  pthread_t t;
  char target[64];
  start(&c, &t, target, sizeof(target));
  char *argv[] = {"metrics", "--raw", target};
  cr_assert_eq(cmd_metrics(3, argv), EXIT_OK);
  pthread_join(t, NULL);
  close(c.fd);
  fflush(stdout);
  cr_assert_stdout_eq_str(BODY1);
  cr_assert_not_null(strstr(c.request, "GET /metrics HTTP/1.0\r\n"), "%s", c.request);
}

Test(cmd_metrics, watch_shows_the_change_between_scrapes, .init = cr_redirect_stdout) {
  struct canned c = {.responses = {OK_HEAD BODY1, OK_HEAD BODY2}, .n = 2};
  pthread_t t;
  char target[64];
  start(&c, &t, target, sizeof(target));
  char *argv[] = {"metrics", "--watch", "1", "--count", "2", target};
  cr_assert_eq(cmd_metrics(6, argv), EXIT_OK);
  pthread_join(t, NULL);
  close(c.fd);
  fflush(stdout);
  char expect[512];
  snprintf(expect, sizeof(expect), "%-48s 5\n%-48s 1\n\n%-48s 8  (+3)\n%-48s 1\n", "a_total",
           "b{class=\"2xx\"}", "a_total", "b{class=\"2xx\"}");
  cr_assert_stdout_eq_str(expect);
}

Test(cmd_metrics, a_refusal_is_exit_1_and_no_server_is_exit_3, .init = cr_redirect_stderr) {
  struct canned c = {.responses = {"HTTP/1.0 404 Not Found\r\n\r\nNo\n"}, .n = 1};
  pthread_t t;
  char target[64];
  start(&c, &t, target, sizeof(target));
  char *argv[] = {"metrics", target};
  cr_assert_eq(cmd_metrics(2, argv), EXIT_FINDING);
  pthread_join(t, NULL);
  close(c.fd); /* nobody listens there any more */
  cr_assert_eq(cmd_metrics(2, argv), EXIT_UNREACHABLE);
}

Test(cmd_metrics, bad_command_lines_are_usage_errors, .init = cr_redirect_stderr) {
  char *none[] = {"metrics"};
  char *two[] = {"metrics", "127.0.0.1:1", "127.0.0.1:2"};
  char *watch[] = {"metrics", "--watch", "0", "127.0.0.1:1"};
  char *flag[] = {"metrics", "--bogus", "127.0.0.1:1"};
  cr_assert_eq(cmd_metrics(1, none), EXIT_USAGE);
  cr_assert_eq(cmd_metrics(3, two), EXIT_USAGE);
  cr_assert_eq(cmd_metrics(4, watch), EXIT_USAGE);
  cr_assert_eq(cmd_metrics(3, flag), EXIT_USAGE);
}
