/* auth.h — signed bearer tokens: JWT HS256 (HMAC-SHA256 via OpenSSL
 * libcrypto, constant-time signature compare) verification and claim checks
 * for publishers, viewers and admins, plus minting (tests, bin/dm-token).
 * Header: "alg" HS256, optional "kid" (which key of a key set signed it).
 * Claims: "sub" or "user_id" (string, required), "exp" (seconds since the
 * epoch, required), optional "nbf" (not before, seconds), optional room
 * scope "room" (string) or "rooms" (array), optional "adm": true for admin
 * tokens. A key set (auth_keyset) holds several keys by kid so a secret can
 * rotate without refusing valid tokens. Secrets are never logged. */
#ifndef DM_AUTH_H
#define DM_AUTH_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"

/* Error codes: 0 ok, negative on failure; each maps to an HTTP status and
 * a JSON error code through auth_err_status / auth_err_code. */
enum auth_err {
    AUTH_OK = 0,
    AUTH_MISSING = -1,        /* 401 missing_token: no "Authorization: Bearer" */
    AUTH_MALFORMED = -2,      /* 401 malformed_token: not a JWT, bad base64/JSON, alg != HS256, claims missing */
    AUTH_BAD_SIGNATURE = -3,  /* 401 bad_signature */
    AUTH_EXPIRED = -4,        /* 401 token_expired */
    AUTH_WRONG_ROOM = -5,     /* 403 wrong_room: token scoped to other rooms */
    AUTH_USER_MISMATCH = -6,  /* 403 user_mismatch: body user_id != token user */
    AUTH_NOT_ADMIN = -7,      /* 403 not_admin */
    AUTH_UNKNOWN_KID = -8,    /* 401 unknown_kid: header kid not in the key set (or no default key) */
    AUTH_NOT_YET_VALID = -9,  /* 401 token_not_yet_valid: now + leeway < nbf */
};
#define AUTH_ERR_LAST AUTH_NOT_YET_VALID   /* every code is in AUTH_ERR_LAST..AUTH_OK */

#define AUTH_MAX_TOKEN 4096
#define AUTH_MAX_USER 128
#define AUTH_MAX_ROOM 64
#define AUTH_MAX_ROOMS 16
#define AUTH_MIN_SECRET 16
#define AUTH_MAX_SECRET 4096
#define AUTH_MAX_KID 64           /* kid: 1..64 of [A-Za-z0-9._-] */
#define AUTH_MAX_KEYS 16          /* keys in one set */

typedef struct auth_key auth_key;

/* A key from secret bytes (copied; AUTH_MIN_SECRET..AUTH_MAX_SECRET bytes),
 * NULL otherwise. leeway_s: seconds of clock skew tolerated on "exp" and
 * "nbf" (negative: 0). */
auth_key *auth_key_new(const void *secret, size_t len, int64_t leeway_s);
/* Reads the secret from a file (trailing CR/LF/spaces stripped). NULL with
 * a reason in err (which never contains the secret). */
auth_key *auth_key_load(const char *path, int64_t leeway_s, char *err, size_t err_size);
/* Wipes and frees the key (NULL is fine). */
void auth_key_free(auth_key *k);

/* A set of keys, each under a kid, one of them the default (the key that
 * checks tokens whose header has no kid). Immutable once built and handed to
 * a verifier: to rotate, build a new set (keyfile.h), swap the pointer, free
 * the old one; a failed load keeps the old set. leeway_s as for auth_key_new. */
typedef struct auth_keyset auth_keyset;

/* An empty set (no key verifies anything until one is added). */
auth_keyset *auth_keyset_new(int64_t leeway_s);
/* Adds a copy of the secret under kid (NULL or "": no kid, which only a
 * kid-less token can select). The first key added is the default until
 * auth_keyset_set_default. Returns 0, or -1: kid not 1..AUTH_MAX_KID of
 * [A-Za-z0-9._-], kid already in the set, AUTH_MAX_KEYS reached, or secret
 * length out of bounds. */
int auth_keyset_add(auth_keyset *s, const char *kid, const void *secret, size_t len);
/* As auth_keyset_add with a key made by auth_key_new/auth_key_load: the set
 * takes ownership of k (freed here on failure; its leeway becomes the set's). */
int auth_keyset_add_key(auth_keyset *s, const char *kid, auth_key *k);
/* 1 when kid is a valid key id (1..AUTH_MAX_KID of [A-Za-z0-9._-]). */
int auth_kid_valid(const char *kid, size_t len);
/* Makes kid (NULL or "": the kid-less key) the default. Returns 0, or -1
 * when no key has that kid. */
int auth_keyset_set_default(auth_keyset *s, const char *kid);
/* A set of one kid-less default key read from a raw secret file (as
 * auth_key_load): what --auth-secret-file gives. NULL with a reason in err. */
