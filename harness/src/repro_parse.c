/* repro_parse.c - print what the parsers return for a corpus or crash file. */
#include "repro_parse.h"

#include <stdlib.h>
#include <string.h>

#include "repro_print.h"
#include "script.h"
#include "smtp/address.h"
#include "smtp/command.h"
#include "smtp/data.h"
#include "smtp/reply.h"

/* repro_field - "  name: escaped value". */
static void repro_field(FILE *out, const char *name, const char *p, size_t n) {
  fprintf(out, "   %s: ", name);
  if (p == NULL)
    fputs("(none)", out);
  else
    repro_print_escaped(out, p, n);
  fputc('\n', out);
}

/* repro_show_command - the line, then the parse with every extension and with none. */
int repro_show_command(const uint8_t *data, size_t size, FILE *out) {
  static const struct {
    unsigned ext;
    const char *name;
  } sets[] = {{SMTP_EXT_ALL, "every extension offered"}, {0, "no extension offered"}};
  fputs("C: ", out);
  repro_print_escaped(out, (const char *)data, size);
  fputc('\n', out);
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
    struct smtp_command c;
    struct smtp_command_error e;
    fprintf(out, "-- parsed with %s:\n", sets[i].name);
    if (smtp_command_parse((const char *)data, size, sets[i].ext, &c, &e) != 0) {
      fprintf(out, "   refused: %d %s %s\n", e.code, e.enhanced ? e.enhanced : "",
              e.text ? e.text : "");
      continue;
    }
    fprintf(out, "   verb: %s\n", smtp_verb_name(c.verb));
    repro_field(out, "arg", c.arg, c.arg_len);
    if (c.verb == SMTP_VERB_MAIL || c.verb == SMTP_VERB_RCPT) {
      repro_field(out, "local part", c.path.local, c.path.local_len);
      repro_field(out, "domain", c.path.domain, c.path.domain_len);
      for (size_t k = 0; k < c.nparams; k++) {
        repro_field(out, "param", c.params[k].key, c.params[k].key_len);
        if (c.params[k].value != NULL)
          repro_field(out, "  value", c.params[k].value, c.params[k].value_len);
      }
    }
    if (c.verb == SMTP_VERB_BDAT)
      fprintf(out, "   BDAT size %llu%s\n", (unsigned long long)c.bdat_size,
              c.bdat_last ? " LAST" : "");
  }
  return 0;
}

/* repro_show_address - the path under every option combination. */
int repro_show_address(const uint8_t *data, size_t size, FILE *out) {
  fputs("path: ", out);
  repro_print_escaped(out, (const char *)data, size);
  fputc('\n', out);
  for (unsigned opts = 0; opts < 8; opts++) {
    struct smtp_path p;
    enum smtp_addr_error err = SMTP_ADDR_OK;
    ssize_t n = smtp_path_parse((const char *)data, size, opts, &p, &err);
    fprintf(out, "-- options%s%s%s:", opts & SMTP_ADDR_ALLOW_UTF8 ? " UTF8" : "",
            opts & SMTP_ADDR_ALLOW_NULL ? " NULL" : "",
            opts & SMTP_ADDR_ALLOW_POSTMASTER ? " POSTMASTER" : "");
    if (n < 0) {
      fprintf(out, " refused (%s)\n", smtp_addr_error_text(err));
      continue;
    }
    char buf[600];
    int f = smtp_path_format(&p, buf, sizeof buf);
    fprintf(out, " %zd octets, formats as ", n);
    repro_print_escaped(out, f >= 0 ? buf : "(format failed)", f >= 0 ? (size_t)f : 15);
    fputc('\n', out);
  }
  return 0;
}

/* repro_show_reply - reply after reply, with their defects. */
int repro_show_reply(const uint8_t *data, size_t size, FILE *out) {
  struct smtp_reply *r = malloc(sizeof *r);
  size_t pos = 0;
  if (r == NULL)
    return 0;
  while (pos < size) {
    ssize_t n = smtp_reply_parse((const char *)data + pos, size - pos, r);
    if (n == -2) {
      fputs("S: ", out);
      repro_print_escaped(out, (const char *)data + pos, size - pos);
      fputs("   (incomplete: need more input)\n", out);
      break;
    }
    const char *lf = memchr(data + pos, '\n', size - pos);
    size_t span = n > 0 ? (size_t)n : lf ? (size_t)(lf - (const char *)data - pos) + 1 : size - pos;
    fputs("S: ", out);
    repro_print_escaped(out, (const char *)data + pos, span);
    fputc('\n', out);
    if (n < 0) {
      fputs("   not a reply (-1); a client skips this line\n", out);
    } else {
      fprintf(out, "   reply %d, %zu line(s)", r->code, r->nlines);
      for (unsigned bit = 1; bit <= SMTP_REPLY_TOO_MANY_LINES; bit <<= 1)
        if (r->defects & bit)
          fprintf(out, ", %s", smtp_reply_defect_text(bit));
      fputc('\n', out);
    }
    pos += span;
  }
  free(r);
  return 0;
}

/* repro_show_data - the content the unstuffer delivers and where the message ends. */
int repro_show_data(const uint8_t *data, size_t size, FILE *out) {
  struct smtp_unstuffer u;
  char *content = malloc(size + 2);
  size_t n = 0;
  bool done = false;
  if (content == NULL)
    return 0;
  memset(&u, 0, sizeof u);
  size_t used = smtp_unstuff(&u, (const char *)data, size, content, &n, &done);
  struct repro_printer pr = {out, "C:", "S:"};
  repro_print_event(&pr, REPRO_EV_CLIENT, (const char *)data, used);
  fprintf(out, "-- %s after %zu of %zu octets; defects 0x%x\n",
          done ? "end of data" : "no end of data", used, size, u.defects);
  struct repro_printer cp = {out, "content:", ""};
  repro_print_event(&cp, REPRO_EV_CLIENT, content, n);
  if (used < size) {
    fputs("-- after the end of data (commands again):\n", out);
    repro_print_event(&pr, REPRO_EV_CLIENT, (const char *)data + used, size - used);
  }
  free(content);
  return 0;
}

/* repro_show_script - the script parser's verdict: tests and steps, or the errors. */
int repro_show_script(const uint8_t *data, size_t size, FILE *out) {
  struct script_suite suite = {0};
  struct script_errors errs = {0};
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  size_t n = script_parse("input.smtp", text, size, &suite, &errs);
  fprintf(out, "-- %zu test(s), %zu error(s)\n", suite.ntests, n);
  for (size_t i = 0; i < suite.ntests; i++)
    fprintf(out, "   test %s (line %d): %zu step(s), level %s\n", suite.tests[i].id,
            suite.tests[i].line, suite.tests[i].nsteps, script_level_name(suite.tests[i].level));
  for (size_t i = 0; i < errs.n; i++)
    fprintf(out, "   %s\n", errs.msgs[i]);
  script_suite_free(&suite);
  script_errors_free(&errs);
  free(text);
  return 0;
}
