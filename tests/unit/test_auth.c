/* test_auth.c — JWT HS256: external vectors (made with Python's hmac, and
 * the jwt.io example), mint/verify round trips, and every failure class
 * (missing, malformed, bad signature, expired, not yet valid, unknown kid,
 * wrong room, user mismatch, not admin) with its HTTP status and code; key
 * sets: selection by kid, the default key for kid-less tokens, leeway on
 * exp and nbf. The key file format is tested in test_keyfile.c. */
#include "t.h"
#include "auth.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#define SECRET "test-secret-0123456789abcdef"
#define OTHER "other-secret-0123456789abcdef"
#define NOW 1700000000LL

/* python3: header {"typ":"JWT","alg":"HS256"}, payload
 * {"user_id": "u1", "exp": 4102444800, "rooms": ["r1", "r2"]} */
static const char PY_TOKEN[] =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjogInUxIiwgImV4cCI6IDQxMDI0NDQ4MDAsICJy"
    "b29tcyI6IFsicjEiLCAicjIiXX0.WTY14uWJdvVtZsB0e1GDgmXp10Yo5mZjo9f-JpQvxbM";
/* jwt.io's example: valid HS256 signature, but no "exp" claim */
static const char JWTIO[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
    "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

static auth_key *key(void) { return auth_key_new(SECRET, strlen(SECRET), 0); }

static int verify(auth_key *k, const char *tok, auth_claims *c)
{
    return auth_verify(k, tok, strlen(tok), NOW, c);
}

/* Builds header.payload.sig from raw JSON parts, signed with SECRET by
 * OpenSSL directly (independent of auth.c's signing path). */
static void forge_with(const char *secret, const char *hdr, const char *payload, dbuf *out)
{
    dbuf_reset(out);
    auth_b64url_encode(hdr, strlen(hdr), out);
    dbuf_putc(out, '.');
    auth_b64url_encode(payload, strlen(payload), out);
    unsigned char mac[32];
    unsigned int n = 32;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)out->data, out->len, mac, &n);
    dbuf_putc(out, '.');
    auth_b64url_encode(mac, n, out);
}

static void forge(const char *hdr, const char *payload, dbuf *out)
{
    forge_with(SECRET, hdr, payload, out);
}

static void test_external_vectors(void)
{
    auth_key *k = key(); T_ASSERT(k);
    auth_claims c;
    T_EQ_INT(verify(k, PY_TOKEN, &c), AUTH_OK);
    T_EQ_STR(c.user, "u1");
    T_EQ_INT(c.exp, 4102444800LL);
    T_EQ_INT(c.nrooms, 2);
    T_EQ_STR(c.rooms[1], "r2");
    T_EQ_INT(c.admin, 0);
    auth_key *j = auth_key_new("your-256-bit-secret", 19, 0);
    T_EQ_INT(verify(j, JWTIO, &c), AUTH_MALFORMED);        /* signature ok, exp missing */
    T_EQ_INT(verify(k, JWTIO, &c), AUTH_BAD_SIGNATURE);
    T_EQ_INT(verify(j, PY_TOKEN, &c), AUTH_BAD_SIGNATURE);
    auth_key_free(j); auth_key_free(k);
}

static void test_mint_roundtrip(void)
{
    auth_key *k = key(); T_ASSERT(k);
    dbuf t; dbuf_init(&t);
    const char *rooms[] = { "r1", "r2", "r3" };
    auth_claims c;
    T_EQ_INT(auth_mint(k, NULL, "alice", NULL, 0, NOW + 60, 0, &t), 0);
    T_EQ_INT(verify(k, t.data, &c), AUTH_OK);
    T_EQ_STR(c.user, "alice"); T_EQ_INT(c.nrooms, 0); T_EQ_INT(c.admin, 0);
    dbuf_reset(&t);
    T_EQ_INT(auth_mint(k, NULL, "bob", rooms, 1, NOW + 60, 1, &t), 0);
    T_EQ_INT(verify(k, t.data, &c), AUTH_OK);
    T_EQ_INT(c.nrooms, 1); T_EQ_STR(c.rooms[0], "r1"); T_EQ_INT(c.admin, 1);
    dbuf_reset(&t);
    T_EQ_INT(auth_mint(k, NULL, "carol", rooms, 3, NOW + 60, 0, &t), 0);
    T_EQ_INT(verify(k, t.data, &c), AUTH_OK);
    T_EQ_INT(c.nrooms, 3); T_EQ_STR(c.rooms[2], "r3");
    T_EQ_INT(auth_mint(k, NULL, "", NULL, 0, NOW, 0, &t), -1);
    const char *bad[] = { "" };
    T_EQ_INT(auth_mint(k, NULL, "u", bad, 1, NOW, 0, &t), -1);
    dbuf_free(&t);
    auth_key_free(k);
}

