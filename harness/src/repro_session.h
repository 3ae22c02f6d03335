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
 * server replies of a fuzz_client input, in a configuration the input's controls choose
 * (gen_session.h): PIPELINING/CHUNKING use, STARTTLS policy, AUTH credentials of 0..300
 * octets each with PLAIN or LOGIN preferred, 1..200 recipients, content repeated up to
 * 1 MiB + 1, and the client's output taken whole or 1000, 333 or 64 octets at a time
 * (partial writes). A shadow server decodes everything the client writes. Invariants:
 * every command parses (RFC 5321 4.1), is at most 512 octets with CRLF (4.5.3.1.4) and
 * names the configured EHLO name, sender and recipients; only offered extensions and
 * parameters; no MAIL in clear when TLS is required; without PIPELINING one command at a
 * time; one AUTH exchange (RFC 4954 4), only when configured and offered: PLAIN (RFC 4616)
 * with its initial response exactly when the line fits in 512 octets, LOGIN without one,
 * every response the base64 of the credentials, in order, and "*" after the last 334 the
 * exchange allows; content only after 354, and it unstuffs to the message (RFC 5321
 * 4.5.2) or, for BDAT, equals it (RFC 3030); nothing after QUIT or after DONE/FAILED;
 * results consistent with what was sent (no more delivered than fully sent, codes 2xx-5xx,
 * FAILED with a message); after a TLS handshake that fails, the session is FAILED and
 * every message failed at STARTTLS. Returns 0, or -1 with the broken rule in why. */
int repro_client_session(const uint8_t *data, size_t size, const struct repro_trace *trace,
                         char *why, size_t whylen);

#endif
