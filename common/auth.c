/* auth.c — JWT HS256 verification, claim checks and minting over OpenSSL
 * libcrypto (HMAC-SHA256, CRYPTO_memcmp, OPENSSL_cleanse) and jansson. */
#include "auth.h"
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct auth_key {
    int64_t leeway;
    size_t len;
    unsigned char secret[];
};

static const char HEADER_JSON[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* ---------- keys ---------- */

auth_key *auth_key_new(const void *secret, size_t len, int64_t leeway_s)
{
    if (!secret || len < AUTH_MIN_SECRET || len > 4096)
        return NULL;
    auth_key *k = xmalloc(sizeof *k + len);
    k->leeway = leeway_s < 0 ? 0 : leeway_s;
    k->len = len;
    memcpy(k->secret, secret, len);
    return k;
}

auth_key *auth_key_load(const char *path, int64_t leeway_s, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    unsigned char buf[4097];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    auth_key *k = n <= 4096 ? auth_key_new(buf, n, leeway_s) : NULL;
    OPENSSL_cleanse(buf, sizeof buf);
    if (!k)
        snprintf(err, err_size, "%s: secret must be %d..4096 bytes", path, AUTH_MIN_SECRET);
    return k;
}

void auth_key_free(auth_key *k)
{
    if (!k) return;
    OPENSSL_cleanse(k->secret, k->len);
    free(k);
}

/* ---------- base64url ---------- */

void auth_b64url_encode(const void *in, size_t len, dbuf *out)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = in;
    size_t i = 0;
    dbuf_reserve(out, (len + 2) / 3 * 4);
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = { A[v >> 18], A[v >> 12 & 63], A[v >> 6 & 63], A[v & 63] };
        dbuf_append(out, q, 4);
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char q[2] = { A[v >> 18], A[v >> 12 & 63] };
        dbuf_append(out, q, 2);
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char q[3] = { A[v >> 18], A[v >> 12 & 63], A[v >> 6 & 63] };
        dbuf_append(out, q, 3);
    }
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

long auth_b64url_decode(const char *in, size_t len, unsigned char *out)
{
    if (len % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val((unsigned char)in[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)                 /* non-canonical trailing bits */
        return -1;
    return (long)o;
}

/* ---------- verification ---------- */

static void hs256(const auth_key *k, const char *data, size_t len, unsigned char mac[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), k->secret, (int)k->len, (const unsigned char *)data, len, mac, &n);
}

/* Decodes a base64url JSON object; NULL if either layer is invalid. */
static json_t *b64_json(const char *p, size_t n)
{
    unsigned char buf[AUTH_MAX_TOKEN];
    long l = auth_b64url_decode(p, n, buf);
    if (l <= 0)
        return NULL;
    json_t *j = json_loadb((const char *)buf, (size_t)l, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) { json_decref(j); j = NULL; }
    return j;
}

static int header_ok(const char *p, size_t n)
{
    json_t *h = b64_json(p, n);
    if (!h) return 0;
    const char *alg = json_string_value(json_object_get(h, "alg"));
    json_t *typ = json_object_get(h, "typ");
    int ok = alg && !strcmp(alg, "HS256") && json_object_get(h, "crit") == NULL &&
             (!typ || (json_is_string(typ) && !strcasecmp(json_string_value(typ), "JWT")));
    json_decref(h);
    return ok;
}

static int copy_str(json_t *v, char *out, size_t max)
{
    if (!json_is_string(v)) return -1;
    size_t n = json_string_length(v);
    if (n == 0 || n > max || memchr(json_string_value(v), 0, n)) return -1;
    memcpy(out, json_string_value(v), n + 1);
    return 0;
}

static int parse_claims(json_t *p, auth_claims *c)
{
    json_t *sub = json_object_get(p, "sub");
    if (!sub) sub = json_object_get(p, "user_id");
    json_t *exp = json_object_get(p, "exp");
    if (copy_str(sub, c->user, AUTH_MAX_USER) < 0 || !json_is_number(exp))
        return AUTH_MALFORMED;
    double e = json_number_value(exp);
    if (!(e > -1e15 && e < 1e15))
        return AUTH_MALFORMED;
    c->exp = (int64_t)e;
    json_t *adm = json_object_get(p, "adm");
    if (adm && !json_is_boolean(adm)) return AUTH_MALFORMED;
    c->admin = json_is_true(adm);
    json_t *room = json_object_get(p, "room"), *rooms = json_object_get(p, "rooms");
    c->nrooms = 0;
    if (room) {
        if (copy_str(room, c->rooms[0], AUTH_MAX_ROOM) < 0) return AUTH_MALFORMED;
        c->nrooms = 1;
    }
    if (rooms) {
        if (!json_is_array(rooms) || json_array_size(rooms) == 0) return AUTH_MALFORMED;
        size_t i;
        json_t *v;
        json_array_foreach(rooms, i, v) {
            if (c->nrooms == AUTH_MAX_ROOMS || copy_str(v, c->rooms[c->nrooms], AUTH_MAX_ROOM) < 0)
                return AUTH_MALFORMED;
            c->nrooms++;
        }
    }
    return AUTH_OK;
}

int auth_verify(const auth_key *k, const char *tok, size_t len, int64_t now, auth_claims *c)
{
    memset(c, 0, sizeof *c);
    if (!tok || len == 0)
        return AUTH_MISSING;
    if (len > AUTH_MAX_TOKEN)
        return AUTH_MALFORMED;
    const char *d1 = memchr(tok, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (!d1 || !d2 || d1 == tok || d2 == d1 + 1 || d2 + 1 == tok + len ||
        memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)))
        return AUTH_MALFORMED;
    if (!header_ok(tok, (size_t)(d1 - tok)))
        return AUTH_MALFORMED;
    unsigned char sig[AUTH_MAX_TOKEN], mac[32];
    long sl = auth_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - tok), sig);
    if (sl < 0)
        return AUTH_MALFORMED;
    hs256(k, tok, (size_t)(d2 - tok), mac);
    if (sl != 32 || CRYPTO_memcmp(sig, mac, 32) != 0)
        return AUTH_BAD_SIGNATURE;
    json_t *p = b64_json(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!p)
        return AUTH_MALFORMED;
    int rc = parse_claims(p, c);
    json_decref(p);
    if (rc == AUTH_OK && now >= c->exp + k->leeway)
        rc = AUTH_EXPIRED;
    return rc;
}

