/* catchup.h — a viewer's start in its room: ?history=N (the last N
 * delivered events), ?since=S&epoch=E (resume after S in epoch E), from the
 * room's ring when it still holds the start, else through XRANGE; a reset
 * frame (trimmed / epoch_changed) whenever the viewer cannot get everything
 * it asked for; then the viewer goes live. The decisions are pure functions
 * (catchup_plan_start, catchup_plan_reply) so they can be tested alone. */
#ifndef DM_CATCHUP_H
#define DM_CATCHUP_H
#include <stddef.h>
#include <stdint.h>
#include "sub.h"

struct room;
struct viewer;

/* Where a joiner starts: history `hist` before delivered+1, or since+1 when
 * has_since and its epoch is the room's. *epoch_reset = 1 when has_since
 * names another epoch (the viewer starts from history and gets a reset
 * "epoch_changed"). */
uint64_t catchup_plan_start(uint64_t delivered, uint64_t hist, int has_since, uint64_t since,
                            const char *since_epoch, const char *room_epoch, int *epoch_reset);

/* What to do with an XRANGE reply for a viewer at next_seq while the room has
 * delivered up to `delivered`: entries e[*from .. *to) are the ones to send
 * (seq >= next_seq, <= delivered). Returns 0 when e[*from] is next_seq
 * (send them), else 1: the stream no longer holds next_seq; *first is where
 * the viewer continues (the first entry, else the ring's first seq ring_lo
 * when ring_n > 0 and it is past next_seq, else delivered + 1) and *reset
 * says whether that skip needs a reset "trimmed" (a resume point, or a seq
 * in the middle of what the viewer is being sent; only the start of plain
 * history may shrink silently). */
int catchup_plan_reply(const xentry *e, size_t n, uint64_t next_seq, uint64_t start_seq,
                       int has_since, uint64_t delivered, uint64_t ring_lo, size_t ring_n,
                       size_t *from, size_t *to, uint64_t *first, int *reset);

/* Starts v (mode VM_CATCHUP) in its ready room r. */
void catchup_start(struct room *r, struct viewer *v);
/* Continues v's catch-up (after a stall, or after a reply). */
void catchup_continue(struct room *r, struct viewer *v);
/* The XRANGE reply of v's catch-up req (ok = 0: link failed, retried
 * later). */
void catchup_on_reply(struct room *r, struct viewer *v, int ok, const xentry *e, size_t n);
/* Retries stalled catch-ups of r (the command link is back). */
void catchup_retry(struct room *r);

#endif
