/* auth.c — JWT HS256 verification, key sets by kid, claim checks and
 * minting over OpenSSL libcrypto (HMAC-SHA256, CRYPTO_memcmp,
 * OPENSSL_cleanse) and jansson. */
#include "auth.h"
#include <errno.h>
#include <jansson.h>
#include <math.h>
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

struct auth_keyset {
    int64_t leeway;
    int n, def;                      /* def: index of the default key, -1 none */
    struct { char kid[AUTH_MAX_KID + 1]; auth_key *k; } e[AUTH_MAX_KEYS];
};

/* ---------- keys ---------- */

auth_key *auth_key_new(const void *secret, size_t len, int64_t leeway_s)
{
    if (!secret || len < AUTH_MIN_SECRET || len > AUTH_MAX_SECRET)
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
    unsigned char buf[AUTH_MAX_SECRET + 1];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    auth_key *k = n <= AUTH_MAX_SECRET ? auth_key_new(buf, n, leeway_s) : NULL;
    OPENSSL_cleanse(buf, sizeof buf);
    if (!k)
        snprintf(err, err_size, "%s: secret must be %d..%d bytes", path, AUTH_MIN_SECRET,
                 AUTH_MAX_SECRET);
    return k;
}

void auth_key_free(auth_key *k)
{
    if (!k) return;
    OPENSSL_cleanse(k->secret, k->len);
    free(k);
}

/* ---------- key sets ---------- */

int auth_kid_valid(const char *kid, size_t len)
{
    if (!kid || len == 0 || len > AUTH_MAX_KID)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)kid[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

auth_keyset *auth_keyset_new(int64_t leeway_s)
{
    auth_keyset *s = xcalloc(1, sizeof *s);
    s->leeway = leeway_s < 0 ? 0 : leeway_s;
    s->def = -1;
    return s;
}

static int find(const auth_keyset *s, const char *kid, size_t len)
{
    for (int i = 0; i < s->n; i++)
        if (strlen(s->e[i].kid) == len && !memcmp(s->e[i].kid, kid, len))
            return i;
    return -1;
}

int auth_keyset_add_key(auth_keyset *s, const char *kid, auth_key *k)
{
    size_t kl = kid ? strlen(kid) : 0;
    if (!k || s->n == AUTH_MAX_KEYS || (kl && !auth_kid_valid(kid, kl)) || find(s, kid, kl) >= 0) {
        auth_key_free(k);
        return -1;
    }
    k->leeway = s->leeway;
    memcpy(s->e[s->n].kid, kid ? kid : "", kl + 1);
    s->e[s->n].k = k;
    if (s->def < 0)
        s->def = s->n;
    s->n++;
    return 0;
}

int auth_keyset_add(auth_keyset *s, const char *kid, const void *secret, size_t len)
{
    auth_key *k = auth_key_new(secret, len, s->leeway);
    return k ? auth_keyset_add_key(s, kid, k) : -1;
}

int auth_keyset_set_default(auth_keyset *s, const char *kid)
{
    int i = find(s, kid ? kid : "", kid ? strlen(kid) : 0);
    if (i < 0)
        return -1;
    s->def = i;
    return 0;
}

auth_keyset *auth_keyset_from_secret_file(const char *path, int64_t leeway_s,
                                          char *err, size_t err_size)
{
    auth_key *k = auth_key_load(path, leeway_s, err, err_size);
    if (!k)
        return NULL;
    auth_keyset *s = auth_keyset_new(leeway_s);
    auth_keyset_add_key(s, NULL, k);
    return s;
}

void auth_keyset_free(auth_keyset *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++)
        auth_key_free(s->e[i].k);
    free(s);
}

int auth_keyset_count(const auth_keyset *s) { return s->n; }
const char *auth_keyset_kid(const auth_keyset *s, int i) { return s->e[i].kid; }
const char *auth_keyset_default_kid(const auth_keyset *s) { return s->def < 0 ? NULL : s->e[s->def].kid; }

const auth_key *auth_keyset_get(const auth_keyset *s, const char *kid)
{
    int i = kid ? find(s, kid, strlen(kid)) : s->def;
    return i < 0 ? NULL : s->e[i].k;
}

