/* guard.h — h2o-style guard pages for decoder tests: guard_put() copies the
 * input so that its last byte sits just before a PROT_NONE page, so any
 * read past the end faults under test (and ASan or not). */
#ifndef DM_GUARD_H
#define DM_GUARD_H
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct guard { unsigned char *base; size_t size; } guard;

/* Returns a writable copy of p[0..n) ending right at a guard page; release
 * with guard_free(). */
static inline unsigned char *guard_put(guard *g, const void *p, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (n + page - 1) / page;
    g->size = (data_pages + 1) * page;
    g->base = mmap(NULL, g->size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->base == MAP_FAILED)
        abort();
    if (mprotect(g->base + data_pages * page, page, PROT_NONE) != 0)
        abort();
    unsigned char *dst = g->base + data_pages * page - n;
    if (n)
        memcpy(dst, p, n);
    return dst;
}

static inline void guard_free(guard *g)
{
    munmap(g->base, g->size);
    g->base = NULL;
}
#endif
