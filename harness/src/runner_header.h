/* runner_header.h - private to the runner: judging the `maildir header` steps on each
 * delivered message that carries the test's token. */
#ifndef SMTPCHECK_RUNNER_HEADER_H
#define SMTPCHECK_RUNNER_HEADER_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "script.h"

/* One `maildir header` step being judged, and why the first message that failed it did. */
struct header_judge {
  const struct script_step *st;
  regex_t re;
  bool has_re;
  char why[700]; /* "" until a message fails the step */
};

/* runner_step_is_header - a `maildir header` step. */
bool runner_step_is_header(enum step_kind kind);

/* header_judge_init - compile the step's pattern; 0, or -1 with a message in err. */
int header_judge_init(struct header_judge *hj, const struct script_step *st, char *err,
                      size_t errlen);

/* header_judge_message - a maildir_judge: true when the message meets the step (its
 * topmost field of the name matches / does not match, or the field count is listed);
 * otherwise the first failure's reason is kept in hj->why. */
bool header_judge_message(void *ctx, const char *msg, size_t len);

/* header_judge_free - release the compiled pattern. */
void header_judge_free(struct header_judge *hj);

#endif
