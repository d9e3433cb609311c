/* static.c — the viewer page's files, read once into memory; see static.h. */
#include "static.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dbuf.h"

static const struct { const char *ext, *type; } types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".wasm", "application/wasm"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

const char *static_type(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && !strcmp(name + n - e, types[i].ext))
            return types[i].type;
    }
    return "application/octet-stream";
}

/* Loads dir/name into the next slot; 0, 1 (skipped: not a regular file), or
 * -1 with errno set. */
static int load_one(static_dir *d, const char *dir, const char *name)
{
    char path[4096];
    struct stat sb;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path || stat(path, &sb))
        return -1;
    if (!S_ISREG(sb.st_mode))
        return 1;
    if (strlen(name) >= STATIC_MAX_NAME || sb.st_size > (off_t)STATIC_MAX_BYTES) {
        errno = EFBIG;
        return -1;
    }
    if (d->n == STATIC_MAX_FILES) {
        errno = EMFILE;
        return -1;
    }
    dbuf b;
    dbuf_init(&b);
    if (dbuf_append_file(&b, path)) {
        dbuf_free(&b);
        return -1;
    }
    static_file *f = &d->files[d->n++];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->type = static_type(name);
    f->data = dbuf_steal(&b, &f->len);
    return 0;
}

int static_load(static_dir *d, const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    struct dirent *de;
    int rc = 0;
    errno = 0;
    while (!rc && (de = readdir(dp)))
        if (de->d_name[0] != '.' && load_one(d, dir, de->d_name) < 0)
            rc = -1;
    int saved = errno;
    closedir(dp);
    if (rc || saved) {
        static_free(d);
        errno = saved ? saved : EIO;
        return -1;
    }
    return (int)d->n;
}

void static_free(static_dir *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->files[i].data);
    d->n = 0;
}

static const static_file *find(const static_dir *d, const char *name, size_t n)
{
    for (size_t i = 0; i < d->n; i++)
        if (strlen(d->files[i].name) == n && !memcmp(d->files[i].name, name, n))
            return &d->files[i];
    return NULL;
}

/* 1 if s[0..n) is a room name: [A-Za-z0-9_-]{1,64}. */
static int room_name(const char *s, size_t n)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    size_t i = 0;
    while (i < n && s[i] && strchr(ok, s[i]))
        i++;
    return n >= 1 && n <= 64 && i == n;
}

const static_file *static_route(const static_dir *d, const char *path, size_t n)
{
    static const char rooms[] = "/rooms/";
    const size_t rl = sizeof rooms - 1;
    if (n == 1 && path[0] == '/')
        return find(d, "index.html", 10);
    if (n > rl && !memcmp(path, rooms, rl))
        return room_name(path + rl, n - rl) ? find(d, "index.html", 10) : NULL;
    if (n < 2 || path[0] != '/' || memchr(path + 1, '/', n - 1) || path[1] == '.')
        return NULL;
    return find(d, path + 1, n - 1);
}
