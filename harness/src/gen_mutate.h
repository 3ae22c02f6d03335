/* gen_mutate.h - the grammar-aware mutator's one implementation: edits an input at the
 * level of SMTP lines (commands, replies, content lines, script steps). targets/mutator.c
 * exposes it as libFuzzer's LLVMFuzzerCustomMutator and as AFL++'s custom-mutator API. */
#ifndef SMTPCHECK_GEN_MUTATE_H
#define SMTPCHECK_GEN_MUTATE_H

#include <stddef.h>
#include <stdint.h>

#include "gen_target.h"

/* The edits, one per call. */
enum gen_mutation {
  GEN_MUT_INSERT = 0, /* insert a generated command (reply, content line, step) */
  GEN_MUT_DROP,       /* drop a line */
  GEN_MUT_DUPLICATE,  /* duplicate a line */
  GEN_MUT_SWAP,       /* swap two lines */
  GEN_MUT_CASE,       /* change the case of a span of a line */
  GEN_MUT_ARGUMENT,   /* regenerate one argument (the text after a verb, a reply code...) */
  GEN_MUT_SPLIT,      /* split a read: a read-size control, or a line end moved/inserted */
  GEN_MUT_COUNT
};

/* gen_mutation_name - "insert", "drop", ... */
const char *gen_mutation_name(enum gen_mutation m);

/* gen_mutate - apply one edit chosen by seed to data[0..size) (a buffer of max octets) as
 * an input of target t. The control line of session inputs is kept (only GEN_MUT_SPLIT
 * edits it). Returns the new size (<= max; at least 1 when max >= 1). Deterministic:
 * the same (t, data, seed) always gives the same output. *applied receives the edit. */
size_t gen_mutate(enum gen_target t, uint8_t *data, size_t size, size_t max, uint64_t seed,
                  enum gen_mutation *applied);

#endif
