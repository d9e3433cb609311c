/* static.h — the viewer page's files (web/dist), served by the edge at "/",
 * "/rooms/{room}" and "/{file}". A directory is read once into memory at
 * start-up (no file I/O on the event loop; only names found then can ever be
 * served, so a path can never leave the directory). */
#ifndef DM_STATIC_H
#define DM_STATIC_H
#include <stddef.h>

#define STATIC_MAX_FILES 64
#define STATIC_MAX_NAME  64
#define STATIC_MAX_BYTES (8u << 20)   /* per file */

typedef struct static_file {
    char name[STATIC_MAX_NAME];   /* e.g. "viewer.js": a file name, no slash */
    const char *type;             /* Content-Type (static string) */
    char *data;                   /* owned by the static_dir */
    size_t len;
} static_file;

typedef struct static_dir {
    static_file files[STATIC_MAX_FILES];
    size_t n;
} static_dir;

/* Reads every regular file of dir whose name does not start with '.' (a flat
 * directory: subdirectories are skipped). Returns the number of files loaded,
 * or -1 with errno set when dir cannot be opened or read, or holds a file over
 * STATIC_MAX_BYTES or more than STATIC_MAX_FILES files (EFBIG / EMFILE); on
 * -1, d is left empty. d must be zeroed or freed before. */
int static_load(static_dir *d, const char *dir);

/* Frees every file; d is empty again. */
void static_free(static_dir *d);

/* The file a GET of path (the request path, without the query; n bytes) is
 * answered with: "/" and "/rooms/{room}" (room [A-Za-z0-9_-]{1,64}) give
 * index.html, "/{name}" the file of that name. NULL when there is none. The
 * pointer is valid until static_free. */
const static_file *static_route(const static_dir *d, const char *path, size_t n);

/* Content-Type for a file name, by its extension ("application/octet-stream"
 * when unknown). */
const char *static_type(const char *name);

#endif
