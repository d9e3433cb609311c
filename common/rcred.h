/* rcred.h — Redis credentials (--redis-user, --redis-password-file) and the
 * AUTH step every async link runs on each (re)connect before its first
 * command. The password is read from a file (never the command line), wiped
 * on free, and never logged: failure messages carry the user name and
 * Redis's error text only. */
#ifndef DM_RCRED_H
#define DM_RCRED_H
#include <stddef.h>

struct redisAsyncContext;
struct redisReply;

#define RCRED_MAX_USER 128
#define RCRED_MAX_PASS 4096

typedef struct rcred {
    char user[RCRED_MAX_USER + 1];   /* "": AUTH <password> (the default user) */
    char *pass;                      /* NULL: no AUTH at all */
    size_t pass_len;
} rcred;

/* Fills c from a user name (NULL or "": none) and a password file (NULL or
 * "": no password; the file's trailing CR/LF/spaces are stripped). A user
 * without a password is an error. Returns 0, or -1 with a reason in err
 * (never the password). c is zeroed first; rcred_free it in either case. */
int rcred_load(rcred *c, const char *user, const char *pass_file, char *err, size_t err_size);
/* Wipes and frees the password; c is empty again. */
void rcred_free(rcred *c);
/* 1 when links must AUTH. */
int rcred_enabled(const rcred *c);

/* Fills argv/argvlen with AUTH [user] password (pointers into c, valid
 * while c is) for links that format their own commands (rlink). Returns
 * argc (2 or 3), or 0 when c needs no AUTH. */
int rcred_auth_argv(const rcred *c, const char *argv[3], size_t argvlen[3]);
/* 1 when r is the +OK of an accepted AUTH. */
int rcred_reply_ok(const struct redisReply *r);

/* Called once the link is authenticated (or at once when c needs no AUTH),
 * from the hiredis callback stack; it may send commands on ac. */
typedef void rcred_then_fn(struct redisAsyncContext *ac, void *priv);

/* Sends AUTH [user] password on a freshly connected ac, then calls then(ac,
 * priv) when Redis accepts it. On a refusal it logs one ERROR line (tag,
 * what = the link's name, e.g. "seq" or "pubsub link", the user and Redis's
 * reply) and disconnects ac, so the link's disconnect callback reconnects
 * with its backoff. c must outlive ac. Returns 0, or -1 if the command could
 * not be queued (the caller disconnects). When the link goes away before
 * the reply, then is not called. */
int rcred_auth(struct redisAsyncContext *ac, const rcred *c, const char *tag, const char *what,
               rcred_then_fn *then, void *priv);

#endif
