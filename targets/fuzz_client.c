/* fuzz_client.c - the client engine driving one or two transactions against arbitrary
 * server replies.
 *
 * Input: a session input (harness/src/gen_session.h): a "#..." control line choosing the
 * client configuration (PIPELINING, CHUNKING, AUTH, STARTTLS policy, messages,
 * recipients) and the read boundaries, then the server's octets. The run and its
 * invariants (a shadow server decodes every octet the client sends) live in
 * harness/src/repro_client.c, shared with `smtpcheck repro`. */
#include "fuzz_check.h"
#include "repro_session.h"

/* LLVMFuzzerTestOneInput - run the client session; a broken rule is a crash. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char why[512];
  if (repro_client_session(data, size, NULL, why, sizeof why) != 0)
    fuzz_fail("fuzz_client: %s", why);
  return 0;
}
