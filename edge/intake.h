/* intake.h — the stream side of a room: the subscription lifecycle (meta
 * read, SUBSCRIBE, UNSUBSCRIBE when empty, resubscribe after a reconnect),
 * the join point, in-order event intake with gap repair (held events merged
 * with an XRANGE re-read, duplicates dropped), trimmed streams and epoch
 * changes (room-wide resets). Driven by the worker from sub_callbacks; asks
 * Redis through w->redis (sub_ops). */
#ifndef DM_INTAKE_H
#define DM_INTAKE_H
#include <stddef.h>
#include <stdint.h>
#include "sub.h"

struct worker;
struct room;
struct viewer;
struct req;

#define INTAKE_REPAIR_COUNT 1000   /* XRANGE COUNT of one repair read */
/* Held events are only an optimisation over re-reading the stream: past
 * INTAKE_STASH_MAX (a repair that cannot run) they are dropped and the
 * repair's XRANGE brings them back. */
#define INTAKE_STASH_MAX 20000

/* Adds viewer v to room `name` (created on first use: meta read, then
 * SUBSCRIBE). When the room's state is known the viewer's start (history /
 * resume) runs now, else when the room becomes ready. */
void intake_join(struct worker *w, const char *name, struct viewer *v);
/* Unsubscribes rooms left without viewers (destroyed at once when the
 * pub/sub link is down). Called from the reaper. */
void intake_reap_empty(struct worker *w);

/* Pub/sub link events. */
void intake_on_subscribed(struct worker *w, const char *name, size_t len);
void intake_on_unsubscribed(struct worker *w, const char *name, size_t len);
/* A publication "<epoch>:<Event bytes>" on the room's channel. */
void intake_on_message(struct worker *w, const char *name, size_t nlen,
                       const char *payload, size_t plen);
/* The pub/sub link went down (rooms keep their state) / came back up
 * (every room with viewers is subscribed again and re-checked). */
void intake_on_sub_down(struct worker *w);
void intake_on_sub_up(struct worker *w);

/* Replies (q is freed here). ok = 0 when the link failed. A REQ_CATCHUP
 * xrange reply is passed on to catchup.c. */
void intake_on_meta(struct req *q, int ok, const char *epoch, size_t elen, uint64_t seq);
void intake_on_xrange(struct req *q, int ok, const xentry *e, size_t n);

/* Retries stalled meta reads, repairs and catch-ups (once a second from the
 * sweep). Visits the rooms only when something stalled since the last
 * visit (w->retry_pending), so idle rooms cost nothing here. */
void intake_retry(struct worker *w);
/* The command link is (back) up: retries whatever waits. */
void intake_on_cmd_up(struct worker *w);

#endif