static void test_missing(void)
{
    auth_key *k = key(); T_ASSERT(k);
    const char *tok; size_t tl;
    T_EQ_INT(auth_bearer(NULL, 0, &tok, &tl), AUTH_MISSING);
    T_EQ_INT(auth_bearer("Basic dTpw", 10, &tok, &tl), AUTH_MISSING);
    T_EQ_INT(auth_bearer("Bearer ", 7, &tok, &tl), AUTH_MISSING);
    T_EQ_INT(auth_bearer("Bearer    ", 10, &tok, &tl), AUTH_MISSING);
    T_EQ_INT(auth_bearer("bearer abc ", 11, &tok, &tl), AUTH_OK);
    T_EQ_INT(tl, 3); T_EQ_MEM(tok, "abc", 3);
    T_EQ_INT(auth_request(k, NULL, 0, NOW, "r1", 2, "u1", 2, 0, NULL), AUTH_MISSING);
    T_EQ_INT(auth_err_status(AUTH_MISSING), 401);
    T_EQ_STR(auth_err_code(AUTH_MISSING), "missing_token");
    auth_claims c;
    T_EQ_INT(auth_verify(k, "", 0, NOW, &c), AUTH_MISSING);
    auth_key_free(k);
}

static void test_malformed(void)
{
    auth_key *k = key(); T_ASSERT(k);
    auth_claims c;
    const char *cases[] = {
        "abc", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "...",
        "eyJhbGciOiJIUzI1NiJ9.e30.***",                   /* bad base64 in signature */
        "eyJhbGciOiJIUzI1NiJ9=.e30.AAAA",                 /* padding */
        "bm90IGpzb24.e30.AAAA",                           /* header "not json" */
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1IiwiZXhwIjo5OTk5OTk5OTk5fQ.AAAA",  /* alg none */
        "eyJhbGciOiJIUzI1MTIifQ.e30.AAAA",                /* alg HS2512 */
        "WzFd.e30.AAAA",                                  /* header is an array */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = verify(k, cases[i], &c);
        if (rc != AUTH_MALFORMED) { T_FAIL_("'%s' -> %d", cases[i], rc); auth_key_free(k); return; }
    }
    /* well-signed tokens with bad claims are malformed, not bad_signature */
    const char *payloads[] = {
        "{\"exp\":4102444800}",                         /* no sub */
        "{\"sub\":\"u1\"}",                             /* no exp */
        "{\"sub\":\"u1\",\"exp\":\"soon\"}",
        "{\"sub\":1,\"exp\":4102444800}",
        "{\"sub\":\"\",\"exp\":4102444800}",
        "{\"sub\":\"u1\",\"exp\":4102444800,\"room\":7}",
        "{\"sub\":\"u1\",\"exp\":4102444800,\"rooms\":[]}",
        "{\"sub\":\"u1\",\"exp\":4102444800,\"rooms\":[\"r1\",2]}",
        "{\"sub\":\"u1\",\"exp\":4102444800,\"adm\":\"yes\"}",
        "{\"sub\":\"u1\",\"exp\":1e300}",
        "{\"sub\":\"u1\",\"sub\":\"u2\",\"exp\":4102444800}",   /* duplicate key */
        "[1,2]", "not json",
    };
    dbuf t; dbuf_init(&t);
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        forge("{\"alg\":\"HS256\"}", payloads[i], &t);
        int rc = verify(k, t.data, &c);
        if (rc != AUTH_MALFORMED) { T_FAIL_("payload %s -> %d", payloads[i], rc); break; }
    }
    /* the same forge path with good claims verifies (the cases above fail for their claims) */
    forge("{\"alg\":\"HS256\"}", "{\"sub\":\"u1\",\"exp\":4102444800}", &t);
    T_EQ_INT(verify(k, t.data, &c), AUTH_OK);
    dbuf_free(&t);
    /* too long */
    char *big = malloc(AUTH_MAX_TOKEN + 2);
    memset(big, 'a', AUTH_MAX_TOKEN + 1); big[AUTH_MAX_TOKEN + 1] = 0;
    big[10] = '.'; big[20] = '.';
    T_EQ_INT(verify(k, big, &c), AUTH_MALFORMED);
    free(big);
    auth_key_free(k);
}