int auth_bearer(const char *hdr, size_t len, const char **tok, size_t *tok_len)
{
    *tok = NULL;
    *tok_len = 0;
    if (!hdr || len < 7 || strncasecmp(hdr, "Bearer ", 7) != 0)
        return AUTH_MISSING;
    size_t i = 7;
    while (i < len && hdr[i] == ' ') i++;
    size_t e = len;
    while (e > i && hdr[e - 1] == ' ') e--;
    if (e == i)
        return AUTH_MISSING;
    *tok = hdr + i;
    *tok_len = e - i;
    return AUTH_OK;
}

int auth_check(const auth_claims *c, const char *room, size_t room_len,
               const char *user, size_t user_len, int need_admin)
{
    if (need_admin && !c->admin)
        return AUTH_NOT_ADMIN;
    if (room && c->nrooms) {
        int ok = 0;
        for (int i = 0; i < c->nrooms && !ok; i++)
            ok = strlen(c->rooms[i]) == room_len && !memcmp(c->rooms[i], room, room_len);
        if (!ok)
            return AUTH_WRONG_ROOM;
    }
    if (user && (strlen(c->user) != user_len || memcmp(c->user, user, user_len)))
        return AUTH_USER_MISMATCH;
    return AUTH_OK;
}

int auth_request(const auth_key *k, const char *authz, size_t authz_len, int64_t now,
                 const char *room, size_t room_len, const char *user, size_t user_len,
                 int need_admin, auth_claims *c)
{
    auth_claims tmp;
    if (!c) c = &tmp;
    const char *tok;
    size_t tl;
    int rc = auth_bearer(authz, authz_len, &tok, &tl);
    if (rc == AUTH_OK)
        rc = auth_verify(k, tok, tl, now, c);
    if (rc == AUTH_OK)
        rc = auth_check(c, room, room_len, user, user_len, need_admin);
    return rc;
}

/* ---------- error table ---------- */

static const struct { int err, status; const char *code, *msg; } ERRS[] = {
    { AUTH_OK, 200, "ok", "ok" },
    { AUTH_MISSING, 401, "missing_token", "an Authorization: Bearer token is required" },
    { AUTH_MALFORMED, 401, "malformed_token", "the token is not a valid HS256 JWT with sub and exp" },
    { AUTH_BAD_SIGNATURE, 401, "bad_signature", "the token signature does not verify" },
    { AUTH_EXPIRED, 401, "token_expired", "the token has expired" },
    { AUTH_WRONG_ROOM, 403, "wrong_room", "the token is not valid for this room" },
    { AUTH_USER_MISMATCH, 403, "user_mismatch", "user_id does not match the token" },
    { AUTH_NOT_ADMIN, 403, "not_admin", "an admin token is required" },
};

static int err_index(int e)
{
    for (size_t i = 0; i < sizeof ERRS / sizeof ERRS[0]; i++)
        if (ERRS[i].err == e) return (int)i;
    return 2;   /* unknown: malformed */
}

const char *auth_err_code(int e) { return ERRS[err_index(e)].code; }
const char *auth_err_message(int e) { return ERRS[err_index(e)].msg; }
int auth_err_status(int e) { return ERRS[err_index(e)].status; }

/* ---------- minting ---------- */

int auth_mint(const auth_key *k, const char *user, const char *const *rooms, int nrooms,
              int64_t exp, int admin, dbuf *out)
{
    size_t ul = user ? strlen(user) : 0;
    if (!k || ul == 0 || ul > AUTH_MAX_USER || nrooms < 0 || nrooms > AUTH_MAX_ROOMS)
        return -1;
    json_t *p = json_object();
    json_object_set_new(p, "sub", json_string(user));
    json_object_set_new(p, "exp", json_integer(exp));
    json_t *arr = nrooms > 1 ? json_array() : NULL;
    for (int i = 0; i < nrooms; i++) {
        size_t rl = rooms[i] ? strlen(rooms[i]) : 0;
        if (rl == 0 || rl > AUTH_MAX_ROOM) { json_decref(p); json_decref(arr); return -1; }
        if (arr) json_array_append_new(arr, json_string(rooms[i]));
        else json_object_set_new(p, "room", json_string(rooms[i]));
    }
    if (arr) json_object_set_new(p, "rooms", arr);
    if (admin) json_object_set_new(p, "adm", json_true());
    char *payload = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(p);
    if (!payload)
        return -1;
    size_t start = out->len;
    auth_b64url_encode(HEADER_JSON, sizeof HEADER_JSON - 1, out);
    dbuf_putc(out, '.');
    auth_b64url_encode(payload, strlen(payload), out);
    free(payload);
    unsigned char mac[32];
    hs256(k, out->data + start, out->len - start, mac);
    dbuf_putc(out, '.');
    auth_b64url_encode(mac, sizeof mac, out);
    return 0;
}
