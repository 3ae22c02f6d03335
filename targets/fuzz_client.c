/* fuzz_client.c - the client engine driving one or two transactions against arbitrary
 * server replies.
 *
 * Input: a session input (harness/src/gen_session.h): a "#..." control line choosing the
 * client configuration (PIPELINING, CHUNKING, AUTH and its mechanism preference, the AUTH
 * user name and password: lengths 0..300 and their octets, STARTTLS policy, messages,
 * 1 to 200 recipients, the content and its size) and the read boundaries, then the
 * server's octets. "#0400" is AUTH with the fixed credentials; "#0400 123 300 3 7 1"
 * is a 123-octet user name and a 300-octet password (patterns 3 and 7), LOGIN preferred.
 * The run and its invariants (a shadow server decodes every octet the client sends, AUTH
 * responses included) live in harness/src/repro_client.c, shared with `smtpcheck repro`. */
#include "fuzz_check.h"
#include "repro_session.h"

/* LLVMFuzzerTestOneInput - run the client session; a broken rule is a crash. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char why[512];
  if (repro_client_session(data, size, NULL, why, sizeof why) != 0)
    fuzz_fail("fuzz_client: %s", why);
  return 0;
}
