/* edge_auth.h — optional viewer tokens (--auth-secret-file or
 * --auth-keys-file): when keys are configured, a WebSocket handshake needs
 * ?token=<JWT HS256> (the same tokens as the broadcaster's, docs/API.md
 * "Signed tokens"), checked before the upgrade. The keys are loaded once in
 * the supervisor and inherited by workers; each process reloads them on
 * SIGHUP (edge_auth_reload; the supervisor forwards SIGHUP to its workers). */
#ifndef DM_EDGE_AUTH_H
#define DM_EDGE_AUTH_H
#include <stddef.h>
#include "http.h"

/* Loads the keys (authsrc.h: one of the two files, both "" or NULL: tokens
 * off). 0, or -1 (logged, without the secret). */
int edge_auth_init(const char *secret_file, const char *keys_file, long leeway_s);
/* Reads the file again; a failed reload keeps the old keys (ERROR logged).
 * 0 or -1. */
int edge_auth_reload(void);
void edge_auth_free(void);

/* 0 when tokens are off or rq's ?token= is valid for room[0..rlen);
 * otherwise -1 with the HTTP status (401/403) and the stable error code and
 * message (static strings) to answer with. */
int edge_auth_check(const http_request *rq, const char *room, size_t rlen, int *status,
                    const char **code, const char **msg);

#endif