static void test_bad_signature(void)
{
    auth_key *k = key(); T_ASSERT(k);
    auth_key *other = auth_key_new("another-secret-0123456789", 25, 0);
    dbuf t; dbuf_init(&t);
    auth_claims c;
    T_EQ_INT(auth_mint(other, NULL, "u1", NULL, 0, NOW + 60, 0, &t), 0);
    T_EQ_INT(verify(k, t.data, &c), AUTH_BAD_SIGNATURE);
    dbuf_reset(&t);
    T_EQ_INT(auth_mint(k, NULL, "u1", NULL, 0, NOW + 60, 0, &t), 0);
    char *dot = strrchr(t.data, '.');
    /* flip one signature character */
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    T_EQ_INT(verify(k, t.data, &c), AUTH_BAD_SIGNATURE);
    /* truncated signature */
    dot[5] = 0;
    T_EQ_INT(verify(k, t.data, &c), AUTH_BAD_SIGNATURE);
    /* payload tampered (user changed to admin), signature kept */
    dbuf_reset(&t);
    T_EQ_INT(auth_mint(k, NULL, "u1", NULL, 0, NOW + 60, 0, &t), 0);
    dbuf t2; dbuf_init(&t2);
    T_EQ_INT(auth_mint(k, NULL, "u1", NULL, 0, NOW + 60, 1, &t2), 0);
    char *p1 = strchr(t.data, '.'), *s1 = strrchr(t.data, '.');
    char *p2 = strchr(t2.data, '.'), *s2 = strrchr(t2.data, '.');
    dbuf f; dbuf_init(&f);
    dbuf_append(&f, t.data, (size_t)(p1 - t.data));
    dbuf_append(&f, p2, (size_t)(s2 - p2));
    dbuf_puts(&f, s1);
    T_EQ_INT(verify(k, f.data, &c), AUTH_BAD_SIGNATURE);
    T_EQ_INT(auth_err_status(AUTH_BAD_SIGNATURE), 401);
    T_EQ_STR(auth_err_code(AUTH_BAD_SIGNATURE), "bad_signature");
    dbuf_free(&f); dbuf_free(&t2); dbuf_free(&t);
    auth_key_free(other); auth_key_free(k);
}

static void test_expired(void)
{
    auth_key *k = key(); T_ASSERT(k);
    dbuf t; dbuf_init(&t);
    auth_claims c;
    T_EQ_INT(auth_mint(k, NULL, "u1", NULL, 0, NOW, 0, &t), 0);       /* exp == now: expired */
    T_EQ_INT(verify(k, t.data, &c), AUTH_EXPIRED);
    T_EQ_INT(auth_verify(k, t.data, t.len, NOW - 1, &c), AUTH_OK);
    auth_key *lenient = auth_key_new(SECRET, strlen(SECRET), 30);
    T_EQ_INT(auth_verify(lenient, t.data, t.len, NOW + 29, &c), AUTH_OK);
    T_EQ_INT(auth_verify(lenient, t.data, t.len, NOW + 30, &c), AUTH_EXPIRED);
    T_EQ_STR(auth_err_code(AUTH_EXPIRED), "token_expired");
    T_EQ_INT(auth_err_status(AUTH_EXPIRED), 401);
    auth_key_free(lenient);
    dbuf_free(&t); auth_key_free(k);
}

