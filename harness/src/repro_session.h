/* repro_session.h - run one session input (gen_session.h format) through a libsmtp engine
 * and check the protocol invariants. The fuzz targets fuzz_server and fuzz_client call
 * these with no trace and abort on a violation; `smtpcheck repro` calls them with a
 * trace and prints a readable transcript. One implementation, so a crash file decodes
 * the same way in both. */
#ifndef SMTPCHECK_REPRO_SESSION_H
#define SMTPCHECK_REPRO_SESSION_H

#include <stddef.h>
#include <stdint.h>

/* What a run reports to a transcript. */
enum repro_event {
  REPRO_EV_CLIENT, /* octets the client side sent in one read/write */
  REPRO_EV_SERVER, /* octets the server side sent: one reply */
  REPRO_EV_NOTE,   /* a remark (hook answer, STARTTLS switch, state change), text */
};

/* Where transcript events go; fn NULL (or a NULL trace) means no transcript. */
struct repro_trace {
  void (*fn)(void *ctx, enum repro_event ev, const char *data, size_t len);
  void *ctx;
};

/* repro_server_session - the server engine fed the client stream of a fuzz_server input,
 * in the reads and with the hook answers the input chooses, then again one octet at a
 * time. Invariants: every reply well formed (smtp_reply_parse, no defect); the first is
 * 220/421/554; one reply per command line (two for DATA: 354 and the final one); both
 * runs give the same replies, content and hook calls; STARTTLS is entered at the same
 * octet (no pipelined plaintext consumed, RFC 3207 5); no STARTTLS offered under TLS; no
 * withdrawn extension offered; hooks called in a legal order (RFC 5321 3.3); nothing read
 * or written after a close. Returns 0, or -1 with the broken rule in why. */
int repro_server_session(const uint8_t *data, size_t size, const struct repro_trace *trace,
                         char *why, size_t whylen);

/* repro_client_session - the client engine sending one or two messages against the
 * server replies of a fuzz_client input. Invariants: every command it sends parses
 * (RFC 5321 4.1) and names the configured EHLO name, sender and recipients; it uses only
 * offered extensions and parameters; without PIPELINING one command at a time; content
 * only after 354, and it unstuffs to the message (RFC 5321 4.5.2) or, for BDAT, equals
 * it (RFC 3030); nothing after QUIT or after DONE/FAILED; results are consistent.
 * Returns 0, or -1 with the broken rule in why. */
int repro_client_session(const uint8_t *data, size_t size, const struct repro_trace *trace,
                         char *why, size_t whylen);

#endif
