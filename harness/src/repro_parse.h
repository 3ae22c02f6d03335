/* repro_parse.h - readable decodes of parser-target inputs for `smtpcheck repro`: what
 * each libsmtp parser (and the suite script parser) made of the file. */
#ifndef SMTPCHECK_REPRO_PARSE_H
#define SMTPCHECK_REPRO_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Each prints the input and the parser's result to out; returns 0 (the decode itself
 * cannot fail; crashes are what the forked child is for). */
int repro_show_command(const uint8_t *data, size_t size, FILE *out);
int repro_show_address(const uint8_t *data, size_t size, FILE *out);
int repro_show_reply(const uint8_t *data, size_t size, FILE *out);
int repro_show_data(const uint8_t *data, size_t size, FILE *out);
int repro_show_script(const uint8_t *data, size_t size, FILE *out);

#endif
