/* utf8.h — strict UTF-8 validation (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF) and code-point counting. No allocation. */
#ifndef DM_UTF8_H
#define DM_UTF8_H
#include <stddef.h>
#include <stdint.h>

/* Returns 0 if s[0..n) is valid UTF-8 and stores the number of code points
 * in *cps (if cps != NULL); returns -1 if invalid. */
int utf8_validate(const char *s, size_t n, size_t *cps);

/* Decodes one code point at s[0..n). Returns its length in bytes (1..4) and
 * stores it in *cp, or -1 if invalid/truncated. */
int utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Encodes cp (<= 0x10FFFF, not a surrogate) into out; returns 1..4. */
int utf8_encode(uint32_t cp, char out[4]);

#endif
