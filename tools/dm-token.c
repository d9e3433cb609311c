/* dm-token.c — mints a signed publisher/viewer/admin token (JWT HS256) for
 * the broadcaster and edge: prints it on stdout, followed by a newline.
 *   dm-token --secret-file F --user u1 [--room r1 ...] [--ttl 3600] [--admin]
 * Repeating --room scopes the token to several rooms. The secret is read
 * from the file (never from the command line, so it stays out of ps). */
#include "auth.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: dm-token --secret-file FILE --user ID [--room R]... [--ttl SECONDS] [--admin]\n"
               "  prints a JWT (HS256) with sub=ID, exp=now+ttl (default 3600),\n"
               "  room/rooms scope when --room is given, adm=true with --admin\n");
}

int main(int argc, char **argv)
{
    const char *secret = NULL, *user = NULL, *rooms[AUTH_MAX_ROOMS];
    int nrooms = 0, admin = 0;
    long long ttl = 3600;
    static const struct option lo[] = {
        { "secret-file", 1, 0, 's' }, { "user", 1, 0, 'u' }, { "room", 1, 0, 'r' },
        { "ttl", 1, 0, 't' }, { "admin", 0, 0, 'a' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 } };
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's': secret = optarg; break;
        case 'u': user = optarg; break;
        case 'r':
            if (nrooms == AUTH_MAX_ROOMS) { fprintf(stderr, "dm-token: too many --room\n"); return 2; }
            rooms[nrooms++] = optarg;
            break;
        case 't': {
            char *end;
            ttl = strtoll(optarg, &end, 10);
            if (*end || ttl < -86400LL * 365 || ttl > 86400LL * 3650) {
                fprintf(stderr, "dm-token: bad --ttl\n");
                return 2;
            }
            break;
        }
        case 'a': admin = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!secret || !user || optind != argc) {
        usage(stderr);
        return 2;
    }
    char err[256];
    auth_key *k = auth_key_load(secret, 0, err, sizeof err);
    if (!k) {
        fprintf(stderr, "dm-token: %s\n", err);
        return 1;
    }
    dbuf out;
    dbuf_init(&out);
    int rc = auth_mint(k, user, rooms, nrooms, (int64_t)time(NULL) + ttl, admin, &out);
    auth_key_free(k);
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
