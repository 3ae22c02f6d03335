/* test_daemon_received.c - the RFC 5321 6.3 loop counter: Received: fields in the header
 * section only, any case, obsolete WSP before the colon; every vector whole and one
 * octet at a time, each input ending at a guard page. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_guard.h"
#include "received.h"

/* One vector: content and the count it must give. */
struct rc_vector {
  const char *content;
  unsigned count;
  const char *why;
};

static struct rc_vector vectors[] = {
    {"", 0, "empty content"},
    {"Received: a\r\n\r\nbody\r\n", 1, "one field"},
    {"received: a\r\nRECEIVED: b\r\nReCeIvEd: c\r\n\r\n", 3, "field names in any case"},
    {"Received : a\r\nReceived\t: b\r\n\r\n", 2, "WSP before the colon (RFC 5322 4.5)"},
    {"Received: a\r\n\tfolded\r\n Received: not a field\r\n\r\n", 1,
     "a folded line is not a field"},
    {"X-Received: a\r\nReceivedX: b\r\nReceive: c\r\nReceived\r\n\r\n", 0, "near misses"},
    {"Subject: x\r\n\r\nReceived: in the body\r\n", 0, "the body is not counted"},
    {"Received: a\nReceived: b\n\nReceived: c\n", 2,
     "bare LF lines (refused later, still counted)"},
    {"Received: a\r\nReceived: b", 2, "no body"},
    {"\r\nReceived: a\r\n", 0, "empty header section"},
    {"Received:", 1, "a field that ends the content"},
};

#define NVECTORS (sizeof(vectors) / sizeof(vectors[0]))
/* Parameters are indices: the vectors' strings stay in this process's data. */
static size_t vector_index[NVECTORS];

ParameterizedTestParameters(daemon_received, vectors_count_the_header_fields_whole_and_bytewise) {
  for (size_t i = 0; i < NVECTORS; i++)
    vector_index[i] = i;
  return cr_make_param_array(size_t, vector_index, NVECTORS);
}

ParameterizedTest(size_t *index, daemon_received,
                  vectors_count_the_header_fields_whole_and_bytewise) {
  const struct rc_vector *v = &vectors[*index];
  size_t len = strlen(v->content);
  const char *in = guard_copy(v->content, len);
  struct received_counter whole, bytes;
  memset(&whole, 0, sizeof(whole));
  memset(&bytes, 0, sizeof(bytes));
  received_feed(&whole, in, len);
  for (size_t i = 0; i < len; i++)
    received_feed(&bytes, guard_copy(in + i, 1), 1);
  cr_assert_eq(whole.count, v->count, "%s (whole): %u", v->why, whole.count);
  cr_assert_eq(bytes.count, v->count, "%s (byte by byte): %u", v->why, bytes.count);
  guard_free_all();
}

/* header_with - a header section of n Received: fields, then a body. */
static char *header_with(unsigned n, size_t *len) {
  size_t cap = (size_t)n * 40 + 64, o = 0;
  char *buf = malloc(cap);
  cr_assert_not_null(buf);
  for (unsigned i = 0; i < n; i++)
    o += (size_t)snprintf(buf + o, cap - o, "Received: from h%u by h%u;\r\n", i, i + 1);
  o += (size_t)snprintf(buf + o, cap - o, "\r\nbody\r\n");
  *len = o;
  return buf;
}

Test(daemon_received, one_hundred_fields_are_not_a_loop_but_one_hundred_and_one_are) {
  size_t len;
  char *h100 = header_with(100, &len);
  struct received_counter rc;
  memset(&rc, 0, sizeof(rc));
  received_feed(&rc, h100, len);
  cr_assert_eq(rc.count, 100);
  cr_assert_not(received_is_loop(&rc), "RFC 5321 6.3: more than 100 is the limit");
  free(h100);
  char *h101 = header_with(101, &len);
  memset(&rc, 0, sizeof(rc));
  /* In uneven pieces, as data_chunk delivers them. */
  for (size_t i = 0; i < len; i += 7)
    received_feed(&rc, h101 + i, len - i < 7 ? len - i : 7);
  cr_assert(received_is_loop(&rc));
  free(h101);
}
