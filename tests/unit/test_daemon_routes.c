/* test_daemon_routes.c - the --routes file and next-hop resolution. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "routes.h"

/* write_file - text into a temp file; returns its path (malloc'd). */
static char *write_file(const char *text) {
  char *path = strdup("/tmp/test_daemon_routes.XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

Test(daemon_routes, lines_name_next_hops_case_insensitively_with_a_fallback) {
  char *path = write_file("# comment\n\nb.example 127.0.0.1:2526\n"
                          "C.Example.\t[::1]:25\n  d.example   mx.d.example:587  \n");
  struct routes r;
  char err[256];
  cr_assert_eq(routes_load(&r, path, "127.0.0.1:2599", err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(r.count, 3);
  cr_assert_str_eq(routes_next_hop(&r, "B.EXAMPLE", 9), "127.0.0.1:2526", "RFC 5321 2.4");
  cr_assert_str_eq(routes_next_hop(&r, "c.example.", 10), "[::1]:25", "trailing dots");
  cr_assert_str_eq(routes_next_hop(&r, "d.example", 9), "mx.d.example:587");
  cr_assert_str_eq(routes_next_hop(&r, "sub.b.example", 13), "127.0.0.1:2599",
                   "no suffix matching: the fallback");
  routes_free(&r);
  cr_assert_eq(routes_load(&r, path, NULL, err, sizeof(err)), 0);
  cr_assert_null(routes_next_hop(&r, "z.example", 9), "no fallback: no route");
  routes_free(&r);
  unlink(path);
  free(path);
}

Test(daemon_routes, bad_lines_are_reported_with_their_number) {
  static const char *const bad[] = {"b.example\n", "b.example 127.0.0.1\n",
                                    "b.example 127.0.0.1:0\n", "b.example h:25 extra\n",
                                    "a@b.example h:25\n"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char text[128], err[256];
    struct routes r;
    snprintf(text, sizeof(text), "# ok\nok.example h:25\n%s", bad[i]);
    char *path = write_file(text);
    cr_assert_eq(routes_load(&r, path, NULL, err, sizeof(err)), -1, "vector %zu", i);
    cr_assert_not_null(strstr(err, "line 3"), "%s", err);
    unlink(path);
    free(path);
  }
  struct routes r;
  char err[256];
  cr_assert_eq(routes_load(&r, "/nonexistent/routes", NULL, err, sizeof(err)), -1);
  cr_assert_not_null(strstr(err, "No such file"), "%s", err);
}

Test(daemon_routes, numeric_next_hops_resolve_without_dns) {
  struct sockaddr_storage ss;
  socklen_t len;
  char err[256];
  cr_assert_eq(routes_resolve("127.0.0.1:2526", &ss, &len, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(ss.ss_family, AF_INET);
  cr_assert_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 2526);
  cr_assert_eq(routes_resolve("[::1]:25", &ss, &len, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(ss.ss_family, AF_INET6);
  cr_assert_eq(routes_resolve("localhost:25", &ss, &len, err, sizeof(err)), 0, "/etc/hosts: %s",
               err);
  cr_assert_eq(routes_resolve("noport", &ss, &len, err, sizeof(err)), -1);
  cr_assert_eq(routes_resolve("no-such-host.invalid:25", &ss, &len, err, sizeof(err)), -1);
}
