/* gen_session.h - the format of a session input (fuzz_server, fuzz_client, repro):
 *
 *   "#" CONTROL "\n" STREAM      or just STREAM (no leading '#': every control is 0)
 *
 * CONTROL (ends at the first LF, which must come within GEN_SESSION_CTL_SCAN octets) is a
 * list of 4-bit values: each octet's low nibble, spaces ignored, so "#0010 3300 0\n" is
 * readable ('0'..'9' are 0..9, ':' ';' '<' '=' '>' '?' are 10..15). What each position
 * means is listed below; STREAM is what the peer sends (client commands for the server
 * engine, server replies for the client engine), cut into reads by the read fields. */
#ifndef SMTPCHECK_GEN_SESSION_H
#define SMTPCHECK_GEN_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "gen_buf.h"

/* Control octets kept, and how far the control line's LF may be. */
#define GEN_SESSION_CTL_MAX 48
#define GEN_SESSION_CTL_SCAN 80

/* Server session controls (fuzz_server). */
enum gen_server_ctl {
  GEN_SRV_OPTS = 0,  /* bit0 implicit TLS, bit1 AUTH needs TLS, bit2 MAIL needs AUTH,
                        bit3 small limits (SIZE 2000, 3 errors, 2 AUTH failures) */
  GEN_SRV_EXT_A = 1, /* withdrawn: bit0 PIPELINING bit1 SIZE bit2 8BITMIME bit3 ENHANCED */
  GEN_SRV_EXT_B = 2, /* withdrawn: bit0 SMTPUTF8 bit1 CHUNKING bit2 BINARYMIME bit3 DSN */
  GEN_SRV_EXT_C = 3, /* withdrawn: bit0 STARTTLS bit1 AUTH; bit2 end with a timeout,
                        bit3 end with a shutdown */
  GEN_SRV_HOOKS = 4, /* 4 fields, 2 hook answers each (bits 0-1, 2-3), used in turn:
                        0 ACCEPT, 1 REJECT, 2 PENDING then ACCEPT, 3 PENDING then REJECT */
  GEN_SRV_READS = 8, /* from here on: read sizes, used in turn (see gen_session_read_len) */
};
#define GEN_SRV_HOOK_FIELDS 4

/* Client session controls (fuzz_client). All 0 is the classic session: fixed credentials
 * "fuzzuser"/"fuzzpass", one to four recipients, one of the 16 contents as it is. */
enum gen_client_ctl {
  GEN_CLI_OPTS = 0,     /* bit0 PIPELINING, bit1 CHUNKING, bit2 AUTH, bit3 TLS handshake fails */
  GEN_CLI_TLS = 1,      /* value % 4: 0 none, 1 opportunistic, 2 require, 3 none;
                           bit2 two messages, bit3 EOF after the stream */
  GEN_CLI_CONTENT = 2,  /* which message content (gen_session_content) */
  GEN_CLI_RCPTS = 3,    /* bits0-1: recipients - 1 (unless GEN_CLI_MANY); bit2 null sender;
                           bit3 UTF-8 sender */
  GEN_CLI_USER_LEN = 4, /* 3 fields, read as decimal digits, mod 301: the user name's length */
  GEN_CLI_PASS_LEN = 7, /* 3 fields, the same for the password */
  GEN_CLI_USER = 10,    /* the user name's octets: 0 "fuzzuser" (length ignored), 1..15 a
                           pattern (gen_session_credential) */
  GEN_CLI_PASS = 11,    /* the password's octets: 0 "fuzzpass", 1..15 a pattern */
  GEN_CLI_MORE = 12,    /* bit0 prefer AUTH LOGIN over PLAIN; bits1-2 the client's writes:
                           0 one take of its output per read, 1..3 all of it in pieces of
                           1000, 333 or 64 octets (partial sends) */
  GEN_CLI_MANY = 13,    /* 0: recipients from GEN_CLI_RCPTS; 1..15: 5 to 200 recipients */
  GEN_CLI_SIZE = 14,    /* 0: the content as it is; 1..15: repeated to 1 .. 1048577 octets */
  GEN_CLI_READS = 15,   /* from here on: read sizes */
};

/* The longest user name or password a fuzz_client input chooses. */
#define GEN_CLI_CRED_MAX 300
/* The most recipients a fuzz_client input chooses. */
#define GEN_CLI_RCPTS_MAX 200

/* A decoded session input; pointers into the caller's buffer. */
struct gen_session {
  unsigned char ctl[GEN_SESSION_CTL_MAX]; /* 4-bit values */
  size_t nctl;
  const char *stream;
  size_t stream_len;
};

/* gen_session_decode - split data into controls and stream (never fails). */
void gen_session_decode(const uint8_t *data, size_t size, struct gen_session *s);
/* gen_session_ctl - control i, 0 when absent. */
unsigned gen_session_ctl(const struct gen_session *s, size_t i);
/* gen_session_read_len - the length of read number k over the rest of the stream: the
 * read fields from index `first` are used in turn; value 0 reads through the next LF,
 * 1..9 that many octets, 10..15 16/32/64/128/512/4096 octets. No read fields: all of it.
 * Always at least 1 and at most rest_len (rest_len > 0). */
size_t gen_session_read_len(const struct gen_session *s, size_t first, size_t k, const char *rest,
                            size_t rest_len);
/* gen_session_put_ctl - append "#" and the values as '0'+v characters, then LF. */
void gen_session_put_ctl(struct gen_buf *b, const unsigned char *vals, size_t n);
/* gen_session_content - message content number i (0..15) for the client target: empty,
 * dots at line starts, bare LF, no final CRLF, 8-bit, NUL, long line, fake end marks. */
const char *gen_session_content(unsigned i, size_t *len);

/* gen_session_credential - the AUTH user name (which 0) or password (which 1) of a
 * fuzz_client input, NUL-terminated into out (GEN_CLI_CRED_MAX + 1 octets): its length
 * and pattern from the controls (never a NUL octet inside). Returns the length. */
size_t gen_session_credential(const struct gen_session *s, unsigned which, char *out);
/* gen_session_rcpt_count - how many recipients the first message has (1..GEN_CLI_RCPTS_MAX). */
size_t gen_session_rcpt_count(const struct gen_session *s);
/* gen_session_rcpt - recipient i's forward-path without brackets, into out (cap >= 24): the
 * first four are fixed (two plain, postmaster, a quoted local part), then "rN@example.org". */
void gen_session_rcpt(size_t i, char *out, size_t cap);
/* gen_session_client_content - the content of message i (0 or 1) of a fuzz_client input:
 * gen_session_content(GEN_CLI_CONTENT + i) or, with GEN_CLI_SIZE, that content repeated to
 * a size, written into b (b reset first). When b cannot grow, the content as it is. */
const char *gen_session_client_content(const struct gen_session *s, unsigned i, struct gen_buf *b,
                                       size_t *len);

#endif
