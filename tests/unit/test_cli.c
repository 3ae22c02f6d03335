/* test_cli.c - the command-line pieces the subcommands share. */
#include <criterion/criterion.h>
#include <string.h>

#include "cli.h"

Test(cli, takes_an_option_value_from_the_next_word_or_after_an_equals_sign) {
  char *argv[] = {"run", "--ehlo", "a.example", "--from=b@c", "--ehlos", "--ehlo"};
  int argc = 6, i = 1;
  bool missing = false;
  cr_assert_str_eq(cli_option_value(argc, argv, &i, "--ehlo", &missing), "a.example");
  cr_assert_eq(i, 2, "the value's word is used up");
  i = 3;
  cr_assert_str_eq(cli_option_value(argc, argv, &i, "--from", &missing), "b@c");
  cr_assert_eq(i, 3);
  i = 4;
  cr_assert_null(cli_option_value(argc, argv, &i, "--ehlo", &missing), "a longer name");
  cr_assert_not(missing);
  i = 5;
  cr_assert_null(cli_option_value(argc, argv, &i, "--ehlo", &missing));
  cr_assert(missing, "a value missing at the end of the line is told apart");
  cr_assert_eq(i, 5);
}

Test(cli, reads_seconds_as_milliseconds_within_bounds) {
  cr_assert_eq(cli_seconds("2", 3600), 2000);
  cr_assert_eq(cli_seconds("0.25", 3600), 250);
  cr_assert_eq(cli_seconds("0.0001", 3600), 1, "a positive time is at least 1 ms");
  cr_assert_eq(cli_seconds("3600", 3600), 3600000);
  cr_assert_eq(cli_seconds("3601", 3600), -1);
  cr_assert_eq(cli_seconds("0", 3600), -1);
  cr_assert_eq(cli_seconds("-1", 3600), -1);
  cr_assert_eq(cli_seconds("", 3600), -1);
  cr_assert_eq(cli_seconds("5s", 3600), -1);
  cr_assert_eq(cli_seconds("nan", 3600), -1);
}

Test(cli, reads_a_count_from_one_to_the_maximum_and_refuses_the_rest) {
  cr_expect_eq(cli_count("1", 256), 1);
  cr_expect_eq(cli_count("256", 256), 256);
  cr_expect_eq(cli_count("257", 256), -1);
  cr_expect_eq(cli_count("0", 256), -1);
  cr_expect_eq(cli_count("", 256), -1);
  cr_expect_eq(cli_count("x", 256), -1);
  cr_expect_eq(cli_count("12x", 256), -1);
  cr_expect_eq(cli_count("-3", 256), -1);
  cr_expect_eq(cli_count("99999999999999999999999", 256), -1);
}