static void test_scope(void)
{
    auth_key *k = key(); T_ASSERT(k);
    dbuf t; dbuf_init(&t);
    const char *rooms[] = { "r1", "r2" };
    T_EQ_INT(auth_mint(k, NULL, "u1", rooms, 2, NOW + 60, 0, &t), 0);
    dbuf h; dbuf_init(&h);
    dbuf_printf(&h, "Bearer %s", t.data);
    T_EQ_INT(auth_request(k, h.data, h.len, NOW, "r1", 2, "u1", 2, 0, NULL), AUTH_OK);
    T_EQ_INT(auth_request(k, h.data, h.len, NOW, "r2", 2, "u1", 2, 0, NULL), AUTH_OK);
    T_EQ_INT(auth_request(k, h.data, h.len, NOW, "r3", 2, "u1", 2, 0, NULL), AUTH_WRONG_ROOM);
    T_EQ_INT(auth_request(k, h.data, h.len, NOW, "r", 1, "u1", 2, 0, NULL), AUTH_WRONG_ROOM);
    T_EQ_INT(auth_request(k, h.data, h.len, NOW, "r1", 2, "u2", 2, 0, NULL), AUTH_USER_MISMATCH);
    T_EQ_INT(auth_request(k, h.data, h.len, NOW, "r1", 2, "u", 1, 0, NULL), AUTH_USER_MISMATCH);
    T_EQ_INT(auth_request(k, h.data, h.len, NOW, "r1", 2, NULL, 0, 1, NULL), AUTH_NOT_ADMIN);
    T_EQ_INT(auth_request(k, h.data, h.len, NOW + 61, "r1", 2, "u1", 2, 0, NULL), AUTH_EXPIRED);
    T_EQ_INT(auth_err_status(AUTH_WRONG_ROOM), 403);
    T_EQ_INT(auth_err_status(AUTH_USER_MISMATCH), 403);
    T_EQ_INT(auth_err_status(AUTH_NOT_ADMIN), 403);
    T_EQ_STR(auth_err_code(AUTH_WRONG_ROOM), "wrong_room");
    T_EQ_STR(auth_err_code(AUTH_USER_MISMATCH), "user_mismatch");
    T_EQ_STR(auth_err_code(AUTH_NOT_ADMIN), "not_admin");
    /* an unscoped admin token: any room, admin endpoints */
    dbuf_reset(&t);
    T_EQ_INT(auth_mint(k, NULL, "ops", NULL, 0, NOW + 60, 1, &t), 0);
    dbuf_reset(&h);
    dbuf_printf(&h, "Bearer %s", t.data);
    auth_claims c;
    T_EQ_INT(auth_request(k, h.data, h.len, NOW, "any", 3, NULL, 0, 1, &c), AUTH_OK);
    T_EQ_STR(c.user, "ops");
    dbuf_free(&h); dbuf_free(&t); auth_key_free(k);
}

static void test_keys(void)
{
    T_ASSERT(auth_key_new("short", 5, 0) == NULL);
    char dir[] = "/tmp/authtestXXXXXX";
    T_ASSERT(mkdtemp(dir));
    char p[64];
    snprintf(p, sizeof p, "%s/secret", dir);
    FILE *f = fopen(p, "w"); fputs(SECRET "\r\n", f); fclose(f);
    char err[128] = "";
    auth_key *k = auth_key_load(p, 0, err, sizeof err);
    T_ASSERT(k);
    auth_claims c;
    T_EQ_INT(verify(k, PY_TOKEN, &c), AUTH_OK);          /* newline stripped */
    auth_key_free(k);
    f = fopen(p, "w"); fputs("tooshort\n", f); fclose(f);
    T_ASSERT(!auth_key_load(p, 0, err, sizeof err));
    T_ASSERT(!strstr(err, "tooshort"));                  /* the secret is never echoed */
    unlink(p);
    T_ASSERT(!auth_key_load(p, 0, err, sizeof err));
    rmdir(dir);
}

static void test_kid_header(void)
{
    auth_key *k = key(); T_ASSERT(k);
    dbuf t; dbuf_init(&t);
    auth_claims c;
    T_EQ_INT(auth_mint(k, "2026-12.a_b", "u1", NULL, 0, NOW + 60, 0, &t), 0);
    T_EQ_INT(verify(k, t.data, &c), AUTH_OK);          /* a single key records, never matches, kid */
    T_EQ_STR(c.kid, "2026-12.a_b");
    dbuf_reset(&t);
    T_EQ_INT(auth_mint(k, "", "u1", NULL, 0, NOW + 60, 0, &t), 0);
    T_EQ_INT(verify(k, t.data, &c), AUTH_OK);
    T_EQ_STR(c.kid, "");
    /* the minted header is the plain JWT header plus kid */
    dbuf_reset(&t);
    T_EQ_INT(auth_mint(k, "k1", "u1", NULL, 0, NOW + 60, 0, &t), 0);
    dbuf want; dbuf_init(&want);
    const char *hj = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
    auth_b64url_encode(hj, strlen(hj), &want);
    T_ASSERT(t.len > want.len && !memcmp(t.data, want.data, want.len) && t.data[want.len] == '.');
    dbuf_free(&want);
    char longkid[AUTH_MAX_KID + 2];
    memset(longkid, 'k', sizeof longkid - 1); longkid[sizeof longkid - 1] = 0;
    T_EQ_INT(auth_mint(k, "a b", "u1", NULL, 0, NOW + 60, 0, &t), -1);
    T_EQ_INT(auth_mint(k, "k\"", "u1", NULL, 0, NOW + 60, 0, &t), -1);
    T_EQ_INT(auth_mint(k, longkid, "u1", NULL, 0, NOW + 60, 0, &t), -1);
    longkid[AUTH_MAX_KID] = 0;
    dbuf_reset(&t);
    T_EQ_INT(auth_mint(k, longkid, "u1", NULL, 0, NOW + 60, 0, &t), 0);
    T_EQ_INT(verify(k, t.data, &c), AUTH_OK);
    /* a well-signed token whose kid is not a valid key id is malformed */
    const char *hdrs[] = { "{\"alg\":\"HS256\",\"kid\":7}", "{\"alg\":\"HS256\",\"kid\":\"\"}",
                           "{\"alg\":\"HS256\",\"kid\":\"a b\"}", "{\"alg\":\"HS256\",\"kid\":null}",
                           "{\"alg\":\"HS256\",\"kid\":\"a\\u0000b\"}" };
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
        forge(hdrs[i], "{\"sub\":\"u1\",\"exp\":4102444800}", &t);
        int rc = verify(k, t.data, &c);
        if (rc != AUTH_MALFORMED) { T_FAIL_("header %s -> %d", hdrs[i], rc); break; }
    }
    dbuf_free(&t); auth_key_free(k);
}

