/* test_gen.c - the corpus generator: determinism, grammar coverage, near misses. */
#include <criterion/criterion.h>
#include <string.h>

#include "gen_buf.h"
#include "gen_content.h"
#include "gen_grammar.h"
#include "gen_rand.h"
#include "gen_reply.h"
#include "gen_session.h"
#include "gen_target.h"
#include "smtp/command.h"
#include "smtp/data.h"
#include "smtp/reply.h"

/* gen_one - one input of target t from seed with flags. */
static struct gen_buf gen_one(enum gen_target t, uint64_t seed, unsigned flags) {
  struct gen_rand r;
  struct gen_buf b = {0};
  gen_rand_seed(&r, seed);
  gen_target_input(t, &r, &b, flags);
  cr_assert(!b.failed, "generator ran out of memory");
  return b;
}

Test(gen_rand, splitmix64_matches_the_reference_sequence) {
  /* Reference values of splitmix64 seeded with 0 (Vigna's splitmix64.c). */
  struct gen_rand r;
  gen_rand_seed(&r, 0);
  cr_expect_eq(gen_rand_next(&r), 0xe220a8397b1dcdafull);
  cr_expect_eq(gen_rand_next(&r), 0x6e789e6aa1b965f4ull);
  cr_expect_eq(gen_rand_next(&r), 0x06c45d188009454full);
}

Test(gen_rand, below_stays_in_range_and_zero_is_zero) {
  struct gen_rand r;
  gen_rand_seed(&r, 42);
  for (int i = 0; i < 10000; i++)
    cr_assert_lt(gen_rand_below(&r, 7), 7);
  cr_expect_eq(gen_rand_below(&r, 0), 0);
}

Test(gen_target, the_same_seed_gives_the_same_input_for_every_target) {
  for (int t = 0; t < GEN_T_COUNT; t++)
    for (uint64_t seed = 0; seed < 50; seed++) {
      struct gen_buf a = gen_one((enum gen_target)t, seed, GEN_NEAR_MISS | GEN_UTF8);
      struct gen_buf b = gen_one((enum gen_target)t, seed, GEN_NEAR_MISS | GEN_UTF8);
      cr_assert_eq(a.sb.len, b.sb.len, "%s seed %llu: lengths differ",
                   gen_target_name((enum gen_target)t), (unsigned long long)seed);
      cr_assert(a.sb.len == 0 || memcmp(a.sb.p, b.sb.p, a.sb.len) == 0);
      gen_buf_free(&a);
      gen_buf_free(&b);
    }
}

Test(gen_target, different_seeds_give_different_inputs) {
  for (int t = 0; t < GEN_T_COUNT; t++) {
    size_t differ = 0;
    for (uint64_t seed = 1; seed < 40; seed++) {
      struct gen_buf a = gen_one((enum gen_target)t, seed, 0);
      struct gen_buf b = gen_one((enum gen_target)t, seed + 1000, 0);
      differ += a.sb.len != b.sb.len || (a.sb.len && memcmp(a.sb.p, b.sb.p, a.sb.len) != 0);
      gen_buf_free(&a);
      gen_buf_free(&b);
    }
    cr_expect_gt(differ, 20, "%s: only %zu of 39 seed pairs differ",
                 gen_target_name((enum gen_target)t), differ);
  }
}

Test(gen_target, names_round_trip_and_unknown_names_are_refused) {
  for (int t = 0; t < GEN_T_COUNT; t++)
    cr_expect_eq(gen_target_from_name(gen_target_name((enum gen_target)t)), t);
  cr_expect_eq(gen_target_from_name("nosuch"), -1);
  cr_expect_null(gen_target_name(GEN_T_COUNT));
}

Test(gen_grammar, every_verb_is_generated) {
  size_t seen[32] = {0};
  struct gen_rand r;
  gen_rand_seed(&r, 7);
  for (int i = 0; i < 3000; i++) {
    struct gen_buf b = {0};
    gen_command(&r, &b, 0);
    size_t vl = strcspn(b.sb.p, " ");
    int v = gen_verb_index(b.sb.p, vl);
    cr_assert_geq(v, 0, "generated line starts with no verb: %s", b.sb.p);
    seen[v]++;
    gen_buf_free(&b);
  }
  for (unsigned v = 0; v < gen_verb_count; v++)
    cr_expect_gt(seen[v], 0, "verb %s never generated", gen_verbs[v]);
}

Test(gen_grammar, well_formed_commands_are_accepted_by_the_reference_parser) {
  struct gen_rand r;
  gen_rand_seed(&r, 11);
  for (int i = 0; i < 3000; i++) {
    struct gen_buf b = {0};
    gen_command(&r, &b, 0);
    size_t vl = strcspn(b.sb.p, " ");
    if (gen_verb_index(b.sb.p, vl) != (int)gen_verb_count - 1) { /* not the unknown verb */
      struct smtp_command c;
      struct smtp_command_error e;
      int rc = smtp_command_parse(b.sb.p, b.sb.len, SMTP_EXT_ALL, &c, &e);
      cr_expect_eq(rc, 0, "\"%s\" refused: %d %s", b.sb.p, e.code, e.text ? e.text : "");
    }
    gen_buf_free(&b);
  }
}

