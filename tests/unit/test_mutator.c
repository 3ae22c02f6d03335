/* test_mutator.c - the grammar-aware mutator (harness/src/gen_mutate.c) and its libFuzzer
 * and AFL++ faces (targets/mutator.c, compiled into this test). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../targets/mutator.c"
#include "gen_mutate.h"
#include "gen_session.h"

/* A small server session input. */
static const char conv[] = "#0000 0000 3\nEHLO a.example\r\nMAIL FROM:<a@b.example>\r\n"
                           "RCPT TO:<c@d.example>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n";

/* mutate - one edit of conv (or of in) into a fresh buffer of max octets. */
static size_t mutate(enum gen_target t, const char *in, size_t len, size_t max, uint64_t seed,
                     uint8_t **out, enum gen_mutation *op) {
  *out = malloc(max);
  cr_assert_not_null(*out);
  memcpy(*out, in, len < max ? len : max);
  return gen_mutate(t, *out, len < max ? len : max, max, seed, op);
}

/* count_lines - LFs in a buffer. */
static size_t count_lines(const uint8_t *p, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += p[i] == '\n';
  return k;
}

Test(mutator, the_same_seed_gives_the_same_mutation) {
  for (uint64_t seed = 0; seed < 300; seed++) {
    uint8_t *a, *b;
    size_t na = mutate(GEN_T_SERVER, conv, sizeof conv - 1, 4096, seed, &a, NULL);
    size_t nb = mutate(GEN_T_SERVER, conv, sizeof conv - 1, 4096, seed, &b, NULL);
    cr_assert_eq(na, nb);
    cr_assert(memcmp(a, b, na) == 0, "seed %llu differs", (unsigned long long)seed);
    free(a);
    free(b);
  }
}

Test(mutator, every_edit_is_chosen_for_some_seed) {
  bool seen[GEN_MUT_COUNT] = {false};
  for (uint64_t seed = 0; seed < 500; seed++) {
    uint8_t *a;
    enum gen_mutation op;
    mutate(GEN_T_SERVER, conv, sizeof conv - 1, 4096, seed, &a, &op);
    seen[op] = true;
    free(a);
  }
  for (int m = 0; m < GEN_MUT_COUNT; m++)
    cr_expect(seen[m], "edit %s never chosen", gen_mutation_name((enum gen_mutation)m));
}

Test(mutator, output_never_exceeds_the_maximum_size) {
  for (uint64_t seed = 0; seed < 500; seed++)
    for (size_t max = 1; max < 120; max += 17) {
      uint8_t *a;
      size_t n = mutate(GEN_T_SERVER, conv, sizeof conv - 1, max, seed, &a, NULL);
      cr_assert_leq(n, max);
      cr_assert_geq(n, 1);
      free(a);
    }
}

Test(mutator, line_edits_keep_the_control_line_of_a_session_input) {
  size_t ctl = strchr(conv, '\n') - conv + 1;
  for (uint64_t seed = 0; seed < 500; seed++) {
    uint8_t *a;
    enum gen_mutation op;
    size_t n = mutate(GEN_T_SERVER, conv, sizeof conv - 1, 8192, seed, &a, &op);
    if (op != GEN_MUT_SPLIT)
      cr_expect(n >= ctl && memcmp(a, conv, ctl) == 0, "seed %llu (%s) changed the controls",
                (unsigned long long)seed, gen_mutation_name(op));
    free(a);
  }
}

Test(mutator, split_edits_only_the_read_controls_of_a_session_input) {
  const char *stream = strchr(conv, '\n') + 1;
  size_t stream_len = sizeof conv - 1 - (size_t)(stream - conv);
  size_t splits = 0;
  for (uint64_t seed = 0; seed < 500; seed++) {
    uint8_t *a;
    enum gen_mutation op;
    size_t n = mutate(GEN_T_SERVER, conv, sizeof conv - 1, 8192, seed, &a, &op);
    if (op == GEN_MUT_SPLIT) {
      struct gen_session s;
      gen_session_decode(a, n, &s);
      cr_expect_eq(s.stream_len, stream_len);
      cr_expect(memcmp(s.stream, stream, stream_len) == 0, "the stream changed");
      cr_expect_gt(s.nctl, (size_t)GEN_SRV_READS, "no read control after a split");
      splits++;
    }
    free(a);
  }
  cr_expect_gt(splits, 0);
}

