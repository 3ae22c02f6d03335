/* auth_users.c - load "user:hash" lines and check passwords with crypt_r(3). */
#include "auth_users.h"

#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A SHA-512 crypt hash of nothing useful, checked for unknown users to equalise timing. */
static const char dummy_hash[] = "$6$refsmtpd.dummy$y5RhtqdooQtoyXbjk8tseJI3whWbUR6p"
                                 "rN84BSeNcVv0nbEiYLa8PsZHohJCy2g2XkgcLSVeQh17Kd./xJgBV1";

/* add_user - append one parsed line. */
static int add_user(struct auth_users *a, const char *name, size_t nlen, const char *hash,
                    size_t hlen) {
  struct auth_user *grown = realloc(a->users, (a->count + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  a->users = grown;
  grown[a->count].name = strndup(name, nlen);
  grown[a->count].hash = strndup(hash, hlen);
  if (grown[a->count].name == NULL || grown[a->count].hash == NULL) {
    free(grown[a->count].name);
    free(grown[a->count].hash);
    return -1;
  }
  a->count++;
  return 0;
}

/* auth_users_load - read path into a; -1 with a message on failure. */
int auth_users_load(struct auth_users *a, const char *path, char *err, size_t errcap) {
  FILE *f;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  unsigned lineno = 0;
  int rc = -1;

  memset(a, 0, sizeof(*a));
  a->crypt_data = calloc(1, sizeof(struct crypt_data));
  if (a->crypt_data == NULL) {
    snprintf(err, errcap, "out of memory");
    return -1;
  }
  f = fopen(path, "r");
  if (f == NULL) {
    snprintf(err, errcap, "cannot read --auth-users %s: %s", path, strerror(errno));
    goto out;
  }
  while ((len = getline(&line, &cap, f)) >= 0) {
    char *colon;
    lineno++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = '\0';
    if (len == 0 || line[0] == '#')
      continue;
    colon = strchr(line, ':');
    if (colon == NULL || colon == line || colon[1] != '$') {
      snprintf(err, errcap, "%s:%u: expected user:hash (hash from openssl passwd -6)", path,
               lineno);
      goto out;
    }
    if (add_user(a, line, (size_t)(colon - line), colon + 1, strlen(colon + 1)) != 0) {
      snprintf(err, errcap, "out of memory");
      goto out;
    }
  }
  if (ferror(f)) {
    snprintf(err, errcap, "cannot read --auth-users %s: %s", path, strerror(errno));
    goto out;
  }
  rc = 0;
out:
  free(line);
  if (f != NULL)
    fclose(f);
  if (rc != 0)
    auth_users_free(a);
  return rc;
}

/* auth_users_free - release everything. */
void auth_users_free(struct auth_users *a) {
  for (size_t i = 0; i < a->count; i++) {
    free(a->users[i].name);
    free(a->users[i].hash);
  }
  free(a->users);
  free(a->crypt_data);
  memset(a, 0, sizeof(*a));
}

/* auth_users_check - do user/pass match a line? */
bool auth_users_check(struct auth_users *a, const char *user, size_t user_len, const char *pass,
                      size_t pass_len) {
  const char *hash = dummy_hash, *got;
  char pw[1024];
  bool known = false;

  /* Passwords reach crypt(3) as C strings: refuse NUL and absurd lengths. */
  if (pass_len >= sizeof(pw) || memchr(pass, '\0', pass_len) != NULL ||
      memchr(user, '\0', user_len) != NULL)
    return false;
  for (size_t i = 0; i < a->count; i++) {
    if (strlen(a->users[i].name) == user_len && memcmp(a->users[i].name, user, user_len) == 0) {
      hash = a->users[i].hash;
      known = true;
      break;
    }
  }
  memcpy(pw, pass, pass_len);
  pw[pass_len] = '\0';
  got = crypt_r(pw, hash, a->crypt_data);
  OPENSSL_cleanse(pw, sizeof(pw));
  /* libxcrypt signals failure with NULL or a string starting with '*'. */
  if (got == NULL || got[0] == '*' || strlen(got) != strlen(hash))
    return false;
  return known && CRYPTO_memcmp(got, hash, strlen(hash)) == 0;
}
