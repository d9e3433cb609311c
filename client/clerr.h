/* clerr.h — the client library's one way to report a reason: printf into a
 * caller's err buffer of size n (either may be NULL/0: nothing written). */
#ifndef DM_CLERR_H
#define DM_CLERR_H
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline void clerr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void clerr(char *err, size_t n, const char *fmt, ...)
{
    if (!err || !n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

#endif