Test(gen_grammar, near_misses_include_long_lines_bare_cr_lf_and_nul) {
  struct gen_rand r;
  bool longline = false, cr = false, lf = false, nul = false;
  gen_rand_seed(&r, 3);
  for (int i = 0; i < 5000; i++) {
    struct gen_buf b = {0};
    gen_command(&r, &b, GEN_NEAR_MISS);
    longline |= b.sb.len > 510;
    cr |= memchr(b.sb.p, '\r', b.sb.len) != NULL;
    lf |= memchr(b.sb.p, '\n', b.sb.len) != NULL;
    nul |= memchr(b.sb.p, '\0', b.sb.len) != NULL;
    gen_buf_free(&b);
  }
  cr_expect(longline, "no line over 510 octets");
  cr_expect(cr, "no bare CR");
  cr_expect(lf, "no bare LF");
  cr_expect(nul, "no NUL");
}

Test(gen_content, a_clean_data_stream_ends_exactly_at_crlf_dot_crlf) {
  struct gen_rand r;
  gen_rand_seed(&r, 5);
  for (int i = 0; i < 500; i++) {
    struct gen_buf b = {0};
    gen_data_stream(&r, &b, 0);
    struct smtp_unstuffer u;
    memset(&u, 0, sizeof u);
    char *out = malloc(b.sb.len + 2);
    size_t n = 0;
    bool done = false;
    size_t used = smtp_unstuff(&u, b.sb.p, b.sb.len, out, &n, &done);
    cr_expect(done && used == b.sb.len, "stream %d: end at %zu of %zu (done %d)", i, used, b.sb.len,
              done);
    free(out);
    gen_buf_free(&b);
  }
}

Test(gen_content, near_miss_streams_carry_smuggling_sequences) {
  struct gen_rand r;
  size_t with = 0;
  gen_rand_seed(&r, 9);
  for (int i = 0; i < 500; i++) {
    struct gen_buf b = {0};
    gen_data_stream(&r, &b, GEN_NEAR_MISS);
    with += b.sb.len > 0 && memmem(b.sb.p, b.sb.len, "smuggled", 8) != NULL;
    gen_buf_free(&b);
  }
  cr_expect_gt(with, 10, "only %zu of 500 streams try to smuggle", with);
}

Test(gen_reply, clean_replies_parse_without_defects) {
  struct gen_rand r;
  struct smtp_reply rep;
  gen_rand_seed(&r, 13);
  for (int i = 0; i < 1000; i++) {
    struct gen_buf b = {0};
    gen_reply(&r, &b, 0);
    ssize_t n = smtp_reply_parse(b.sb.p, b.sb.len, &rep);
    cr_expect_eq(n, (ssize_t)b.sb.len, "reply \"%s\" parsed to %zd", b.sb.p, n);
    cr_expect_eq(rep.defects, 0u, "reply \"%s\" has defects 0x%x", b.sb.p, rep.defects);
    gen_buf_free(&b);
  }
}

Test(gen_session, a_server_input_decodes_into_controls_and_a_conversation) {
  for (uint64_t seed = 0; seed < 100; seed++) {
    struct gen_buf b = gen_one(GEN_T_SERVER, seed, 0);
    struct gen_session s;
    gen_session_decode((const uint8_t *)b.sb.p, b.sb.len, &s);
    cr_assert_geq(s.nctl, GEN_SRV_READS, "seed %llu: %zu controls", (unsigned long long)seed,
                  s.nctl);
    cr_expect(strncmp(s.stream, "EHLO ", 5) == 0 || strncmp(s.stream, "HELO ", 5) == 0,
              "seed %llu: stream starts with %.10s", (unsigned long long)seed, s.stream);
    gen_buf_free(&b);
  }
}

Test(gen_session, without_a_hash_line_everything_is_stream) {
  struct gen_session s;
  static const char in[] = "EHLO x\r\nQUIT\r\n";
  gen_session_decode((const uint8_t *)in, sizeof in - 1, &s);
  cr_expect_eq(s.nctl, 0);
  cr_expect_eq(s.stream_len, sizeof in - 1);
  cr_expect_eq(gen_session_ctl(&s, 3), 0u);
}

Test(gen_session, controls_are_low_nibbles_and_spaces_are_ignored) {
  struct gen_session s;
  static const char in[] = "#01 2? :\nDATA";
  gen_session_decode((const uint8_t *)in, sizeof in - 1, &s);
  cr_assert_eq(s.nctl, 5);
  cr_expect_eq(s.ctl[0], 0);
  cr_expect_eq(s.ctl[1], 1);
  cr_expect_eq(s.ctl[2], 2);
  cr_expect_eq(s.ctl[3], 15);
  cr_expect_eq(s.ctl[4], 10);
  cr_expect_eq(s.stream_len, 4);
}

Test(gen_session, read_sizes_cycle_and_zero_reads_through_the_next_lf) {
  struct gen_session s;
  static const char in[] = "#00000000 03\nAB\nCDEFGH";
  gen_session_decode((const uint8_t *)in, sizeof in - 1, &s);
  const char *p = s.stream;
  cr_expect_eq(gen_session_read_len(&s, GEN_SRV_READS, 0, p, 9), 3, "0: through the LF");
  cr_expect_eq(gen_session_read_len(&s, GEN_SRV_READS, 1, p + 3, 6), 3, "3 octets");
  cr_expect_eq(gen_session_read_len(&s, GEN_SRV_READS, 2, p + 6, 3), 3, "0 with no LF: all");
  cr_expect_eq(gen_session_read_len(&s, GEN_SRV_READS, 3, p + 6, 2), 2, "capped by the rest");
}
