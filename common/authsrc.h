/* authsrc.h — where a server's token keys come from (--auth-secret-file or
 * --auth-keys-file) and their reload on SIGHUP: the current auth_keyset,
 * replaced only by a set that loaded completely (a failed reload logs an
 * ERROR and keeps the old one). Shared by the broadcaster and each edge
 * worker. Log lines name the file and the kids, never a secret. */
#ifndef DM_AUTHSRC_H
#define DM_AUTHSRC_H
#include <stdint.h>
#include "auth.h"

typedef struct authsrc {
    char *path;              /* NULL: tokens off */
    int is_keys_file;        /* 1: keyfile.h format, 0: one raw secret */
    int64_t leeway;
    auth_keyset *set;        /* NULL: tokens off */
} authsrc;

/* Loads the keys: secret_file (one kid-less key) or keys_file (a key file);
 * both NULL/"": tokens off (authsrc_keys returns NULL). Giving both is an
 * error. leeway_s: clock skew allowed on exp and nbf. Returns 0, or -1
 * after logging an ERROR (a is then empty; authsrc_free is still fine). */
int authsrc_init(authsrc *a, const char *secret_file, const char *keys_file, int64_t leeway_s);
/* The option check of authsrc_init alone (for a parent process that loads
 * nothing itself): 0, or -1 after logging an ERROR when both are given. */
int authsrc_check(const char *secret_file, const char *keys_file);
/* Reads the same file again. Returns 0 (new set in place, or tokens off),
 * or -1: the file did not load, an ERROR was logged, the old set stays.
 * Any auth_keyset pointer obtained before a successful reload is freed. */
int authsrc_reload(authsrc *a);
/* The current set, NULL when tokens are off. Valid until the next reload. */
const auth_keyset *authsrc_keys(const authsrc *a);
void authsrc_free(authsrc *a);

#endif
