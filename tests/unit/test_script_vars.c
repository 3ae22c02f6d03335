/* test_script_vars.c - template expansion: escapes, ${STR*N}, variables, base64. */
#include <criterion/criterion.h>
#include <string.h>

#include "vars.h"

/* A template and its expansion (len octets, may hold NUL). */
struct expand_vector {
  const char *tmpl;
  const char *want;
  size_t len;
};

/* The vectors of vars.expands_escapes_repetitions_and_variables. */
static const struct expand_vector expands_escapes_repetitions_and_variables_vectors[] = {
    {"plain", "plain", 5},
    {"a\\r\\nb", "a\r\nb", 4},
    {"\\t\\0\\\\\\$", "\t\0\\$", 4},
    {"\\x41\\xfF", "A\xff", 2},
    {"${ab*3}", "ababab", 6},
    {"${\\r\\n*2}.", "\r\n\r\n.", 5},
    {"${a*b*2}", "a*ba*b", 6},
    {"${x*0}", "", 0},
    {"EHLO $ehlo", "EHLO client.test", 16},
    {"<${rcpt}>x", "<postmaster>x", 13},
    {"$token$token", "tktk", 4},
    {"$host:25", "mx.test:25", 10},
    {"<@r.example:$rcpt_local@$rcpt_domain>", "<@r.example:pm@test.example>", 28},
    {"$rcpt_localx", NULL, 0}, /* the longest name: an unknown variable, not $rcpt_local */
    {"SIZE=$size_limit/$size_over_limit", "SIZE=999/1000", 13},
};

/* check_expands_escapes_repetitions_and_variables - one vector of
 * vars.expands_escapes_repetitions_and_variables. */
static void check_expands_escapes_repetitions_and_variables(const struct expand_vector *v) {
  struct vars vals = {{0}};
  vals.val[VAR_EHLO] = "client.test";
  vals.val[VAR_RCPT] = "postmaster";
  vals.val[VAR_TOKEN] = "tk";
  vals.val[VAR_HOST] = "mx.test";
  vals.val[VAR_RCPT_LOCAL] = "pm";
  vals.val[VAR_RCPT_DOMAIN] = "test.example";
  vals.val[VAR_SIZE_LIMIT] = "999";
  vals.val[VAR_SIZE_OVER_LIMIT] = "1000";
  struct sbuf out = {0};
  char err[128] = "";
  if (!v->want) {
    cr_assert_eq(vars_expand(v->tmpl, strlen(v->tmpl), &vals, &out, err, sizeof err), -1, "%s",
                 v->tmpl);
    cr_assert(strstr(err, "unknown variable"), "%s", err);
    sbuf_free(&out);
    return;
  }
  cr_assert_eq(vars_expand(v->tmpl, strlen(v->tmpl), &vals, &out, err, sizeof err), 0, "%s: %s",
               v->tmpl, err);
  cr_assert_eq(out.len, v->len, "%s", v->tmpl);
  if (v->len)
    cr_assert_eq(memcmp(out.p, v->want, v->len), 0, "%s", v->tmpl);
  sbuf_free(&out);
}

Test(vars, expands_escapes_repetitions_and_variables) {
  for (size_t i = 0; i < sizeof expands_escapes_repetitions_and_variables_vectors /
                             sizeof expands_escapes_repetitions_and_variables_vectors[0];
       i++)
    check_expands_escapes_repetitions_and_variables(
        &expands_escapes_repetitions_and_variables_vectors[i]);
}

Test(vars, a_variable_without_a_value_is_an_error_at_run_time) {
  struct vars vals = {{0}};
  struct sbuf out = {0};
  char err[128];
  cr_assert_eq(vars_expand("$foreign", 8, &vals, &out, err, sizeof err), -1);
  cr_assert_str_eq(err, "$foreign has no value");
  sbuf_free(&out);
}

Test(vars, an_expansion_over_the_limit_is_refused) {
  struct vars vals = {{0}};
  struct sbuf out = {0};
  char err[128];
  const char *t = "${xx*9000000}";
  cr_assert_eq(vars_expand(t, strlen(t), &vals, &out, err, sizeof err), -1);
  cr_assert(strstr(err, "exceeds"), "%s", err);
  sbuf_free(&out);
}

Test(vars, check_reports_the_options_a_template_needs) {
  unsigned uses = 0;
  char err[128];
  cr_assert_eq(vars_check("$ehlo", 5, &uses, err, sizeof err), 0);
  cr_assert_eq(uses, 0);
  cr_assert_eq(vars_check("$auth_plain ${foreign}", 22, &uses, err, sizeof err), 0);
  cr_assert_eq(uses, VAR_USES_AUTH | VAR_USES_FOREIGN);
  uses = 0;
  cr_assert_eq(vars_check("$rcpt_local@$rcpt_domain", 24, &uses, err, sizeof err), 0);
  cr_assert_eq(uses, VAR_USES_DOMAIN);
  uses = 0;
  cr_assert_eq(vars_check("${size_over_limit}", 18, &uses, err, sizeof err), 0);
  cr_assert_eq(uses, VAR_USES_SIZE);
}

Test(vars, base64_follows_rfc_4648_test_vectors) {
  const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; i++) {
    struct sbuf out = {0};
    cr_assert_eq(vars_base64(in[i], strlen(in[i]), &out), 0);
    cr_assert_eq(out.len, strlen(want[i]));
    if (out.len)
      cr_assert_str_eq(out.p, want[i]);
    sbuf_free(&out);
  }
}
