/* audit.h — the admin audit log: one entry per admin action (who, what, on
 * which room/user, with which arguments, when, from which peer) appended to
 * a capped Redis stream, and that stream read back as JSON (GET /v1/audit).
 * This module builds the commands and converts the replies; the caller
 * sends them on its own Redis link. Stream fields and JSON: docs/API.md
 * "Audit log". */
#ifndef DM_AUDIT_H
#define DM_AUDIT_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"

struct redisReply;

#define AUDIT_MAXLEN_DEFAULT 10000   /* entries kept (XADD MAXLEN, exact: admin actions are rare) */
#define AUDIT_COUNT_DEFAULT 100
#define AUDIT_COUNT_MAX 1000
#define AUDIT_ARGV_MAX 24

typedef struct audit_entry {
    const char *who;        /* token subject, or "loopback" (required) */
    const char *kid;        /* kid of the admin token; NULL or "": none */
    const char *action;     /* "mute", "unmute", "ban", ... (required) */
    const char *room;       /* NULL: not a room action */
    size_t room_len;
    const char *target;     /* user acted on; NULL: none */
    const char *args;       /* a JSON object of the arguments ({"ttl_s":60}); NULL: none */
    const char *peer;       /* the client's address "ip:port" (required) */
    int64_t ts_ms;          /* when (ms since the epoch) */
} audit_entry;

/* A built command: argv[i] of argvlen[i] bytes, for redisAsyncCommandArgv.
 * The pointers point into the entry's strings and into cmd itself: valid
 * while both are. */
typedef struct audit_cmd {
    int argc;
    const char *argv[AUDIT_ARGV_MAX];
    size_t argvlen[AUDIT_ARGV_MAX];
    char num[3][24];
} audit_cmd;

/* XADD <KEY_AUDIT> MAXLEN maxlen * ts <ms> who <who> act <action>
 * [kid <kid>] [room <room>] [target <user>] [args <json>] peer <peer>.
 * maxlen < 1: AUDIT_MAXLEN_DEFAULT. */
void audit_xadd(const audit_entry *e, long maxlen, audit_cmd *cmd);

/* XREVRANGE <KEY_AUDIT> + - COUNT count (newest first); count is clamped to
 * 1..AUDIT_COUNT_MAX. */
void audit_xrevrange(int count, audit_cmd *cmd);

/* Appends {"entries":[{"id":"<stream id>","ts_ms":N,"who":...,"action":...,
 * "kid","room","target" (when present),"args":{...},"peer":...}, ...]} for
 * an XREVRANGE reply (entries in the reply's order). Unknown fields are
 * skipped; an args value that is not a JSON object is output as a string.
 * Returns 0, or -1 if r is not an array of [id, [field, value, ...]] (out
 * then holds nothing new). */
int audit_reply_json(const struct redisReply *r, dbuf *out);

#endif
