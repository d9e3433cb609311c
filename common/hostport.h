/* hostport.h — the one parser for "HOST:PORT" addresses used by every binary:
 * IPv4 ("127.0.0.1:80"), bracketed IPv6 ("[::1]:80") and host names
 * ("redis.local:6379"); the port is decimal 1..65535. */
#ifndef DM_HOSTPORT_H
#define DM_HOSTPORT_H
#include <stddef.h>

#define DM_HOST_MAX 256

typedef struct dm_hostport {
    char host[DM_HOST_MAX];  /* without brackets: "::1", "127.0.0.1", "name" */
    int port;                /* 1..65535 */
} dm_hostport;

/* Parses s into hp. Returns DM_OK, or DM_INVALID (err.h) with a one-line reason in err (which
 * names the bad part; err may be NULL). hp is unchanged on error. Rejects an
 * empty host, an unbracketed IPv6 address, a bracketed non-IPv6 literal,
 * characters outside [A-Za-z0-9.-_], a missing/non-decimal/out-of-range port. */
int dm_hostport_parse(const char *s, dm_hostport *hp, char *err, size_t errsz);
/* Writes hp as text ("[::1]:80" for IPv6) into buf; returns buf. */
char *dm_hostport_str(const dm_hostport *hp, char *buf, size_t bufsz);

#endif
