/* test_wire.c - the wire-format rules every reply is held to, and visible escaping. */
#include <criterion/criterion.h>
#include <string.h>

#include "wire.h"

/* A reply's octets and the wire verdict (NULL: none). */
struct wire_vector {
  const char *reply;
  size_t len;
  const char *reason;
};

#define W(s, r)                                                                                    \
  { s, sizeof(s) - 1, r }

/* The vectors of wire.names_every_violation_with_its_section. */
static const struct wire_vector names_every_violation_with_its_section_vectors[] = {
    W("250 ok\r\n", NULL),
    W("250-a\r\n250 b\r\n", NULL),
    W("250\r\n", NULL), /* RFC 5321 4.2: text is optional */
    W("250 caf\xc3\xa9\r\n", NULL),
    W("250 ok\n", "wire format: a line ends in LF without CR (RFC 5321 2.3.8)"),
    W("250-a\r\n250 b\n", "wire format: a line ends in LF without CR (RFC 5321 2.3.8)"),
    W("250 o\rk\r\n", "wire format: a bare CR inside a line (RFC 5321 2.3.8)"),
    W("250-a\r\n251 b\r\n",
      "wire format: lines of one reply carry different codes (RFC 5321 4.2.1)"),
    W("250_a\r\n", "wire format: the code is followed by neither '-' nor SP (RFC 5321 4.2)"),
    W("650 a\r\n", "wire format: a line without a valid reply code (RFC 5321 4.2)"),
    W("250-a\r\nxyz\r\n250 b\r\n", "wire format: a line without a valid reply code (RFC 5321 4.2)"),
    W("250 a\0b\r\n", "wire format: a NUL octet in the reply text (RFC 5321 4.2)"),
    W("250-a\n251 b\r\n", "wire format: a line ends in LF without CR (RFC 5321 2.3.8); lines "
                          "of one reply carry different codes (RFC 5321 4.2.1)"),
};

/* check_names_every_violation_with_its_section - one vector of
 * wire.names_every_violation_with_its_section. */
static void check_names_every_violation_with_its_section(const struct wire_vector *v) {
  struct smtp_reply r;
  cr_assert_eq(smtp_reply_parse(v->reply, v->len, &r), (ssize_t)v->len);
  char reason[512] = "";
  int rc = wire_check(&r, reason, sizeof reason);
  if (!v->reason) {
    cr_assert_eq(rc, 0, "%s", reason);
  } else {
    cr_assert_eq(rc, -1);
    cr_assert_str_eq(reason, v->reason);
  }
}

Test(wire, names_every_violation_with_its_section) {
  for (size_t i = 0; i < sizeof names_every_violation_with_its_section_vectors /
                             sizeof names_every_violation_with_its_section_vectors[0];
       i++)
    check_names_every_violation_with_its_section(
        &names_every_violation_with_its_section_vectors[i]);
}

Test(wire, a_line_over_512_octets_is_a_violation) {
  char reply[700];
  memset(reply, 'a', sizeof reply);
  memcpy(reply, "250 ", 4);
  memcpy(reply + 600, "\r\n", 2);
  struct smtp_reply r;
  cr_assert_eq(smtp_reply_parse(reply, 602, &r), 602);
  char reason[512];
  cr_assert_eq(wire_check(&r, reason, sizeof reason), -1);
  cr_assert_str_eq(reason, "wire format: a reply line longer than 512 octets (RFC 5321 4.5.3.1.5)");
}

Test(wire, a_reply_of_exactly_512_octets_is_fine) {
  char reply[512];
  memset(reply, 'a', sizeof reply);
  memcpy(reply, "250 ", 4);
  memcpy(reply + 510, "\r\n", 2);
  struct smtp_reply r;
  cr_assert_eq(smtp_reply_parse(reply, 512, &r), 512);
  char reason[512] = "";
  cr_assert_eq(wire_check(&r, reason, sizeof reason), 0, "%s", reason);
}

Test(wire, escapes_control_and_non_ascii_octets_visibly) {
  struct sbuf out = {0};
  const char in[] = "a\r\n\t\0\\\x7f\xc3\xa9z";
  cr_assert_eq(wire_escape(in, sizeof in - 1, &out), 0);
  cr_assert_str_eq(out.p, "a\\r\\n\\t\\0\\\\\\x7f\\xc3\\xa9z");
  sbuf_free(&out);
  cr_assert_eq(wire_escape("", 0, &out), 0);
  cr_assert_not_null(out.p);
  cr_assert_str_eq(out.p, "");
  sbuf_free(&out);
}
