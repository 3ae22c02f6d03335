/* helper_guard.h - test inputs that end at an inaccessible page, so over-reads fault. */
#ifndef HELPER_GUARD_H
#define HELPER_GUARD_H

#include <stddef.h>

/* guard_copy - a copy of data whose last byte sits just before a PROT_NONE page.
 * With len 0 the pointer is the start of the guard page itself (any read faults).
 * Aborts the test program if memory cannot be mapped. Valid until guard_free_all(). */
const char *guard_copy(const void *data, size_t len);

/* guard_free_all - unmap every copy made by guard_copy(). */
void guard_free_all(void);

#endif
