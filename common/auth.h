/* auth.h — signed bearer tokens: JWT HS256 (HMAC-SHA256 via OpenSSL
 * libcrypto, constant-time signature compare) verification and claim checks
 * for publishers, viewers and admins, plus minting (tests, bin/dm-token).
 * Claims: "sub" or "user_id" (string, required), "exp" (seconds since the
 * epoch, required), optional room scope "room" (string) or "rooms" (array),
 * optional "adm": true for admin tokens. The secret is never logged. */
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
};

#define AUTH_MAX_TOKEN 4096
#define AUTH_MAX_USER 128
#define AUTH_MAX_ROOM 64
#define AUTH_MAX_ROOMS 16
#define AUTH_MIN_SECRET 16

typedef struct auth_key auth_key;

/* A key from secret bytes (copied; at least AUTH_MIN_SECRET bytes), NULL if
 * too short. leeway_s: seconds of clock skew tolerated on "exp". */
auth_key *auth_key_new(const void *secret, size_t len, int64_t leeway_s);
/* Reads the secret from a file (trailing CR/LF/spaces stripped). NULL with
 * a reason in err (which never contains the secret). */
auth_key *auth_key_load(const char *path, int64_t leeway_s, char *err, size_t err_size);
/* Wipes and frees the key (NULL is fine). */
void auth_key_free(auth_key *k);

typedef struct auth_claims {
    char user[AUTH_MAX_USER + 1];
    int64_t exp;
    int admin;
    int nrooms;                                   /* 0: any room */
    char rooms[AUTH_MAX_ROOMS][AUTH_MAX_ROOM + 1];
} auth_claims;

/* Extracts the token from an Authorization header value ("Bearer <tok>",
 * scheme case-insensitive). hdr may be NULL. Returns 0 and points *tok into
 * hdr, or AUTH_MISSING. */
int auth_bearer(const char *hdr, size_t len, const char **tok, size_t *tok_len);

/* Verifies tok[0..len) against k at time `now` (seconds) and fills c.
 * Returns AUTH_OK, AUTH_MISSING (empty), AUTH_MALFORMED, AUTH_BAD_SIGNATURE
 * or AUTH_EXPIRED. The signature is checked before the claims are parsed. */
int auth_verify(const auth_key *k, const char *tok, size_t len, int64_t now, auth_claims *c);

/* Checks verified claims against a request: room (NULL: no room check),
 * the body's user id (NULL: no check) and whether admin rights are needed.
 * Returns AUTH_OK, AUTH_WRONG_ROOM, AUTH_USER_MISMATCH or AUTH_NOT_ADMIN. */
int auth_check(const auth_claims *c, const char *room, size_t room_len,
               const char *user, size_t user_len, int need_admin);

/* auth_bearer + auth_verify + auth_check in one call (c may be NULL). */
int auth_request(const auth_key *k, const char *authz, size_t authz_len, int64_t now,
                 const char *room, size_t room_len, const char *user, size_t user_len,
                 int need_admin, auth_claims *c);

const char *auth_err_code(int err);      /* "missing_token", ... ; "ok" for 0 */
const char *auth_err_message(int err);   /* a human sentence, no secrets */
int auth_err_status(int err);            /* 401 / 403; 200 for 0 */

/* Appends a signed token to out: {"sub":user,"exp":exp} plus "room" (one
 * room), "rooms" (several) and "adm":true when admin. Returns 0 or -1 (user
 * or a room empty or too long). */
int auth_mint(const auth_key *k, const char *user, const char *const *rooms, int nrooms,
              int64_t exp, int admin, dbuf *out);

/* base64url without padding (RFC 4648 §5). decode returns the decoded
 * length or -1 on any character outside the alphabet, '=' or a length of
 * 1 mod 4; out needs room for len * 3 / 4 + 1 bytes. */
void auth_b64url_encode(const void *in, size_t len, dbuf *out);
long auth_b64url_decode(const char *in, size_t len, unsigned char *out);

#endif
