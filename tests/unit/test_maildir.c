/* test_maildir.c - Maildir delivery: directory creation, unique names, tmp/ -> new/. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir.h"

/* make_root - a fresh temporary folder for one test. */
static char *make_root(void) {
  char *root = strdup("/tmp/test_maildir.XXXXXX");
  cr_assert_not_null(mkdtemp(root));
  return root;
}

/* count_entries - regular files in dir (excluding . and ..). */
static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  cr_assert_not_null(d, "opendir %s: %s", dir, strerror(errno));
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

/* path_of - root/sub/name into buf. */
static const char *path_of(char *buf, size_t cap, const char *root, const char *sub,
                           const char *name) {
  snprintf(buf, cap, "%s/%s/%s", root, sub, name);
  return buf;
}

Test(maildir, open_creates_the_maildir_and_its_three_folders) {
  char *root = make_root(), path[512], sub[600];
  struct maildir m;
  char err[256];
  snprintf(path, sizeof(path), "%s/deep/er/Maildir", root);
  cr_assert_eq(maildir_open(&m, path, err, sizeof(err)), 0, "%s", err);
  for (int i = 0; i < 3; i++) {
    struct stat st;
    snprintf(sub, sizeof(sub), "%s/%s", path, (const char *[]){"tmp", "new", "cur"}[i]);
    cr_assert_eq(stat(sub, &st), 0, "%s missing", sub);
    cr_assert(S_ISDIR(st.st_mode));
  }
  cr_assert_eq(count_entries(path_of(sub, sizeof(sub), path, "tmp", "")), 0,
               "the write probe must not leave a file behind");
  maildir_close(&m);
  free(root);
}

Test(maildir, unique_names_differ_and_follow_the_maildir_pattern) {
  char *root = make_root(), a[128], b[128], expect[64];
  struct maildir m;
  char err[256];
  cr_assert_eq(maildir_open(&m, root, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(maildir_unique(&m, a, sizeof(a)), 0);
  cr_assert_eq(maildir_unique(&m, b, sizeof(b)), 0);
  cr_assert_str_neq(a, b);
  snprintf(expect, sizeof(expect), "P%ldQ", (long)getpid());
  cr_assert_not_null(strstr(a, expect), "%s lacks %s", a, expect);
  cr_assert_not_null(strstr(a, ".M"), "%s lacks .M<usec>", a);
  cr_assert_null(strchr(a, '/'));
  cr_assert_null(strchr(a, ':'), "':' is reserved for Maildir info");
  maildir_close(&m);
  free(root);
}

Test(maildir, a_thousand_names_in_a_row_are_all_distinct) {
  char *root = make_root();
  struct maildir m;
  char err[256];
  static char names[1000][128];
  cr_assert_eq(maildir_open(&m, root, err, sizeof(err)), 0, "%s", err);
  for (int i = 0; i < 1000; i++)
    cr_assert_eq(maildir_unique(&m, names[i], sizeof(names[i])), 0);
  for (int i = 0; i < 1000; i++)
    for (int j = i + 1; j < 1000; j++)
      cr_assert_str_neq(names[i], names[j]);
  maildir_close(&m);
  free(root);
}

Test(maildir, a_message_lives_in_tmp_until_published_then_only_in_new) {
  char *root = make_root(), p[512];
  struct maildir m;
  struct maildir_msg msg;
  char err[256], got[64] = {0};
  int fd;
  cr_assert_eq(maildir_open(&m, root, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(maildir_begin(&m, &msg), 0);
  cr_assert_eq(maildir_write(&msg, "Subject: x\r\n\r\n", 14), 0);
  cr_assert_eq(maildir_write(&msg, "body\r\n", 6), 0);
  cr_assert_eq(msg.octets, 20);
  cr_assert_eq(access(path_of(p, sizeof(p), root, "tmp", msg.name), F_OK), 0);
  cr_assert_eq(count_entries(path_of(p, sizeof(p), root, "new", "")), 0,
               "nothing may appear in new/ before publish");
  cr_assert_eq(maildir_sync(&msg), 0);
  cr_assert_eq(maildir_publish(&m, &msg), 0);
  cr_assert_eq(msg.fd, -1);
  cr_assert_eq(maildir_sync_new(&m), 0);
  cr_assert_neq(access(path_of(p, sizeof(p), root, "tmp", msg.name), F_OK), 0);
  fd = open(path_of(p, sizeof(p), root, "new", msg.name), O_RDONLY);
  cr_assert_geq(fd, 0);
  cr_assert_eq(read(fd, got, sizeof(got)), 20);
  cr_assert_str_eq(got, "Subject: x\r\n\r\nbody\r\n");
  close(fd);
  maildir_close(&m);
  free(root);
}

Test(maildir, abort_removes_the_unpublished_file) {
  char *root = make_root(), p[512];
  struct maildir m;
  struct maildir_msg msg;
  char err[256];
  cr_assert_eq(maildir_open(&m, root, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(maildir_begin(&m, &msg), 0);
  cr_assert_eq(maildir_write(&msg, "x", 1), 0);
  maildir_abort(&m, &msg);
  cr_assert_eq(count_entries(path_of(p, sizeof(p), root, "tmp", "")), 0);
  cr_assert_eq(count_entries(path_of(p, sizeof(p), root, "new", "")), 0);
  maildir_close(&m);
  free(root);
}

Test(maildir, message_files_are_private_to_the_owner) {
  char *root = make_root(), p[512];
  struct maildir m;
  struct maildir_msg msg;
  struct stat st;
  char err[256];
  cr_assert_eq(maildir_open(&m, root, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(maildir_begin(&m, &msg), 0);
  cr_assert_eq(fstat(msg.fd, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0600);
  maildir_abort(&m, &msg);
  (void)p;
  maildir_close(&m);
  free(root);
}

Test(maildir, a_maildir_path_under_a_regular_file_fails_with_a_readable_message) {
  char *root = make_root(), file[512], path[600];
  struct maildir m;
  char err[512];
  int fd;
  snprintf(file, sizeof(file), "%s/plain-file", root);
  fd = open(file, O_WRONLY | O_CREAT, 0600);
  cr_assert_geq(fd, 0);
  close(fd);
  snprintf(path, sizeof(path), "%s/Maildir", file);
  cr_assert_eq(maildir_open(&m, path, err, sizeof(err)), -1);
  cr_assert_not_null(strstr(err, "cannot write to Maildir"), "message: %s", err);
  cr_assert_not_null(strstr(err, path), "message names the path: %s", err);
  cr_assert_not_null(strstr(err, "Not a directory"), "message: %s", err);
  free(root);
}

Test(maildir, an_unwritable_tmp_folder_is_reported_at_open) {
  char *root = make_root(), tmp[512];
  struct maildir m;
  char err[512];
  if (geteuid() == 0)
    cr_skip_test("root ignores directory permissions (the integration test runs as nobody)");
  snprintf(tmp, sizeof(tmp), "%s/tmp", root);
  cr_assert_eq(mkdir(tmp, 0500), 0);
  cr_assert_eq(maildir_open(&m, root, err, sizeof(err)), -1);
  cr_assert_not_null(strstr(err, "cannot write to Maildir"), "message: %s", err);
  cr_assert_not_null(strstr(err, "/tmp: Permission denied"), "message: %s", err);
  free(root);
}