void auth_keyset_describe(const auth_keyset *s, dbuf *out)
{
    dbuf_puts(out, "kids=");
    for (int i = 0; i < s->n; i++)
        dbuf_printf(out, "%s%s", i ? "," : "", s->e[i].kid[0] ? s->e[i].kid : "(none)");
    const char *d = auth_keyset_default_kid(s);
    dbuf_printf(out, " default=%s", !d ? "-" : d[0] ? d : "(none)");
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

/* Checks the header (alg HS256, typ JWT if present, no crit) and copies an
 * optional kid into kid ("" if none). Returns 1 if acceptable, 0 if not. */
static int header_ok(const char *p, size_t n, char kid[AUTH_MAX_KID + 1])
{
    json_t *h = b64_json(p, n);
    if (!h) return 0;
    const char *alg = json_string_value(json_object_get(h, "alg"));
    json_t *typ = json_object_get(h, "typ"), *jk = json_object_get(h, "kid");
    int ok = alg && !strcmp(alg, "HS256") && json_object_get(h, "crit") == NULL &&
             (!typ || (json_is_string(typ) && !strcasecmp(json_string_value(typ), "JWT")));
    kid[0] = 0;
    if (ok && jk) {
        ok = json_is_string(jk) && auth_kid_valid(json_string_value(jk), json_string_length(jk));
        if (ok) memcpy(kid, json_string_value(jk), json_string_length(jk) + 1);
    }
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
    json_t *nbf = json_object_get(p, "nbf");
    if (nbf) {
        double b = json_is_number(nbf) ? json_number_value(nbf) : NAN;
        if (!(b > -1e15 && b < 1e15)) return AUTH_MALFORMED;
        c->nbf = (int64_t)b;
    }
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

/* The whole verification; the key is k, or chosen from s by the kid. */
static int verify(const auth_key *k, const auth_keyset *s, const char *tok, size_t len,
                  int64_t now, auth_claims *c)
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
    if (!header_ok(tok, (size_t)(d1 - tok), c->kid))
        return AUTH_MALFORMED;
    if (s && !(k = auth_keyset_get(s, c->kid[0] ? c->kid : NULL)))
        return AUTH_UNKNOWN_KID;
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
    else if (rc == AUTH_OK && now + k->leeway < c->nbf)
        rc = AUTH_NOT_YET_VALID;
    return rc;
}

int auth_verify(const auth_key *k, const char *tok, size_t len, int64_t now, auth_claims *c)
{
    return verify(k, NULL, tok, len, now, c);
}

int auth_keyset_verify(const auth_keyset *s, const char *tok, size_t len, int64_t now,
                       auth_claims *c)
{
    return verify(NULL, s, tok, len, now, c);
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

static int request(const auth_key *k, const auth_keyset *s, const char *authz, size_t authz_len,
                   int64_t now, const char *room, size_t room_len, const char *user,
                   size_t user_len, int need_admin, auth_claims *c)
{
    auth_claims tmp;
    if (!c) c = &tmp;
    const char *tok;
    size_t tl;
    int rc = auth_bearer(authz, authz_len, &tok, &tl);
    if (rc == AUTH_OK)
        rc = verify(k, s, tok, tl, now, c);
    if (rc == AUTH_OK)
        rc = auth_check(c, room, room_len, user, user_len, need_admin);
    return rc;
}

int auth_request(const auth_key *k, const char *authz, size_t authz_len, int64_t now,
                 const char *room, size_t room_len, const char *user, size_t user_len,
                 int need_admin, auth_claims *c)
{
    return request(k, NULL, authz, authz_len, now, room, room_len, user, user_len, need_admin, c);
}

int auth_keyset_request(const auth_keyset *s, const char *authz, size_t authz_len, int64_t now,
                        const char *room, size_t room_len, const char *user, size_t user_len,
                        int need_admin, auth_claims *c)
{
    return request(NULL, s, authz, authz_len, now, room, room_len, user, user_len, need_admin, c);
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
    { AUTH_UNKNOWN_KID, 401, "unknown_kid", "the token's key id (kid) is not a current key" },
    { AUTH_NOT_YET_VALID, 401, "token_not_yet_valid", "the token is not valid yet (nbf)" },
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

int auth_mint(const auth_key *k, const char *kid, const char *user, const char *const *rooms,
              int nrooms, int64_t exp, int admin, dbuf *out)
{
    size_t ul = user ? strlen(user) : 0, kl = kid ? strlen(kid) : 0;
    if (!k || ul == 0 || ul > AUTH_MAX_USER || nrooms < 0 || nrooms > AUTH_MAX_ROOMS ||
        (kl && !auth_kid_valid(kid, kl)))
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
    char hdr[64 + AUTH_MAX_KID];    /* kid is [A-Za-z0-9._-]: no JSON escaping */
    int hl = snprintf(hdr, sizeof hdr, "{\"alg\":\"HS256\",\"typ\":\"JWT\"%s%s%s}",
                      kl ? ",\"kid\":\"" : "", kl ? kid : "", kl ? "\"" : "");
    size_t start = out->len;
    auth_b64url_encode(hdr, (size_t)hl, out);
    dbuf_putc(out, '.');
    auth_b64url_encode(payload, strlen(payload), out);
    free(payload);
    unsigned char mac[32];
    hs256(k, out->data + start, out->len - start, mac);
    dbuf_putc(out, '.');
    auth_b64url_encode(mac, sizeof mac, out);
    return 0;
}
