/* dbuf.h — a growable contiguous byte buffer (like Redis sds, but a struct).
 * Allocation failure aborts the process (see xmalloc). The data pointer is
 * invalidated by any call that appends. */
#ifndef DM_DBUF_H
#define DM_DBUF_H
#include <stddef.h>
#include <stdint.h>

typedef struct dbuf {
    char *data;     /* NUL-terminated for convenience (not counted in len) */
    size_t len;
    size_t cap;
} dbuf;

void *xmalloc(size_t n);            /* abort on OOM */
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

void dbuf_init(dbuf *b);            /* empty, no allocation */
void dbuf_free(dbuf *b);            /* frees storage; b is empty again */
void dbuf_reset(dbuf *b);           /* len = 0, keeps capacity */
void dbuf_reserve(dbuf *b, size_t extra);     /* cap >= len + extra + 1 */
void dbuf_append(dbuf *b, const void *p, size_t n);
void dbuf_putc(dbuf *b, char c);
void dbuf_puts(dbuf *b, const char *s);
void dbuf_printf(dbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dbuf_put_u64(dbuf *b, uint64_t v);       /* decimal */
void dbuf_put_i64(dbuf *b, int64_t v);        /* decimal */
/* Protobuf wire helpers: varint, and a tag (field << 3 | wire type). */
void dbuf_put_varint(dbuf *b, uint64_t v);
size_t varint_len(uint64_t v);
/* Appends the whole contents of the file at path. Returns 0, or -1 with
 * errno set (ENOENT when the file does not exist; b may hold a partial read). */
int dbuf_append_file(dbuf *b, const char *path);
/* Detaches the storage: returns data (caller frees), b is empty again. */
char *dbuf_steal(dbuf *b, size_t *len);

#endif
