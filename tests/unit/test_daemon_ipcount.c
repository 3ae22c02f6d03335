/* test_daemon_ipcount.c - the per-address session counter behind --max-per-ip. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "ipcount.h"

/* key4 - the key of an IPv4 address a.b.c.d. */
static void key4(unsigned a, unsigned b, unsigned c, unsigned d, unsigned char key[16]) {
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl((a << 24) | (b << 16) | (c << 8) | d);
  ipcount_key((struct sockaddr *)&sin, key);
}

Test(daemon_ipcount, counts_go_up_and_down_per_address) {
  struct ipcount t;
  unsigned char a[16], b[16];
  cr_assert_eq(ipcount_init(&t, 10), 0);
  key4(127, 0, 0, 1, a);
  key4(127, 0, 0, 2, b);
  cr_assert_eq(ipcount_add(&t, a), 1);
  cr_assert_eq(ipcount_add(&t, a), 2);
  cr_assert_eq(ipcount_add(&t, b), 1);
  cr_assert_eq(ipcount_get(&t, a), 2);
  ipcount_remove(&t, a);
  cr_assert_eq(ipcount_get(&t, a), 1);
  ipcount_remove(&t, a);
  cr_assert_eq(ipcount_get(&t, a), 0);
  cr_assert_eq(ipcount_get(&t, b), 1);
  cr_assert_eq(t.used, 1);
  ipcount_free(&t);
}

Test(daemon_ipcount, ipv4_and_its_v4_mapped_ipv6_form_are_one_client) {
  struct sockaddr_in6 sin6;
  unsigned char a[16], b[16];
  key4(192, 0, 2, 1, a);
  memset(&sin6, 0, sizeof(sin6));
  sin6.sin6_family = AF_INET6;
  cr_assert_eq(inet_pton(AF_INET6, "::ffff:192.0.2.1", &sin6.sin6_addr), 1);
  ipcount_key((struct sockaddr *)&sin6, b);
  cr_assert_eq(memcmp(a, b, 16), 0);
}

Test(daemon_ipcount, deletions_keep_every_other_address_findable_under_churn) {
  struct ipcount t;
  unsigned char k[16];
  unsigned expect[2000] = {0};
  unsigned seed = 12345;
  cr_assert_eq(ipcount_init(&t, 1000), 0);
  /* A deterministic random walk of adds and removes over 2000 addresses, checked
   * against a plain array after every step. */
  for (int step = 0; step < 200000; step++) {
    unsigned i;
    seed = seed * 1103515245u + 12345u;
    i = (seed >> 8) % 2000;
    key4(10, 0, i >> 8, i & 0xff, k);
    if (((seed >> 4) & 1) && expect[i] > 0) {
      ipcount_remove(&t, k);
      expect[i]--;
    } else if (t.used < 1000 || expect[i] > 0) {
      cr_assert_eq(ipcount_add(&t, k), ++expect[i]);
    }
    if (step % 1000 == 0) {
      for (unsigned j = 0; j < 2000; j++) {
        key4(10, 0, j >> 8, j & 0xff, k);
        cr_assert_eq(ipcount_get(&t, k), expect[j], "address %u at step %d", j, step);
      }
    }
  }
  ipcount_free(&t);
}