/* k1 = SECRET (the default), k2 = OTHER */
static auth_keyset *two_keys(int64_t leeway)
{
    auth_keyset *s = auth_keyset_new(leeway);
    if (auth_keyset_add(s, "k1", SECRET, strlen(SECRET)) || auth_keyset_add(s, "k2", OTHER, strlen(OTHER))) {
        auth_keyset_free(s);
        return NULL;
    }
    return s;
}

static int sverify(const auth_keyset *s, const char *secret, const char *hdr, const char *payload,
                   int64_t now, auth_claims *c)
{
    dbuf t; dbuf_init(&t);
    forge_with(secret, hdr, payload, &t);
    int rc = auth_keyset_verify(s, t.data, t.len, now, c);
    dbuf_free(&t);
    return rc;
}

#define P_OK "{\"sub\":\"u1\",\"exp\":4102444800}"

static void test_keyset_select(void)
{
    auth_keyset *s = two_keys(0); T_ASSERT(s);
    auth_claims c;
    T_EQ_INT(auth_keyset_count(s), 2);
    T_EQ_STR(auth_keyset_default_kid(s), "k1");
    T_EQ_INT(sverify(s, OTHER, "{\"alg\":\"HS256\",\"kid\":\"k2\"}", P_OK, NOW, &c), AUTH_OK);
    T_EQ_STR(c.kid, "k2"); T_EQ_STR(c.user, "u1");
    T_EQ_INT(sverify(s, SECRET, "{\"alg\":\"HS256\",\"kid\":\"k1\"}", P_OK, NOW, &c), AUTH_OK);
    /* the kid picks the key: the other key's signature does not verify */
    T_EQ_INT(sverify(s, OTHER, "{\"alg\":\"HS256\",\"kid\":\"k1\"}", P_OK, NOW, &c), AUTH_BAD_SIGNATURE);
    T_EQ_INT(sverify(s, SECRET, "{\"alg\":\"HS256\",\"kid\":\"k2\"}", P_OK, NOW, &c), AUTH_BAD_SIGNATURE);
    /* an unknown kid has its own code, whatever the signature */
    T_EQ_INT(sverify(s, SECRET, "{\"alg\":\"HS256\",\"kid\":\"k3\"}", P_OK, NOW, &c), AUTH_UNKNOWN_KID);
    T_EQ_INT(sverify(s, SECRET, "{\"alg\":\"HS256\",\"kid\":\"K1\"}", P_OK, NOW, &c), AUTH_UNKNOWN_KID);
    T_EQ_INT(auth_err_status(AUTH_UNKNOWN_KID), 401);
    T_EQ_STR(auth_err_code(AUTH_UNKNOWN_KID), "unknown_kid");
    /* no kid: the default key */
    T_EQ_INT(sverify(s, SECRET, "{\"alg\":\"HS256\"}", P_OK, NOW, &c), AUTH_OK);
    T_EQ_STR(c.kid, "");
    T_EQ_INT(sverify(s, OTHER, "{\"alg\":\"HS256\"}", P_OK, NOW, &c), AUTH_BAD_SIGNATURE);
    T_EQ_INT(auth_keyset_set_default(s, "k2"), 0);
    T_EQ_INT(sverify(s, OTHER, "{\"alg\":\"HS256\"}", P_OK, NOW, &c), AUTH_OK);
    T_EQ_INT(sverify(s, SECRET, "{\"alg\":\"HS256\"}", P_OK, NOW, &c), AUTH_BAD_SIGNATURE);
    T_EQ_INT(auth_keyset_set_default(s, "k9"), -1);
    T_EQ_STR(auth_keyset_default_kid(s), "k2");
    /* the structure is checked before the kid: a garbage token is malformed */
    T_EQ_INT(auth_keyset_verify(s, "a.b.c", 5, NOW, &c), AUTH_MALFORMED);
    T_EQ_INT(auth_keyset_verify(s, "", 0, NOW, &c), AUTH_MISSING);
    /* minting with a key of the set round-trips through the set */
    dbuf t; dbuf_init(&t);
    T_EQ_INT(auth_mint(auth_keyset_get(s, "k1"), "k1", "u7", NULL, 0, NOW + 60, 0, &t), 0);
    T_EQ_INT(auth_keyset_verify(s, t.data, t.len, NOW, &c), AUTH_OK);
    T_EQ_STR(c.user, "u7"); T_EQ_STR(c.kid, "k1");
    T_ASSERT(auth_keyset_get(s, "nope") == NULL);
    T_ASSERT(auth_keyset_get(s, NULL) == auth_keyset_get(s, "k2"));
    dbuf_reset(&t);
    auth_keyset_describe(s, &t);
    T_EQ_STR(t.data, "kids=k1,k2 default=k2");
    dbuf_free(&t);
    auth_keyset_free(s);
}

