/* flush.c — the worker's flush wheel: FLUSH_SLOTS lists of rooms keyed by
 * due slot (now_ms / grid), one evtimer armed for the earliest due slot;
 * when it fires every room due by now is flushed in one pass. */
#include "flush.h"
#include <event2/event.h>
#include "edge_worker.h"
#include "room.h"

static uint64_t grid(const worker *w)
{
    return w->conf->flush_grid_ms > 0 ? (uint64_t)w->conf->flush_grid_ms : 1;
}

static void on_flush(evutil_socket_t fd, short what, void *arg);

int flush_init(worker *w)
{
    w->flush_ev = evtimer_new(w->base, on_flush, w);
    w->flush_armed = UINT64_MAX;
    w->wheel_pos = worker_now(w) / grid(w);
    return w->flush_ev ? 0 : -1;
}

void flush_free(worker *w)
{
    if (w->flush_ev)
        event_free(w->flush_ev);
    w->flush_ev = NULL;
}

/* Arms the worker timer for `slot` unless it already fires at or before. */
static void arm(worker *w, uint64_t slot)
{
    if (w->flush_armed <= slot)
        return;
    uint64_t g = grid(w), now = w->now_ms, at = slot * g;
    uint64_t d = at > now ? at - now : 0;
    struct timeval tv = {(time_t)(d / 1000), (suseconds_t)(d % 1000) * 1000};
    evtimer_add(w->flush_ev, &tv);
    w->flush_armed = slot;
}

static void link_room(worker *w, room *r)
{
    room **head = &w->wheel[r->due_slot & (FLUSH_SLOTS - 1)];
    r->due_next = *head;
    if (*head)
        (*head)->due_pprev = &r->due_next;
    r->due_pprev = head;
    *head = r;
}

void flush_schedule(room *r, uint64_t delay_ms)
{
    worker *w = r->w;
    if (r->due_pprev)
        return;
    uint64_t now = w->now_ms, g = grid(w);
    /* immediate: the current slot (due now); else the first grid point at
     * or after now + delay */
    r->due_slot = delay_ms ? (now + delay_ms + g - 1) / g : now / g;
    if (r->due_slot < w->wheel_pos)
        r->due_slot = w->wheel_pos;
    link_room(w, r);
    w->npending++;
    arm(w, r->due_slot);
}

void flush_cancel(room *r)
{
    if (!r->due_pprev)
        return;
    *r->due_pprev = r->due_next;
    if (r->due_next)
        r->due_next->due_pprev = r->due_pprev;
    r->due_next = NULL;
    r->due_pprev = NULL;
    r->w->npending--;
}

/* Flushes the rooms of one wheel list that are due by `cur`; rooms due in a
 * later turn of the wheel stay. */
static void run_slot(worker *w, size_t idx, uint64_t cur)
{
    room *r = w->wheel[idx];
    while (r) {
        room *nx = r->due_next;
        if (r->due_slot <= cur) {
            flush_cancel(r);
            room_on_due(r);
            /* room_on_due never frees rooms or touches other rooms' links,
             * but it may re-schedule r itself (into any list) */
        }
        r = nx;
    }
}

/* The first slot from wheel_pos on (one turn ahead) that has a room due
 * in it, or UINT64_MAX (only rooms due in a later turn). */
static uint64_t next_due(worker *w)
{
    for (uint64_t s = w->wheel_pos; s < w->wheel_pos + FLUSH_SLOTS; s++)
        for (room *r = w->wheel[s & (FLUSH_SLOTS - 1)]; r; r = r->due_next)
            if (r->due_slot <= s)
                return s;
    return UINT64_MAX;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    worker *w = arg;
    (void)fd;
    (void)what;
    w->flush_armed = UINT64_MAX;
    uint64_t cur = worker_now(w) / grid(w);
    uint64_t from = w->wheel_pos, n = cur - from + 1;
    if (cur < from)
        n = 0;
    if (n > FLUSH_SLOTS)
        n = FLUSH_SLOTS;   /* a full turn visits every list once */
    for (uint64_t i = 0; i < n; i++)
        run_slot(w, (size_t)((from + i) & (FLUSH_SLOTS - 1)), cur);
    if (cur > w->wheel_pos)
        w->wheel_pos = cur;   /* slot cur is visited again: rooms made due now */
    w->flush_passes++;
    if (w->npending) {
        uint64_t s = next_due(w);
        arm(w, s == UINT64_MAX ? w->wheel_pos + FLUSH_SLOTS - 1 : s);
    }
}
