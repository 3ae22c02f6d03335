/* gen_mutate.c - line-level edits of fuzz inputs, shared by libFuzzer and AFL++. */
#include "gen_mutate.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gen_buf.h"
#include "gen_content.h"
#include "gen_grammar.h"
#include "gen_reply.h"
#include "gen_session.h"

/* Lines indexed per input; longer inputs are edited within their first lines. */
#define MUT_LINES_MAX 256

/* An input cut into its control line (session targets) and lines ending in LF. */
struct mut_lines {
  const char *ctl; /* "#...\n" or NULL */
  size_t ctl_len;
  const char *line[MUT_LINES_MAX];
  size_t len[MUT_LINES_MAX];
  size_t n;
  const char *rest; /* what follows the indexed lines */
  size_t rest_len;
};

static const char *const mut_names[GEN_MUT_COUNT] = {"insert", "drop",     "duplicate", "swap",
                                                     "case",   "argument", "split"};

/* gen_mutation_name - for tests and logs. */
const char *gen_mutation_name(enum gen_mutation m) {
  return (unsigned)m < GEN_MUT_COUNT ? mut_names[m] : "?";
}

/* mut_is_session - inputs with a control line. */
static bool mut_is_session(enum gen_target t) {
  return t == GEN_T_SERVER || t == GEN_T_CLIENT;
}

/* mut_split - index the lines of an input. */
static void mut_split(enum gen_target t, const char *d, size_t size, struct mut_lines *m) {
  memset(m, 0, sizeof *m);
  size_t pos = 0;
  if (mut_is_session(t)) {
    struct gen_session s;
    gen_session_decode((const uint8_t *)d, size, &s);
    if (s.stream != d) {
      m->ctl = d;
      m->ctl_len = (size_t)(s.stream - d);
      pos = m->ctl_len;
    }
  }
  while (pos < size && m->n < MUT_LINES_MAX) {
    const char *lf = memchr(d + pos, '\n', size - pos);
    size_t n = lf != NULL ? (size_t)(lf - (d + pos)) + 1 : size - pos;
    m->line[m->n] = d + pos;
    m->len[m->n] = n;
    m->n++;
    pos += n;
  }
  m->rest = d + pos;
  m->rest_len = size - pos;
}

/* mut_generate - one new line for target t. */
static void mut_generate(enum gen_target t, struct gen_rand *r, struct gen_buf *b) {
  unsigned flags = (gen_rand_chance(r, 30) ? GEN_NEAR_MISS : 0u) | GEN_UTF8;
  switch (t) {
  case GEN_T_CLIENT:
  case GEN_T_REPLY:
    gen_reply(r, b, flags);
    break;
  case GEN_T_DATA:
    if (gen_rand_chance(r, 30)) {
      unsigned long n;
      const char *s = gen_smuggle(r, &n);
      gen_buf_put(b, s, n);
    } else {
      gen_buf_puts(b, GEN_PICK(r, ((const char *const[]){".\r\n", "..\r\n", ".x\r\n", "\r\n",
                                                         "line\r\n", "QUIT\r\n"})));
    }
    break;
  case GEN_T_SCRIPT: {
    struct gen_buf s = {0};
    gen_script(r, &s, flags);
    /* one step line of a generated script */
    const char *p = s.sb.p ? strstr(s.sb.p, "\n  ") : NULL;
    if (p != NULL) {
      const char *e = strchr(p + 1, '\n');
      gen_buf_put(b, p + 1, e ? (size_t)(e - p) : strlen(p + 1));
    }
    gen_buf_free(&s);
    break;
  }
  case GEN_T_ADDRESS:
    gen_path(r, b, flags);
    break;
  case GEN_T_COMMAND:
    gen_command(r, b, flags);
    break;
  default: /* server: a command, sometimes with content */
    if (gen_rand_chance(r, 10)) {
      gen_buf_puts(b, "DATA\r\n");
      gen_data_stream(r, b, flags);
    } else {
      gen_command(r, b, flags);
      gen_buf_puts(b, "\r\n");
    }
  }
}

/* mut_flip_case - change the case of the letters in a span of the line. */
static void mut_flip_case(struct gen_rand *r, char *p, size_t n) {
  if (n == 0)
    return;
  size_t a = gen_rand_below(r, n), b = a + gen_rand_range(r, 1, n - a);
  unsigned style = (unsigned)gen_rand_below(r, 3);
  for (size_t i = a; i < b; i++) {
    unsigned char c = (unsigned char)p[i];
    if (!isalpha(c))
      continue;
    p[i] = (char)(style == 0 ? tolower(c) : style == 1 ? toupper(c) : (c ^ 0x20));
  }
}

/* mut_argument - keep a line's head (verb / reply code) and regenerate the rest. */
static void mut_argument(enum gen_target t, struct gen_rand *r, const char *line, size_t n,
                         struct gen_buf *out) {
  size_t body = n;
  while (body > 0 && (line[body - 1] == '\n' || line[body - 1] == '\r'))
    body--;
  const char *end = line + body;
  if (t == GEN_T_CLIENT || t == GEN_T_REPLY) {
    /* A reply line: another code, same text (RFC 5321 4.2: NNN SP/-). */
    static const char *const codes[] = {"220", "221", "235", "250", "334", "354", "421", "450",
                                        "500", "501", "503", "550", "554", "199", "600"};
    gen_buf_puts(out, GEN_PICK(r, codes));
    gen_buf_put(out, body >= 3 ? line + 3 : "", body >= 3 ? body - 3 : 0);
    gen_buf_put(out, end, n - body);
    return;
  }
  size_t vl = 0;
  while (vl < body && line[vl] != ' ' && line[vl] != ':')
    vl++;
  int v = gen_verb_index(line, vl);
  gen_buf_put(out, line, vl);
  if (v >= 0) {
    gen_argument(r, out, (unsigned)v, gen_rand_chance(r, 30) ? GEN_NEAR_MISS | GEN_UTF8 : GEN_UTF8);
  } else {
    /* Not a command: replace the rest with a path or a parameter-ish token. */
    gen_buf_putc(out, ' ');
    gen_path(r, out, GEN_NEAR_MISS | GEN_UTF8);
  }
  gen_buf_put(out, end, n - body);
}

