/* keys.h — the one place where Redis key and channel names are built.
 * Every key of a room carries the room as a hash tag "{R}", so all keys of a
 * room map to one Redis Cluster slot (a sequencer call touches one slot per
 * room). Layout and types: docs/ARCHITECTURE.md "Redis key layout".
 * The Lua sequencer (broadcaster/seq.lua, limits.lua) builds the same names;
 * tests/unit/test_keys.c pins both to this header.
 *
 * Each KEY_* macro expands to a format string and its arguments for
 * snprintf/dbuf_printf; a room is passed as (len, ptr) so names that are not
 * NUL-terminated work too. Buffers of KEY_MAX bytes always suffice for
 * validated rooms (<= 64) and user ids (<= 64) and client_msg_ids (<= 64). */
#ifndef DM_KEYS_H
#define DM_KEYS_H

#define KEY_PREFIX "dm:"
#define KEY_MAX    256

/* dm:{R}:meta   hash: epoch, seq */
#define KEY_META_FMT          "dm:{%.*s}:meta"
/* dm:{R}:s      stream: entry <seq>-0, field e = Event bytes */
#define KEY_STREAM_FMT        "dm:{%.*s}:s"
/* dm:{R}:n      pub/sub channel: "<epoch>:<Event bytes>" */
#define KEY_CHANNEL_FMT       "dm:{%.*s}:n"
/* dm:{R}:dd:<user>:<client_msg_id>  string, TTL = dedupe window */
#define KEY_DEDUPE_FMT        "dm:{%.*s}:dd:%s:%s"
/* dm:{R}:mute:<user>  string, optional TTL */
#define KEY_MUTE_FMT          "dm:{%.*s}:mute:%s"
/* dm:{R}:limits  hash: per-room bucket overrides (slow mode) */
#define KEY_LIMITS_FMT        "dm:{%.*s}:limits"
/* dm:{R}:rl:<kind>:<user>  hash: token bucket per user per room */
#define KEY_ROOM_BUCKET_FMT   "dm:{%.*s}:rl:%c:%s"
/* Global keys (not per room): each carries the user as its own hash tag, so
 * in a cluster they live in the user's slot, not in a room's. */
/* dm:ban:{<user>}  string, optional TTL */
#define KEY_BAN_FMT           "dm:ban:{%s}"
/* dm:rl:<kind>:{<user>}  hash: the user's global bucket */
#define KEY_USER_BUCKET_FMT   "dm:rl:%c:{%s}"

/* dm:audit  stream: one entry per admin action (common/audit.h), capped by
 * XADD MAXLEN; a single global key (its own slot in a cluster) */
#define KEY_AUDIT             "dm:audit"

/* The channel prefix/suffix, for parsing "dm:{R}:n" back to R. */
#define KEY_CHANNEL_PREFIX    "dm:{"
#define KEY_CHANNEL_SUFFIX    "}:n"

#endif