static void test_keyset_add_rules(void)
{
    auth_keyset *s = auth_keyset_new(0);
    auth_claims c;
    /* an empty set has no default: every token is unknown_kid */
    T_EQ_INT(sverify(s, SECRET, "{\"alg\":\"HS256\"}", P_OK, NOW, &c), AUTH_UNKNOWN_KID);
    T_ASSERT(auth_keyset_default_kid(s) == NULL);
    T_EQ_INT(auth_keyset_add(s, "k1", "short", 5), -1);
    T_EQ_INT(auth_keyset_add(s, "a b", SECRET, strlen(SECRET)), -1);
    T_EQ_INT(auth_keyset_add(s, "k1", SECRET, strlen(SECRET)), 0);
    T_EQ_INT(auth_keyset_add(s, "k1", OTHER, strlen(OTHER)), -1);      /* duplicate */
    T_EQ_INT(auth_keyset_add_key(s, "k9", NULL), -1);
    char kid[16];
    for (int i = 2; i <= AUTH_MAX_KEYS; i++) {
        snprintf(kid, sizeof kid, "k%d", i);
        T_EQ_INT(auth_keyset_add(s, kid, OTHER, strlen(OTHER)), 0);
    }
    T_EQ_INT(auth_keyset_add(s, "one-more", OTHER, strlen(OTHER)), -1);
    T_EQ_INT(auth_keyset_add_key(s, "one-more", auth_key_new(OTHER, strlen(OTHER), 0)), -1);  /* freed */
    T_EQ_INT(auth_keyset_count(s), AUTH_MAX_KEYS);
    T_EQ_STR(auth_keyset_kid(s, AUTH_MAX_KEYS - 1), "k16");
    auth_keyset_free(s);
    auth_keyset_free(NULL);
    /* a kid-less key (what --auth-secret-file gives) takes kid-less tokens only */
    s = auth_keyset_new(0);
    T_EQ_INT(auth_keyset_add(s, NULL, SECRET, strlen(SECRET)), 0);
    T_EQ_INT(auth_keyset_add(s, "", OTHER, strlen(OTHER)), -1);        /* one kid-less key */
    T_EQ_INT(sverify(s, SECRET, "{\"alg\":\"HS256\"}", P_OK, NOW, &c), AUTH_OK);
    T_EQ_INT(sverify(s, SECRET, "{\"alg\":\"HS256\",\"kid\":\"k1\"}", P_OK, NOW, &c), AUTH_UNKNOWN_KID);
    dbuf d; dbuf_init(&d);
    auth_keyset_describe(s, &d);
    T_EQ_STR(d.data, "kids=(none) default=(none)");
    dbuf_free(&d);
    auth_keyset_free(s);
}