/* mut_split_read - session inputs: add or change a read-size control; others: move a
 * line end (CRLF, bare LF or bare CR) into a line. */
static void mut_split_read(enum gen_target t, struct gen_rand *r, const struct mut_lines *m,
                           struct gen_buf *ctl, size_t *line_i, struct gen_buf *line_out) {
  if (mut_is_session(t)) {
    size_t first = t == GEN_T_SERVER ? GEN_SRV_READS : GEN_CLI_READS;
    struct gen_session s;
    unsigned char vals[GEN_SESSION_CTL_MAX];
    gen_session_decode((const uint8_t *)(m->ctl ? m->ctl : ""), m->ctl_len, &s);
    size_t n = s.nctl;
    memcpy(vals, s.ctl, n);
    while (n < first)
      vals[n++] = 0;
    if (n < GEN_SESSION_CTL_MAX && (n == first || gen_rand_chance(r, 50)))
      vals[n++] = (unsigned char)gen_rand_below(r, 16);
    else
      vals[first + gen_rand_below(r, n - first)] = (unsigned char)gen_rand_below(r, 16);
    gen_session_put_ctl(ctl, vals, n);
    return;
  }
  if (m->n == 0)
    return;
  size_t i = gen_rand_below(r, m->n);
  size_t at = gen_rand_below(r, m->len[i] + 1);
  *line_i = i;
  gen_buf_put(line_out, m->line[i], at);
  gen_buf_puts(line_out, GEN_PICK(r, ((const char *const[]){"\r\n", "\n", "\r"})));
  gen_buf_put(line_out, m->line[i] + at, m->len[i] - at);
}

/* gen_mutate - see gen_mutate.h. */
size_t gen_mutate(enum gen_target t, uint8_t *data, size_t size, size_t max, uint64_t seed,
                  enum gen_mutation *applied) {
  struct gen_rand r;
  struct mut_lines *m = malloc(sizeof *m);
  struct gen_buf out = {0}, ctl = {0}, repl = {0};
  gen_rand_seed(&r, seed);
  enum gen_mutation op = (enum gen_mutation)gen_rand_below(&r, GEN_MUT_COUNT);
  if (applied != NULL)
    *applied = op;
  if (m == NULL)
    return size;
  mut_split(t, (const char *)data, size, m);
  size_t a = m->n ? gen_rand_below(&r, m->n) : 0, b = m->n ? gen_rand_below(&r, m->n) : 0;
  size_t repl_i = (size_t)-1; /* the line replaced by repl */
  bool drop = false, dup = false, swap = false, insert = false;

  switch (op) {
  case GEN_MUT_INSERT:
    mut_generate(t, &r, &repl);
    /* A one-line input (command, path) gets the generated line instead of its own. */
    if ((t == GEN_T_COMMAND || t == GEN_T_ADDRESS) && m->n > 0)
      repl_i = a;
    else
      insert = true;
    break;
  case GEN_MUT_DROP:
    drop = m->n > 1;
    break;
  case GEN_MUT_DUPLICATE:
    dup = m->n > 0;
    break;
  case GEN_MUT_SWAP:
    swap = m->n > 1 && a != b;
    break;
  case GEN_MUT_CASE:
    if (m->n > 0) {
      gen_buf_put(&repl, m->line[a], m->len[a]);
      mut_flip_case(&r, repl.sb.p, repl.sb.len);
      repl_i = a;
    }
    break;
  case GEN_MUT_ARGUMENT:
    if (m->n > 0) {
      mut_argument(t, &r, m->line[a], m->len[a], &repl);
      repl_i = a;
    }
    break;
  default:
    mut_split_read(t, &r, m, &ctl, &repl_i, &repl);
  }

  if (ctl.sb.len > 0)
    gen_buf_put(&out, ctl.sb.p, ctl.sb.len);
  else if (m->ctl != NULL)
    gen_buf_put(&out, m->ctl, m->ctl_len);
  if (insert && m->n == 0)
    gen_buf_put(&out, repl.sb.p, repl.sb.len);
  for (size_t i = 0; i < m->n; i++) {
    size_t src = swap && i == a ? b : swap && i == b ? a : i;
    if (insert && i == a)
      gen_buf_put(&out, repl.sb.p, repl.sb.len);
    if (drop && i == a)
      continue;
    if (i == repl_i)
      gen_buf_put(&out, repl.sb.p, repl.sb.len);
    else
      gen_buf_put(&out, m->line[src], m->len[src]);
    if (dup && i == a)
      gen_buf_put(&out, m->line[a], m->len[a]);
  }
  gen_buf_put(&out, m->rest, m->rest_len);

  size_t n = size;
  if (!out.failed && out.sb.len > 0) {
    n = out.sb.len < max ? out.sb.len : max;
    memcpy(data, out.sb.p, n);
  }
  gen_buf_free(&out);
  gen_buf_free(&ctl);
  gen_buf_free(&repl);
  free(m);
  return n;
}
