/* gen_target.h - one generated input for each fuzz target (the input format each
 * targets/fuzz_<name>.c reads). */
#ifndef SMTPCHECK_GEN_TARGET_H
#define SMTPCHECK_GEN_TARGET_H

#include "gen_buf.h"
#include "gen_rand.h"

/* The fuzz targets, in the order of SMTPCHECK_FUZZ_TARGETS (targets/CMakeLists.txt), as
 * X(ENUM, "name") rows: the enum, the names and the usage lists all come from here. */
#define GEN_TARGETS(X)                                                                             \
  X(COMMAND, "command") /* one command line, no CRLF */                                            \
  X(ADDRESS, "address") /* one path "<...>" */                                                     \
  X(REPLY, "reply")     /* server replies */                                                       \
  X(DATA, "data")       /* octets after 354 */                                                     \
  X(SERVER, "server")   /* session input: controls + client conversation */                        \
  X(CLIENT, "client")   /* session input: controls + server replies */                             \
  X(SCRIPT, "script")   /* a conformance-suite script */

#define GEN_T_ENUM(e, name) GEN_T_##e,
enum gen_target { GEN_TARGETS(GEN_T_ENUM) GEN_T_COUNT };
#undef GEN_T_ENUM

/* GEN_TARGET_WORDS - " command address ...": the names as one string literal, for usage. */
#define GEN_T_WORD(e, name) " " name
#define GEN_TARGET_WORDS GEN_TARGETS(GEN_T_WORD)

/* gen_target_name - "command", "address", ...; NULL if out of range. */
const char *gen_target_name(enum gen_target t);
/* gen_target_from_name - the target called name, or -1. */
int gen_target_from_name(const char *name);
/* gen_target_input - append one input for t; flags are enum gen_flag bits. */
void gen_target_input(enum gen_target t, struct gen_rand *r, struct gen_buf *b, unsigned flags);
/* gen_server_conversation - the stream part of a server session (client commands). */
void gen_server_conversation(struct gen_rand *r, struct gen_buf *b, unsigned flags);
/* gen_client_replies - the stream part of a client session (what a server answers). */
void gen_client_replies(struct gen_rand *r, struct gen_buf *b, unsigned flags);
/* gen_script - one suite script file (harness/suite/README.md language). */
void gen_script(struct gen_rand *r, struct gen_buf *b, unsigned flags);

#endif
