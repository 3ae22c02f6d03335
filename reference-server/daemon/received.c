/* received.c - a streaming count of Received: fields in the header section (RFC 5321 6.3). */
#include "received.h"

/* Where the scanner stands in the header section. */
enum rc_state {
  RC_BOL = 0, /* at the start of a line (zero-fill) */
  RC_BOL_CR,  /* a CR at the start of a line: the empty line, if LF follows */
  RC_NAME,    /* matching "received" */
  RC_WSP,     /* "received" matched: optional WSP (RFC 5322 4.5 obs-optional), then ':' */
  RC_REST,    /* skipping to the end of the line */
  RC_BODY,    /* past the header: nothing more to count */
};

static const char field[] = "received";

/* lower - ASCII lower case (header field names are case-insensitive, RFC 5322 1.2.2). */
static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* received_feed - scan more content octets. */
void received_feed(struct received_counter *rc, const char *data, size_t len) {
  for (size_t i = 0; i < len && rc->state != RC_BODY; i++) {
    char c = data[i];
    switch ((enum rc_state)rc->state) {
    case RC_BOL:
      if (c == '\r')
        rc->state = RC_BOL_CR;
      else if (c == '\n')
        rc->state = RC_BODY;
      else if (lower(c) == field[0]) {
        rc->matched = 1;
        rc->state = RC_NAME;
      } else
        rc->state = RC_REST;
      break;
    case RC_BOL_CR:
      /* RFC 5322 2.1: the header section ends at the first empty line. */
      rc->state = c == '\n' ? RC_BODY : RC_REST;
      break;
    case RC_NAME:
      if (lower(c) == field[rc->matched]) {
        if (++rc->matched == sizeof(field) - 1)
          rc->state = RC_WSP;
      } else {
        rc->state = c == '\n' ? RC_BOL : RC_REST;
      }
      break;
    case RC_WSP:
      if (c == ':') {
        rc->count++;
        rc->state = RC_REST;
      } else if (c != ' ' && c != '\t') {
        rc->state = c == '\n' ? RC_BOL : RC_REST;
      }
      break;
    case RC_REST:
      if (c == '\n')
        rc->state = RC_BOL;
      break;
    case RC_BODY:
      break;
    }
  }
}

/* received_is_loop - RFC 5321 6.3: more than 100 Received: fields. */
bool received_is_loop(const struct received_counter *rc) {
  return rc->count > RECEIVED_LOOP_LIMIT;
}
