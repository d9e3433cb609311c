/* t.h — a tiny assert header for unit tests. Each test binary includes it,
 * defines test functions and lists them in main via T_RUN. Prints one TAP-like
 * line per test ("ok - name" / "not ok - name") and exits non-zero on any
 * failure; tests/run.sh counts the lines. */
#ifndef DM_T_H
#define DM_T_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

static int t_failed_now, t_pass, t_fail;

#define T_FAIL_(...) do { fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); t_failed_now = 1; } while (0)
#define T_ASSERT(c) do { if (!(c)) { T_FAIL_("assertion failed: %s", #c); return; } } while (0)
#define T_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
    if (a_ != b_) { T_FAIL_("%s == %lld, expected %s == %lld", #a, a_, #b, b_); return; } } while (0)
#define T_EQ_U64(a, b) do { unsigned long long a_ = (a), b_ = (b); \
    if (a_ != b_) { T_FAIL_("%s == %llu, expected %llu", #a, a_, b_); return; } } while (0)
#define T_EQ_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
    if (!a_ || !b_ || strcmp(a_, b_)) { T_FAIL_("%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); return; } } while (0)
#define T_EQ_MEM(a, b, n) do { if (memcmp((a), (b), (n))) { T_FAIL_("memory %s != %s (%zu bytes)", #a, #b, (size_t)(n)); return; } } while (0)

#define T_RUN(fn) do { t_failed_now = 0; fn(); \
    if (t_failed_now) { t_fail++; printf("not ok - %s\n", #fn); } \
    else { t_pass++; printf("ok - %s\n", #fn); } fflush(stdout); } while (0)
#define T_DONE() (printf("# %d passed, %d failed\n", t_pass, t_fail), t_fail ? 1 : 0)

#endif
