/* jsonw.h — minimal JSON writing into a dbuf, for hot paths where building a
 * jansson tree per event would cost too much. Strings are escaped so the
 * output is safe to embed anywhere: '"' '\\' and all controls (< 0x20, 0x7f)
 * escaped ("\n" "\t" ... or \u00XX), '<' '>' '&' as \u003c \u003e \u0026
 * (so "</script>" never appears), U+2028/U+2029 as \u2028/\u2029. Other
 * UTF-8 (CJK, emoji) passes through unchanged. Input must be valid UTF-8
 * (invalid bytes are replaced by U+FFFD). */
#ifndef DM_JSONW_H
#define DM_JSONW_H
#include "dbuf.h"

/* Appends "..." (with quotes). */
void jsonw_str(dbuf *b, const char *s, size_t n);
void jsonw_cstr(dbuf *b, const char *s);   /* s may be NULL: writes "" */
/* Appends "key": (with quotes and colon, no comma). key is trusted ASCII. */
void jsonw_key(dbuf *b, const char *key);
/* Append a following object member: ,"key":v and ,"key":"s" (s may be NULL). */
void jsonw_field_u64(dbuf *b, const char *key, uint64_t v);
void jsonw_field_str(dbuf *b, const char *key, const char *s);

#endif
