/* gen_rand.h - the generator's own PRNG (splitmix64): same seed, same corpus, everywhere. */
#ifndef SMTPCHECK_GEN_RAND_H
#define SMTPCHECK_GEN_RAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PRNG state; any seed is fine (0 included). */
struct gen_rand {
  uint64_t state;
};

/* gen_rand_seed - start the sequence of seed. */
void gen_rand_seed(struct gen_rand *r, uint64_t seed);
/* gen_rand_next - the next 64 random bits (splitmix64, Steele/Lea/Flood 2014). */
uint64_t gen_rand_next(struct gen_rand *r);
/* gen_rand_below - uniform in [0, n); 0 when n is 0. */
size_t gen_rand_below(struct gen_rand *r, size_t n);
/* gen_rand_range - uniform in [lo, hi] (hi >= lo). */
size_t gen_rand_range(struct gen_rand *r, size_t lo, size_t hi);
/* gen_rand_chance - true with probability percent/100. */
bool gen_rand_chance(struct gen_rand *r, unsigned percent);
/* gen_rand_pick - one string of list[0..n). */
const char *gen_rand_pick(struct gen_rand *r, const char *const *list, size_t n);

/* GEN_PICK - gen_rand_pick over a whole array. */
#define GEN_PICK(r, arr) gen_rand_pick((r), (arr), sizeof(arr) / sizeof((arr)[0]))

#endif
