/* helper_guard.c - guard-page copies of test inputs (as c-ares does with fuzz inputs). */
#include "helper_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* One mapping made by guard_copy(), kept so guard_free_all() can unmap it. */
struct guard_map {
  void *base;
  size_t size;
  struct guard_map *next;
};

/* The mappings not yet freed (test-process bookkeeping, not configuration). */
static struct guard_map *guard_maps;

/* guard_die - a test helper cannot go on without memory: stop the program loudly. */
static void guard_die(const char *what) {
  perror(what);
  abort();
}

/* guard_copy - map data pages plus one PROT_NONE page and copy data to end at the guard. */
const char *guard_copy(const void *data, size_t len) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t data_pages = (len + page - 1) / page;
  size_t size = (data_pages + 1) * page;
  struct guard_map *m = malloc(sizeof *m);
  if (m == NULL)
    guard_die("guard_copy: malloc");
  void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    guard_die("guard_copy: mmap");
  char *guard = (char *)base + data_pages * page;
  if (mprotect(guard, page, PROT_NONE) != 0)
    guard_die("guard_copy: mprotect");
  char *start = guard - len;
  if (len > 0)
    memcpy(start, data, len);
  m->base = base;
  m->size = size;
  m->next = guard_maps;
  guard_maps = m;
  return start;
}

/* guard_free_all - unmap every guard copy. */
void guard_free_all(void) {
  while (guard_maps != NULL) {
    struct guard_map *m = guard_maps;
    guard_maps = m->next;
    munmap(m->base, m->size);
    free(m);
  }
}
