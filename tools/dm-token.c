/* dm-token.c — mints a signed publisher/viewer/admin token (JWT HS256) for
 * the broadcaster and edge: prints it on stdout, followed by a newline.
 *   dm-token --secret-file F --user u1 [--kid K] [--room r1 ...] [--ttl 3600] [--admin]
 *   dm-token --keys-file F [--kid K] --user u1 ...
 * Repeating --room scopes the token to several rooms. --kid puts a key id in
 * the header: with --secret-file it is only written, with --keys-file it
 * also picks the key (default: the file's default key, whose kid is
 * written). Secrets are read from files (never from the command line, so
 * they stay out of ps). */
#include "auth.h"
#include "keyfile.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: dm-token (--secret-file FILE | --keys-file FILE) --user ID [--kid KID]\n"
               "                [--room R]... [--ttl SECONDS] [--admin]\n"
               "  prints a JWT (HS256) with sub=ID, exp=now+ttl (default 3600),\n"
               "  room/rooms scope when --room is given, adm=true with --admin,\n"
               "  header kid=KID with --kid (with --keys-file: the key KID of the file;\n"
               "  without --kid: its default key); key file format: docs/SECURITY.md\n");
}

typedef struct args {
    const char *secret, *keys, *kid, *user, *rooms[AUTH_MAX_ROOMS];
    int nrooms, admin;
    long long ttl;
} args;

/* Returns -1 to continue, else the exit code. */
static int parse(int argc, char **argv, args *a)
{
    static const struct option lo[] = {
        { "secret-file", 1, 0, 's' }, { "keys-file", 1, 0, 'k' }, { "kid", 1, 0, 'i' },
        { "user", 1, 0, 'u' }, { "room", 1, 0, 'r' }, { "ttl", 1, 0, 't' },
        { "admin", 0, 0, 'a' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 } };
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's': a->secret = optarg; break;
        case 'k': a->keys = optarg; break;
        case 'i': a->kid = optarg; break;
        case 'u': a->user = optarg; break;
        case 'r':
            if (a->nrooms == AUTH_MAX_ROOMS) { fprintf(stderr, "dm-token: too many --room\n"); return 2; }
            a->rooms[a->nrooms++] = optarg;
            break;
        case 't':
            a->ttl = strtoll(optarg, &end, 10);
            if (*end || a->ttl < -86400LL * 365 || a->ttl > 86400LL * 3650) {
                fprintf(stderr, "dm-token: bad --ttl\n");
                return 2;
            }
            break;
        case 'a': a->admin = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!a->secret == !a->keys || !a->user || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (a->kid && !auth_kid_valid(a->kid, strlen(a->kid))) {
        fprintf(stderr, "dm-token: --kid must be 1..%d of A-Z a-z 0-9 . _ -\n", AUTH_MAX_KID);
        return 2;
    }
    return -1;
}

int main(int argc, char **argv)
{
    args a = { .ttl = 3600 };
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    char err[512];
    auth_keyset *set = a.keys ? keyfile_load(a.keys, 0, err, sizeof err)
                              : auth_keyset_from_secret_file(a.secret, 0, err, sizeof err);
    if (!set) {
        fprintf(stderr, "dm-token: %s\n", err);
        return 1;
    }
    const char *kid = a.kid;
    const auth_key *k = auth_keyset_get(set, a.keys ? kid : NULL);
    if (!k) {
        fprintf(stderr, "dm-token: %s has no key %s\n", a.keys, kid);
        auth_keyset_free(set);
        return 1;
    }
    if (a.keys && !kid)
        kid = auth_keyset_default_kid(set);
    dbuf out;
    dbuf_init(&out);
    rc = auth_mint(k, kid, a.user, a.rooms, a.nrooms, (int64_t)time(NULL) + a.ttl, a.admin, &out);
    auth_keyset_free(set);
    if (rc < 0) {
        fprintf(stderr, "dm-token: user and rooms must be 1..%d / 1..%d bytes\n",
                AUTH_MAX_USER, AUTH_MAX_ROOM);
        dbuf_free(&out);
        return 2;
    }
    printf("%s\n", out.data);
    dbuf_free(&out);
    return 0;
}
