/* fuzz_jwt.c — libFuzzer target for common/auth.h: the Bearer header
 * extraction, token verification (random tokens, and tokens re-signed with
 * the right key so the claim parser is reached), claim checks, base64url. */
#include "auth.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "fuzz-secret-0123456789abcdef"

static auth_key *key;

/* header.payload from the input (split at the first '|'), correctly signed */
static void signed_token(const uint8_t *data, size_t size, dbuf *t)
{
    const uint8_t *bar = memchr(data, '|', size);
    size_t hl = bar ? (size_t)(bar - data) : 0;
    const uint8_t *p = bar ? bar + 1 : data;
    size_t pl = bar ? size - hl - 1 : size;
    if (!bar) auth_b64url_encode("{\"alg\":\"HS256\"}", 15, t);
    else auth_b64url_encode(data, hl, t);
    dbuf_putc(t, '.');
    auth_b64url_encode(p, pl, t);
    unsigned char mac[32];
    unsigned int n = 32;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (unsigned char *)t->data, t->len, mac, &n);
    dbuf_putc(t, '.');
    auth_b64url_encode(mac, n, t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!key) key = auth_key_new(SECRET, strlen(SECRET), 5);
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    auth_claims c;
    int rc = auth_request(key, buf, size, 1700000000, "r1", 2, "u1", 2, size & 1, &c);
    if (rc > 0 || rc < AUTH_NOT_ADMIN) abort();
    rc = auth_verify(key, buf, size, 1700000000, &c);
    if (rc == AUTH_OK && (c.user[0] == 0 || c.nrooms > AUTH_MAX_ROOMS)) abort();
    unsigned char *out = malloc(size * 3 / 4 + 1);
    auth_b64url_decode(buf, size, out);
    free(out);
    free(buf);
    dbuf t;
    dbuf_init(&t);
    signed_token(data, size, &t);
    rc = auth_verify(key, t.data, t.len, 1700000000, &c);
    if (rc == AUTH_BAD_SIGNATURE && t.len <= AUTH_MAX_TOKEN) abort();   /* we signed it */
    if (rc == AUTH_OK) auth_check(&c, "r1", 2, "u1", 2, 1);
    dbuf_free(&t);
    return 0;
}
