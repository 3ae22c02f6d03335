/* test_client_send.c - what `smtpcheck send` makes of a message file: CRLF line ends, a
 * final line end, and the headers --header-auto adds only when there are none. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "send_session.h"

/* load - write raw to a temporary file and load it with the given options. */
static char *load(const char *raw, size_t raw_len, bool header_auto, size_t *len) {
  char path[] = "/tmp/test_client_send_XXXXXX", err[256];
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, raw, raw_len), (ssize_t)raw_len);
  close(fd);
  const char *const rcpts[] = {"bob@example.org", "carol@example.org"};
  struct send_options o = {.from = "alice@example.com",
                           .rcpts = rcpts,
                           .nrcpts = 2,
                           .ehlo = "client.example",
                           .data_file = path,
                           .header_auto = header_auto};
  char *out = NULL;
  int rc = send_load_content(&o, &out, len, err, sizeof err);
  unlink(path);
  cr_assert_eq(rc, 0, "%s", err);
  return out;
}

Test(send_message, turns_bare_lf_into_crlf_and_ends_the_last_line) {
  size_t len;
  const char raw[] = "Subject: x\n\nline\r\n.dot\nlast";
  char *m = load(raw, sizeof raw - 1, false, &len);
  const char want[] = "Subject: x\r\n\r\nline\r\n.dot\r\nlast\r\n";
  cr_assert_eq(len, sizeof want - 1);
  cr_assert(memcmp(m, want, len) == 0, "%s", m);
  free(m);
}

Test(send_message, keeps_8bit_and_nul_octets_as_they_are) {
  size_t len;
  const char raw[] = "Subject: x\r\n\r\ncaf\xc3\xa9\0z\r\n";
  char *m = load(raw, sizeof raw - 1, false, &len);
  cr_assert_eq(len, sizeof raw - 1);
  cr_assert(memcmp(m, raw, len) == 0);
  free(m);
}

Test(send_message, leaves_an_empty_message_empty) {
  size_t len = 99;
  char *m = load("", 0, false, &len);
  cr_assert_eq(len, 0);
  free(m);
}

Test(send_message, adds_headers_only_to_a_message_without_any) {
  size_t len;
  char *m = load("hello\n", 6, true, &len);
  cr_assert_eq(strncmp(m, "Date: ", 6), 0, "%s", m);
  cr_assert_neq(strstr(m, "\r\nFrom: <alice@example.com>\r\n"), NULL, "%s", m);
  cr_assert_neq(strstr(m, "\r\nTo: <bob@example.org>,\r\n <carol@example.org>\r\n"), NULL, "%s", m);
  cr_assert_neq(strstr(m, "\r\nSubject: "), NULL);
  cr_assert_neq(strstr(m, "\r\nMessage-ID: <"), NULL);
  cr_assert_neq(strstr(m, "@client.example>\r\n\r\nhello\r\n"), NULL, "%s", m);
  cr_assert_eq(strlen(m), len);
  free(m);
  m = load("X-Mine: yes\n\nhello\n", 19, true, &len);
  cr_assert_str_eq(m, "X-Mine: yes\r\n\r\nhello\r\n");
  free(m);
}

Test(send_message, recognises_a_header_field_by_its_name_and_colon) {
  cr_assert(send_has_header("Subject: x", 10));
  cr_assert(send_has_header("X-Y:", 4));
  cr_assert_not(send_has_header("hello world: x", 14), "a space ends a field name");
  cr_assert_not(send_has_header(": x", 3), "a field name is not empty");
  cr_assert_not(send_has_header("Subject", 7));
  cr_assert_not(send_has_header("", 0));
}

Test(send_message, says_which_file_cannot_be_read) {
  const char *const rcpts[] = {"b@example.org"};
  struct send_options o = {.from = "a@example.com",
                           .rcpts = rcpts,
                           .nrcpts = 1,
                           .ehlo = "c.example",
                           .data_file = "/nonexistent/message.eml"};
  char *out = NULL, err[256];
  size_t len;
  cr_assert_eq(send_load_content(&o, &out, &len, err, sizeof err), -1);
  cr_assert_str_eq(err, "cannot open /nonexistent/message.eml: No such file or directory");
  cr_assert_null(out);
}
