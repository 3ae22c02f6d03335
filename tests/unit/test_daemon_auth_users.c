/* test_daemon_auth_users.c - the --auth-users file and crypt(3) password checks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth_users.h"

/* `openssl passwd -6 -salt testsalt secret` */
#define SECRET_HASH                                                                                \
  "$6$testsalt$51yaaBMXXXt5vK522YOlIMZ267vqHtMIzc2klcsu3EEv/bkR"                                   \
  "DU9g3UmkypXf.NvlpPpIPK1nX5zdbCeJBiQbB/"

/* write_file - a temporary file holding text; returns its path (free it). */
static char *write_file(const char *text) {
  char *path = strdup("/tmp/test_auth_users.XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

Test(daemon_auth_users, the_right_password_passes_and_others_fail) {
  char *path = write_file("# users\n\nalice:" SECRET_HASH "\nbob:" SECRET_HASH "\r\n");
  struct auth_users a;
  char err[256];
  cr_assert_eq(auth_users_load(&a, path, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(a.count, 2);
  cr_assert(auth_users_check(&a, "alice", 5, "secret", 6));
  cr_assert(auth_users_check(&a, "bob", 3, "secret", 6), "CRLF line endings are tolerated");
  cr_assert_not(auth_users_check(&a, "alice", 5, "Secret", 6));
  cr_assert_not(auth_users_check(&a, "alice", 5, "secre", 5));
  cr_assert_not(auth_users_check(&a, "alic", 4, "secret", 6));
  cr_assert_not(auth_users_check(&a, "carol", 5, "secret", 6));
  cr_assert_not(auth_users_check(&a, "alice", 5, "secret\0x", 8), "NUL inside a password");
  auth_users_free(&a);
  unlink(path);
  free(path);
}

Test(daemon_auth_users, a_malformed_line_is_reported_with_its_number) {
  char *path = write_file("alice:" SECRET_HASH "\nbob-without-hash\n");
  struct auth_users a;
  char err[512];
  cr_assert_eq(auth_users_load(&a, path, err, sizeof(err)), -1);
  cr_assert_not_null(strstr(err, ":2:"), "%s", err);
  unlink(path);
  free(path);
}

Test(daemon_auth_users, a_plaintext_password_in_the_file_is_refused) {
  char *path = write_file("alice:secret\n");
  struct auth_users a;
  char err[512];
  cr_assert_eq(auth_users_load(&a, path, err, sizeof(err)), -1);
  cr_assert_not_null(strstr(err, "openssl passwd"), "%s", err);
  unlink(path);
  free(path);
}

Test(daemon_auth_users, a_missing_file_is_reported) {
  struct auth_users a;
  char err[512];
  cr_assert_eq(auth_users_load(&a, "/nonexistent/users", err, sizeof(err)), -1);
  cr_assert_not_null(strstr(err, "No such file"), "%s", err);
}