Test(mutator, drop_removes_one_line_and_duplicate_adds_one) {
  size_t lines = count_lines((const uint8_t *)conv, sizeof conv - 1);
  for (uint64_t seed = 0; seed < 300; seed++) {
    uint8_t *a;
    enum gen_mutation op;
    size_t n = mutate(GEN_T_SERVER, conv, sizeof conv - 1, 8192, seed, &a, &op);
    if (op == GEN_MUT_DROP)
      cr_expect_eq(count_lines(a, n), lines - 1, "drop");
    if (op == GEN_MUT_DUPLICATE)
      cr_expect_eq(count_lines(a, n), lines + 1, "duplicate");
    if (op == GEN_MUT_SWAP)
      cr_expect_eq(n, sizeof conv - 1, "swap keeps the size");
    free(a);
  }
}

Test(mutator, insert_adds_a_generated_command_to_a_conversation) {
  size_t lines = count_lines((const uint8_t *)conv, sizeof conv - 1), inserts = 0;
  for (uint64_t seed = 0; seed < 300; seed++) {
    uint8_t *a;
    enum gen_mutation op;
    size_t n = mutate(GEN_T_SERVER, conv, sizeof conv - 1, 8192, seed, &a, &op);
    if (op == GEN_MUT_INSERT) {
      cr_expect_gt(count_lines(a, n), lines);
      inserts++;
    }
    free(a);
  }
  cr_expect_gt(inserts, 0);
}

Test(mutator, argument_edit_keeps_the_verb) {
  static const char line[] = "MAIL FROM:<a@b.example> SIZE=10";
  for (uint64_t seed = 0; seed < 300; seed++) {
    uint8_t *a;
    enum gen_mutation op;
    size_t n = mutate(GEN_T_COMMAND, line, sizeof line - 1, 4096, seed, &a, &op);
    if (op == GEN_MUT_ARGUMENT)
      cr_expect(n >= 4 && memcmp(a, "MAIL", 4) == 0, "verb lost: %.*s", (int)n, a);
    free(a);
  }
}

Test(mutator, an_empty_input_still_gets_content) {
  for (uint64_t seed = 0; seed < 50; seed++) {
    uint8_t *a;
    enum gen_mutation op;
    size_t n = mutate(GEN_T_SERVER, "", 0, 4096, seed, &a, &op);
    if (op == GEN_MUT_INSERT)
      cr_expect_gt(n, 0);
    free(a);
  }
}

Test(mutator, libfuzzer_entry_point_mutates_within_max_size) {
  uint8_t buf[256];
  for (unsigned seed = 0; seed < 200; seed++) {
    memcpy(buf, conv, sizeof conv - 1);
    size_t n = LLVMFuzzerCustomMutator(buf, sizeof conv - 1, sizeof buf, seed);
    cr_assert_leq(n, sizeof buf);
  }
}

Test(mutator, afl_api_initialises_mutates_and_releases) {
  setenv("SMTPCHECK_MUTATOR_TARGET", "client", 1);
  void *m = afl_custom_init(NULL, 1234);
  cr_assert_not_null(m);
  cr_expect_eq(((struct afl_mutator *)m)->target, GEN_T_CLIENT);
  uint8_t in[] = "#0000\n220 ok\r\n250 ok\r\n";
  size_t changed = 0;
  for (int i = 0; i < 100; i++) {
    uint8_t *out = NULL;
    size_t n = afl_custom_fuzz(m, in, sizeof in - 1, &out, NULL, 0, 512);
    cr_assert_not_null(out);
    cr_assert_leq(n, 512);
    changed += n != sizeof in - 1 || memcmp(out, in, n) != 0;
  }
  cr_expect_gt(changed, 50, "only %zu of 100 mutations changed the input", changed);
  afl_custom_deinit(m);
  unsetenv("SMTPCHECK_MUTATOR_TARGET");
}