static void test_nbf_skew(void)
{
    auth_keyset *strict = two_keys(0), *skew = two_keys(30);
    T_ASSERT(strict && skew);
    auth_claims c;
    const char *h = "{\"alg\":\"HS256\",\"kid\":\"k1\"}";
    char p[128];
    /* nbf in the future, no leeway: refused until nbf, accepted from nbf on */
    snprintf(p, sizeof p, "{\"sub\":\"u1\",\"exp\":%lld,\"nbf\":%lld}", NOW + 600, NOW + 10);
    T_EQ_INT(sverify(strict, SECRET, h, p, NOW, &c), AUTH_NOT_YET_VALID);
    T_EQ_INT(sverify(strict, SECRET, h, p, NOW + 9, &c), AUTH_NOT_YET_VALID);
    T_EQ_INT(sverify(strict, SECRET, h, p, NOW + 10, &c), AUTH_OK);
    T_EQ_INT(c.nbf, NOW + 10);
    /* within the skew allowance: accepted now */
    T_EQ_INT(sverify(skew, SECRET, h, p, NOW, &c), AUTH_OK);
    snprintf(p, sizeof p, "{\"sub\":\"u1\",\"exp\":%lld,\"nbf\":%lld}", NOW + 600, NOW + 30);
    T_EQ_INT(sverify(skew, SECRET, h, p, NOW, &c), AUTH_OK);
    /* outside it: refused with its own code */
    snprintf(p, sizeof p, "{\"sub\":\"u1\",\"exp\":%lld,\"nbf\":%lld}", NOW + 600, NOW + 31);
    T_EQ_INT(sverify(skew, SECRET, h, p, NOW, &c), AUTH_NOT_YET_VALID);
    T_EQ_INT(sverify(skew, SECRET, h, p, NOW + 1, &c), AUTH_OK);
    T_EQ_INT(auth_err_status(AUTH_NOT_YET_VALID), 401);
    T_EQ_STR(auth_err_code(AUTH_NOT_YET_VALID), "token_not_yet_valid");
    /* nbf in the past is fine; a non-numeric nbf is malformed */
    snprintf(p, sizeof p, "{\"sub\":\"u1\",\"exp\":%lld,\"nbf\":%lld}", NOW + 600, NOW - 600);
    T_EQ_INT(sverify(strict, SECRET, h, p, NOW, &c), AUTH_OK);
    T_EQ_INT(sverify(strict, SECRET, h, "{\"sub\":\"u1\",\"exp\":4102444800,\"nbf\":\"now\"}", NOW, &c),
             AUTH_MALFORMED);
    T_EQ_INT(sverify(strict, SECRET, h, "{\"sub\":\"u1\",\"exp\":4102444800,\"nbf\":1e300}", NOW, &c),
             AUTH_MALFORMED);
    /* the single-key path checks nbf too */
    auth_key *k = key();
    dbuf t; dbuf_init(&t);
    snprintf(p, sizeof p, "{\"sub\":\"u1\",\"exp\":%lld,\"nbf\":%lld}", NOW + 600, NOW + 10);
    forge("{\"alg\":\"HS256\"}", p, &t);
    T_EQ_INT(verify(k, t.data, &c), AUTH_NOT_YET_VALID);
    dbuf_free(&t); auth_key_free(k);
    auth_keyset_free(strict); auth_keyset_free(skew);
}

static void test_exp_skew_keyset(void)
{
    auth_keyset *strict = two_keys(0), *skew = two_keys(30);
    T_ASSERT(strict && skew);
    auth_claims c;
    const char *h = "{\"alg\":\"HS256\",\"kid\":\"k2\"}";
    char p[96];
    snprintf(p, sizeof p, "{\"sub\":\"u1\",\"exp\":%lld}", NOW);
    T_EQ_INT(sverify(strict, OTHER, h, p, NOW - 1, &c), AUTH_OK);
    T_EQ_INT(sverify(strict, OTHER, h, p, NOW, &c), AUTH_EXPIRED);
    T_EQ_INT(sverify(skew, OTHER, h, p, NOW + 29, &c), AUTH_OK);
    T_EQ_INT(sverify(skew, OTHER, h, p, NOW + 30, &c), AUTH_EXPIRED);
    /* an expired token with an unknown kid: the kid is reported first */
    T_EQ_INT(sverify(skew, OTHER, "{\"alg\":\"HS256\",\"kid\":\"old\"}", p, NOW + 30, &c), AUTH_UNKNOWN_KID);
    auth_keyset_free(strict); auth_keyset_free(skew);
}

