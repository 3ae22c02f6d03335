/* auth_users.h - the --auth-users file: "user:hash" lines, hashes from
 * `openssl passwd -6` (or any crypt(3) scheme), checked with crypt_r. */
#ifndef REFSMTPD_AUTH_USERS_H
#define REFSMTPD_AUTH_USERS_H

#include <stdbool.h>
#include <stddef.h>

struct auth_user {
  char *name;
  char *hash;
};

/* The loaded users plus crypt_r's work area (32 KiB: on the heap, never the stack). */
struct auth_users {
  struct auth_user *users;
  size_t count;
  void *crypt_data;
};

/* auth_users_load - read path; '#' comments and blank lines are skipped. On failure
 * returns -1 with a message naming the file and line in err. */
int auth_users_load(struct auth_users *a, const char *path, char *err, size_t errcap);
/* auth_users_free - release everything. */
void auth_users_free(struct auth_users *a);
/* auth_users_check - do user/pass match a line? Unknown users cost as much time as known
 * ones (a dummy hash is checked), so timing does not reveal which users exist. */
bool auth_users_check(struct auth_users *a, const char *user, size_t user_len, const char *pass,
                      size_t pass_len);

#endif
