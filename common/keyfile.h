/* keyfile.h — the auth key file (--auth-keys-file): the text format that
 * names the keys of an auth_keyset, so a token secret can rotate (add the new
 * key, later remove the old one, reload on SIGHUP) with no valid token
 * refused. Format (docs/SECURITY.md "Key rotation"), one entry per line,
 * fields separated by spaces or tabs, '#' starts a comment line:
 *     KID hex:HEXDIGITS      secret given as hex (16..4096 bytes decoded)
 *     KID file:PATH          secret is the raw content of PATH (trailing
 *                            whitespace stripped; relative to the key file)
 *     default KID            the key for tokens without a kid (default: the
 *                            first key listed)
 * KID: 1..64 of [A-Za-z0-9._-], unique; "default" is reserved. Up to
 * AUTH_MAX_KEYS keys. Error messages name the file and line, never a secret. */
#ifndef DM_KEYFILE_H
#define DM_KEYFILE_H
#include <stddef.h>
#include <stdint.h>
#include "auth.h"

#define KEYFILE_MAX_SIZE (256 * 1024)

/* Reads and parses the key file at path. Returns a new set (caller frees
 * with auth_keyset_free), or NULL with "path:line: reason" in err. The file
 * buffer is wiped before return. leeway_s: clock skew on exp/nbf. */
auth_keyset *keyfile_load(const char *path, int64_t leeway_s, char *err, size_t err_size);

/* Parses text[0..len) (need not be NUL-terminated). path names the source in
 * error messages and anchors relative file: paths (NULL: "keys", the current
 * directory). Returns as keyfile_load. */
auth_keyset *keyfile_parse(const char *text, size_t len, const char *path, int64_t leeway_s,
                           char *err, size_t err_size);

#endif