auth_keyset *auth_keyset_from_secret_file(const char *path, int64_t leeway_s,
                                          char *err, size_t err_size);
/* Wipes and frees every key of the set (NULL is fine). */
void auth_keyset_free(auth_keyset *s);
/* Number of keys; the kid of key i (0 <= i < count; "" for the kid-less
 * key), valid while the set lives; the default key's kid (NULL: none). */
int auth_keyset_count(const auth_keyset *s);
const char *auth_keyset_kid(const auth_keyset *s, int i);
const char *auth_keyset_default_kid(const auth_keyset *s);
/* The key for kid (NULL: the default key), NULL when absent. Owned by the
 * set. For minting with a key of a set (bin/dm-token). */
const auth_key *auth_keyset_get(const auth_keyset *s, const char *kid);
/* Appends "kids=a,b default=a" (ids only, never secrets) for log lines. */
void auth_keyset_describe(const auth_keyset *s, dbuf *out);

typedef struct auth_claims {
    char user[AUTH_MAX_USER + 1];
    char kid[AUTH_MAX_KID + 1];                   /* header kid, "" if none */
    int64_t exp;
    int64_t nbf;                                  /* 0: no nbf claim */
    int admin;
    int nrooms;                                   /* 0: any room */
    char rooms[AUTH_MAX_ROOMS][AUTH_MAX_ROOM + 1];
} auth_claims;

/* Extracts the token from an Authorization header value ("Bearer <tok>",
 * scheme case-insensitive). hdr may be NULL. Returns 0 and points *tok into
 * hdr, or AUTH_MISSING. */
int auth_bearer(const char *hdr, size_t len, const char **tok, size_t *tok_len);

/* Verifies tok[0..len) against k at time `now` (seconds) and fills c.
 * Returns AUTH_OK, AUTH_MISSING (empty), AUTH_MALFORMED, AUTH_BAD_SIGNATURE,
 * AUTH_EXPIRED (now >= exp + leeway) or AUTH_NOT_YET_VALID (now + leeway <
 * nbf). A header kid is recorded in c->kid but not matched: k is the key.
 * Order: structure, header, signature, then claims (so an unsigned token
 * never reaches the claim parser), then time. */
int auth_verify(const auth_key *k, const char *tok, size_t len, int64_t now, auth_claims *c);
/* As auth_verify, with the key chosen by the header's kid from s (no kid:
 * the default key); AUTH_UNKNOWN_KID when s has no such key. */
int auth_keyset_verify(const auth_keyset *s, const char *tok, size_t len, int64_t now,
                       auth_claims *c);

/* Checks verified claims against a request: room (NULL: no room check),
 * the body's user id (NULL: no check) and whether admin rights are needed.
 * Returns AUTH_OK, AUTH_WRONG_ROOM, AUTH_USER_MISMATCH or AUTH_NOT_ADMIN. */
int auth_check(const auth_claims *c, const char *room, size_t room_len,
               const char *user, size_t user_len, int need_admin);

/* auth_bearer + auth_verify + auth_check in one call (c may be NULL). */
int auth_request(const auth_key *k, const char *authz, size_t authz_len, int64_t now,
                 const char *room, size_t room_len, const char *user, size_t user_len,
                 int need_admin, auth_claims *c);
/* auth_bearer + auth_keyset_verify + auth_check in one call (c may be NULL). */
int auth_keyset_request(const auth_keyset *s, const char *authz, size_t authz_len, int64_t now,
                        const char *room, size_t room_len, const char *user, size_t user_len,
                        int need_admin, auth_claims *c);

const char *auth_err_code(int err);      /* "missing_token", ... ; "ok" for 0 */
const char *auth_err_message(int err);   /* a human sentence, no secrets */
int auth_err_status(int err);            /* 401 / 403; 200 for 0 */

/* Appends a signed token to out: header {"alg":"HS256","typ":"JWT"} plus
 * "kid" when kid is neither NULL nor ""; payload {"sub":user,"exp":exp} plus
 * "room" (one room), "rooms" (several) and "adm":true when admin. Returns 0
 * or -1 (kid invalid, user or a room empty or too long). */
int auth_mint(const auth_key *k, const char *kid, const char *user, const char *const *rooms,
              int nrooms, int64_t exp, int admin, dbuf *out);

/* base64url without padding (RFC 4648 §5). decode returns the decoded
 * length or -1 on any character outside the alphabet, '=' or a length of
 * 1 mod 4; out needs room for len * 3 / 4 + 1 bytes. */
void auth_b64url_encode(const void *in, size_t len, dbuf *out);
long auth_b64url_decode(const char *in, size_t len, unsigned char *out);

#endif
