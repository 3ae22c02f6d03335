/* gen_target.h - one generated input for each fuzz target (the input format each
 * targets/fuzz_<name>.c reads). */
#ifndef SMTPCHECK_GEN_TARGET_H
#define SMTPCHECK_GEN_TARGET_H

#include "gen_buf.h"
#include "gen_rand.h"

/* The fuzz targets, in the order of SMTPCHECK_FUZZ_TARGETS (targets/CMakeLists.txt). */
enum gen_target {
  GEN_T_COMMAND = 0, /* one command line, no CRLF */
  GEN_T_ADDRESS,     /* one path "<...>" */
  GEN_T_REPLY,       /* server replies */
  GEN_T_DATA,        /* octets after 354 */
  GEN_T_SERVER,      /* session input: controls + client conversation */
  GEN_T_CLIENT,      /* session input: controls + server replies */
  GEN_T_SCRIPT,      /* a conformance-suite script */
  GEN_T_COUNT
};

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
