/* gen_rand.c - splitmix64: tiny, fast, and identical output on every platform. */
#include "gen_rand.h"

/* gen_rand_seed - the state is the seed itself. */
void gen_rand_seed(struct gen_rand *r, uint64_t seed) {
  r->state = seed;
}

/* gen_rand_next - splitmix64 step and output mix. */
uint64_t gen_rand_next(struct gen_rand *r) {
  uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* gen_rand_below - modulo of 64 bits; the bias is irrelevant for corpus generation. */
size_t gen_rand_below(struct gen_rand *r, size_t n) {
  return n == 0 ? 0 : (size_t)(gen_rand_next(r) % n);
}

/* gen_rand_range - inclusive range. */
size_t gen_rand_range(struct gen_rand *r, size_t lo, size_t hi) {
  return lo + gen_rand_below(r, hi - lo + 1);
}

/* gen_rand_chance - a percent test. */
bool gen_rand_chance(struct gen_rand *r, unsigned percent) {
  return gen_rand_below(r, 100) < percent;
}

/* gen_rand_pick - uniform choice among n strings. */
const char *gen_rand_pick(struct gen_rand *r, const char *const *list, size_t n) {
  return list[gen_rand_below(r, n)];
}
