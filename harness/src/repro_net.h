/* repro_net.h - replay a session file against a live server over TCP (harness conn.h). */
#ifndef SMTPCHECK_REPRO_NET_H
#define SMTPCHECK_REPRO_NET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* repro_net_session - connect to hostport, read the greeting, send the client stream of a
 * fuzz_server input in the input's reads (after each read, print what the server answers
 * until it is quiet for quiet_ms), switch to TLS after a 220 to STARTTLS discarding the
 * rest of that read as fuzz_server does, and print the transcript to out.
 * Returns 0 (transcript complete), 3 when the server cannot be reached, 1 on an I/O error. */
int repro_net_session(const char *hostport, const uint8_t *data, size_t size, int quiet_ms,
                      FILE *out);

#endif
