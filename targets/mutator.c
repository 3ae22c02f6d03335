/* mutator.c - the grammar-aware custom mutator (harness/src/gen_mutate.c) under both
 * engines' APIs, from one implementation:
 *  - libFuzzer: LLVMFuzzerCustomMutator, linked into every fuzz_<target> of the fuzz
 *    preset (SMTPCHECK_MUTATOR_TARGET names the target's input format); half of the
 *    mutations are libFuzzer's own byte-level ones (LLVMFuzzerMutate);
 *  - AFL++: afl_custom_init / afl_custom_fuzz / afl_custom_deinit in
 *    build/afl/lib/libsmtp_mutator.so (AFL_CUSTOM_MUTATOR_LIBRARY); the input format
 *    comes from the environment variable SMTPCHECK_MUTATOR_TARGET (default: server). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gen_mutate.h"
#include "gen_rand.h"
#include "gen_target.h"

#ifndef SMTPCHECK_MUTATOR_TARGET
#define SMTPCHECK_MUTATOR_TARGET "server"
#endif

/* libFuzzer's byte-level mutator; absent (NULL) when loaded into afl-fuzz. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* mutator_target - the input format by name (unknown names: server). */
static enum gen_target mutator_target(const char *name) {
  int t = name != NULL ? gen_target_from_name(name) : -1;
  return t < 0 ? GEN_T_SERVER : (enum gen_target)t;
}

/* LLVMFuzzerCustomMutator - libFuzzer: grammar edits and byte edits, half and half. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
  struct gen_rand r;
  gen_rand_seed(&r, seed);
  uint64_t pick = gen_rand_next(&r);
  if (LLVMFuzzerMutate != NULL && (pick & 1))
    return LLVMFuzzerMutate(data, size, max_size);
  return gen_mutate(mutator_target(SMTPCHECK_MUTATOR_TARGET), data, size, max_size, pick >> 1,
                    NULL);
}

/* AFL++ custom mutator state: the target, the PRNG, the output buffer. */
struct afl_mutator {
  enum gen_target target;
  struct gen_rand rand;
  uint8_t *buf;
  size_t cap;
};

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

/* afl_custom_init - one state per afl-fuzz instance, seeded by afl-fuzz. */
void *afl_custom_init(void *afl, unsigned int seed) {
  (void)afl;
  struct afl_mutator *m = calloc(1, sizeof *m);
  if (m == NULL)
    return NULL;
  m->target = mutator_target(getenv("SMTPCHECK_MUTATOR_TARGET"));
  gen_rand_seed(&m->rand, seed);
  return m;
}

/* afl_custom_fuzz - copy the test case and apply one grammar edit. */
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size) {
  struct afl_mutator *m = data;
  (void)add_buf;
  (void)add_buf_size;
  if (m->cap < max_size) {
    uint8_t *nb = realloc(m->buf, max_size);
    if (nb == NULL) {
      *out_buf = buf;
      return buf_size;
    }
    m->buf = nb;
    m->cap = max_size;
  }
  size_t n = buf_size < max_size ? buf_size : max_size;
  memcpy(m->buf, buf, n);
  *out_buf = m->buf;
  return gen_mutate(m->target, m->buf, n, max_size, gen_rand_next(&m->rand), NULL);
}

/* afl_custom_deinit - release the state. */
void afl_custom_deinit(void *data) {
  struct afl_mutator *m = data;
  if (m != NULL)
    free(m->buf);
  free(m);
}
