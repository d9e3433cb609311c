/* test_static.c — the edge's page files: loading a directory (dotfiles and
 * subdirectories skipped, limits), routes ("/", "/rooms/{room}", "/{file}",
 * nothing outside the loaded names), content types. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../edge/static.h"
#include "t.h"

static char dir[64];

static void put(const char *name, const char *body)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    fputs(body, f);
    fclose(f);
}

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof dir, "/tmp/dm-static-XXXXXX");
    if (!mkdtemp(dir))
        abort();
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd))
        abort();
}

#define ROUTE(d, s) static_route((d), (s), strlen(s))

static void test_load_and_route(void)
{
    mkdir_tmp();
    put("index.html", "<!doctype html><title>x</title>");
    put("viewer.js", "export {}");
    put("zstd.wasm", "\0asm");
    put(".built", "");
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0700);
    static static_dir d;
    T_EQ_INT(static_load(&d, dir), 3);
    const static_file *f = ROUTE(&d, "/");
    T_ASSERT(f && !strcmp(f->name, "index.html"));
    T_EQ_STR(f->type, "text/html; charset=utf-8");
    T_EQ_INT(f->len, strlen("<!doctype html><title>x</title>"));
    T_EQ_MEM(f->data, "<!doctype", 9);
    T_ASSERT(ROUTE(&d, "/rooms/r1") == f);
    T_ASSERT(ROUTE(&d, "/rooms/A-z_09") == f);
    T_ASSERT(!ROUTE(&d, "/rooms/"));
    T_ASSERT(!ROUTE(&d, "/rooms/a.b"));
    T_ASSERT(!ROUTE(&d, "/rooms/r1/"));
    T_ASSERT(!ROUTE(&d, "/rooms/12345678901234567890123456789012345678901234567890123456789012345"));
    T_ASSERT(ROUTE(&d, "/rooms/1234567890123456789012345678901234567890123456789012345678901234") == f);
    f = ROUTE(&d, "/viewer.js");
    T_ASSERT(f);
    T_EQ_STR(f->type, "text/javascript; charset=utf-8");
    T_EQ_STR(ROUTE(&d, "/zstd.wasm")->type, "application/wasm");
    T_ASSERT(!ROUTE(&d, "/.built"));
    T_ASSERT(!ROUTE(&d, "/sub"));
    T_ASSERT(!ROUTE(&d, "/../index.html"));
    T_ASSERT(!ROUTE(&d, "/x/viewer.js"));
    T_ASSERT(!ROUTE(&d, "/viewer.j"));
    T_ASSERT(!ROUTE(&d, "/viewer.jsx"));
    T_ASSERT(!ROUTE(&d, ""));
    /* the path is not NUL-terminated in a request buffer: only n bytes count */
    T_ASSERT(static_route(&d, "/viewer.js?x=1", 10) == ROUTE(&d, "/viewer.js"));
    static_free(&d);
    T_EQ_INT(d.n, 0);
    T_ASSERT(!ROUTE(&d, "/"));
    rm_tmp();
}

static void test_errors(void)
{
    static static_dir d;
    errno = 0;
    T_EQ_INT(static_load(&d, "/nonexistent/dm-static"), -1);
    T_EQ_INT(errno, ENOENT);
    mkdir_tmp();
    put("index.html", "x");
    char p[128];
    snprintf(p, sizeof p, "%s/big.bin", dir);
    int fd = open(p, O_CREAT | O_WRONLY, 0600);
    T_ASSERT(fd >= 0 && ftruncate(fd, STATIC_MAX_BYTES + 1) == 0);
    close(fd);
    T_EQ_INT(static_load(&d, dir), -1);
    T_EQ_INT(errno, EFBIG);
    T_EQ_INT(d.n, 0);
    unlink(p);
    for (int i = 0; i < STATIC_MAX_FILES; i++) {
        char n[32];
        snprintf(n, sizeof n, "f%d.txt", i);
        put(n, "y");
    }
    T_EQ_INT(static_load(&d, dir), -1);
    T_EQ_INT(errno, EMFILE);
    T_EQ_INT(d.n, 0);
    rm_tmp();
}

static void test_types(void)
{
    T_EQ_STR(static_type("a.css"), "text/css; charset=utf-8");
    T_EQ_STR(static_type("viewer.js.map"), "application/json");
    T_EQ_STR(static_type("LEGAL.txt"), "text/plain; charset=utf-8");
    T_EQ_STR(static_type("noext"), "application/octet-stream");
    T_EQ_STR(static_type(".js"), "application/octet-stream");
}

int main(void)
{
    T_RUN(test_load_and_route);
    T_RUN(test_errors);
    T_RUN(test_types);
    return T_DONE();
}