static void test_keyset_request(void)
{
    auth_keyset *s = two_keys(0); T_ASSERT(s);
    dbuf t; dbuf_init(&t);
    const char *rooms[] = { "r1" };
    T_EQ_INT(auth_mint(auth_keyset_get(s, "k2"), "k2", "u1", rooms, 1, NOW + 60, 0, &t), 0);
    dbuf h; dbuf_init(&h);
    dbuf_printf(&h, "Bearer %s", t.data);
    auth_claims c;
    T_EQ_INT(auth_keyset_request(s, h.data, h.len, NOW, "r1", 2, "u1", 2, 0, &c), AUTH_OK);
    T_EQ_STR(c.kid, "k2");
    T_EQ_INT(auth_keyset_request(s, h.data, h.len, NOW, "r2", 2, "u1", 2, 0, NULL), AUTH_WRONG_ROOM);
    T_EQ_INT(auth_keyset_request(s, h.data, h.len, NOW, "r1", 2, "u2", 2, 0, NULL), AUTH_USER_MISMATCH);
    T_EQ_INT(auth_keyset_request(s, h.data, h.len, NOW, "r1", 2, NULL, 0, 1, NULL), AUTH_NOT_ADMIN);
    T_EQ_INT(auth_keyset_request(s, NULL, 0, NOW, "r1", 2, NULL, 0, 0, NULL), AUTH_MISSING);
    dbuf_reset(&t); dbuf_reset(&h);
    T_EQ_INT(auth_mint(auth_keyset_get(s, "k2"), "gone", "u1", rooms, 1, NOW + 60, 0, &t), 0);
    dbuf_printf(&h, "Bearer %s", t.data);
    T_EQ_INT(auth_keyset_request(s, h.data, h.len, NOW, "r1", 2, "u1", 2, 0, NULL), AUTH_UNKNOWN_KID);
    dbuf_free(&h); dbuf_free(&t);
    auth_keyset_free(s);
}

static void test_keyset_from_secret_file(void)
{
    char dir[] = "/tmp/authtestXXXXXX";
    T_ASSERT(mkdtemp(dir));
    char p[64];
    snprintf(p, sizeof p, "%s/secret", dir);
    FILE *f = fopen(p, "w"); fputs(SECRET "\n", f); fclose(f);
    char err[128] = "";
    auth_keyset *s = auth_keyset_from_secret_file(p, 0, err, sizeof err);
    T_ASSERT(s);
    auth_claims c;
    T_EQ_INT(auth_keyset_verify(s, PY_TOKEN, strlen(PY_TOKEN), NOW, &c), AUTH_OK);
    T_EQ_INT(auth_keyset_count(s), 1);
    T_EQ_STR(auth_keyset_default_kid(s), "");
    auth_keyset_free(s);
    unlink(p);
    T_ASSERT(!auth_keyset_from_secret_file(p, 0, err, sizeof err));
    T_ASSERT(strstr(err, p));
    rmdir(dir);
}

static void test_b64url(void)
{
    unsigned char out[16];
    dbuf b; dbuf_init(&b);
    auth_b64url_encode("\xfb\xff", 2, &b);
    T_EQ_STR(b.data, "-_8");
    T_EQ_INT(auth_b64url_decode("-_8", 3, out), 2);
    T_EQ_MEM(out, "\xfb\xff", 2);
    T_EQ_INT(auth_b64url_decode("-_9", 3, out), -1);     /* non-canonical last bits */
    T_EQ_INT(auth_b64url_decode("A", 1, out), -1);
    T_EQ_INT(auth_b64url_decode("AA+A", 4, out), -1);
    T_EQ_INT(auth_b64url_decode("", 0, out), 0);
    dbuf_free(&b);
}

int main(void)
{
    T_RUN(test_external_vectors);
    T_RUN(test_mint_roundtrip);
    T_RUN(test_missing);
    T_RUN(test_malformed);
    T_RUN(test_bad_signature);
    T_RUN(test_expired);
    T_RUN(test_scope);
    T_RUN(test_keys);
    T_RUN(test_b64url);
    T_RUN(test_kid_header);
    T_RUN(test_keyset_select);
    T_RUN(test_keyset_add_rules);
    T_RUN(test_nbf_skew);
    T_RUN(test_exp_skew_keyset);
    T_RUN(test_keyset_request);
    T_RUN(test_keyset_from_secret_file);
    return T_DONE();
}
