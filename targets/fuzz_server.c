/* fuzz_server.c - the whole server engine fed a client conversation.
 *
 * Input: a session input (harness/src/gen_session.h): a "#..." control line choosing the
 * configuration, the hook answers (ACCEPT/REJECT/PENDING) and the read boundaries, then
 * the client's octets. STARTTLS is simulated by smtp_server_tls_started() with the rest
 * of the read discarded, as a daemon must. The run and its invariants live in
 * harness/src/repro_server.c so that `smtpcheck repro` decodes a crash file the same way. */
#include "fuzz_check.h"
#include "repro_session.h"

/* LLVMFuzzerTestOneInput - run the server session twice; a broken rule is a crash. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char why[512];
  if (repro_server_session(data, size, NULL, why, sizeof why) != 0)
    fuzz_fail("fuzz_server: %s", why);
  return 0;
}
