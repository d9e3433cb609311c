/* flush.c — the flush wheel: FLUSH_SLOTS lists of nodes keyed by due slot
 * (now_ms / grid), one evtimer armed for the earliest due slot; when it
 * fires every node due by now is handed to the due-callback in one pass. */
#include "flush.h"
#include <assert.h>
#include <event2/event.h>

static void on_flush(evutil_socket_t fd, short what, void *arg);

int flush_init(flush_wheel *fw, struct event_base *base, long grid_ms,
               flush_clock_fn clock, flush_due_fn due, void *ctx)
{
    for (size_t i = 0; i < FLUSH_SLOTS; i++)
        fw->slots[i] = NULL;
    fw->grid = grid_ms > 0 ? (uint64_t)grid_ms : 1;
    fw->clock = clock;
    fw->due = due;
    fw->ctx = ctx;
    fw->npending = 0;
    fw->passes = 0;
    fw->ev = evtimer_new(base, on_flush, fw);
    fw->armed = UINT64_MAX;
    fw->pos = clock(ctx) / fw->grid;
    return fw->ev ? 0 : -1;
}

void flush_free(flush_wheel *fw)
{
    if (fw->ev)
        event_free(fw->ev);
    fw->ev = NULL;
}

/* Arms the timer for `slot` unless it already fires at or before. */
static void arm(flush_wheel *fw, uint64_t slot, uint64_t now)
{
    if (fw->armed <= slot)
        return;
    uint64_t at = slot * fw->grid;
    uint64_t d = at > now ? at - now : 0;
    struct timeval tv = {(time_t)(d / 1000), (suseconds_t)(d % 1000) * 1000};
    evtimer_add(fw->ev, &tv);
    fw->armed = slot;
}

static void link_node(flush_wheel *fw, flush_node *n)
{
    flush_node **head = &fw->slots[n->slot & (FLUSH_SLOTS - 1)];
    n->next = *head;
    if (*head)
        (*head)->pprev = &n->next;
    n->pprev = head;
    *head = n;
}

void flush_schedule(flush_wheel *fw, flush_node *n, uint64_t now, uint64_t delay_ms)
{
    if (n->pprev)
        return;
    uint64_t g = fw->grid;
    /* immediate: the current slot (due now); else the first grid point at
     * or after now + delay */
    n->slot = delay_ms ? (now + delay_ms + g - 1) / g : now / g;
    if (n->slot < fw->pos)
        n->slot = fw->pos;
    link_node(fw, n);
    fw->npending++;
    arm(fw, n->slot, now);
}

void flush_cancel(flush_wheel *fw, flush_node *n)
{
    if (!n->pprev)
        return;
    assert(fw->npending > 0);
    *n->pprev = n->next;
    if (n->next)
        n->next->pprev = n->pprev;
    n->next = NULL;
    n->pprev = NULL;
    fw->npending--;
}

/* Hands out the nodes of one list that are due by `cur`; nodes due in a
 * later turn of the wheel stay. */
static void run_slot(flush_wheel *fw, size_t idx, uint64_t cur)
{
    flush_node *n = fw->slots[idx];
    while (n) {
        flush_node *nx = n->next;
        if (n->slot <= cur) {
            flush_cancel(fw, n);
            fw->due(n, fw->ctx);
            /* the callback never frees nodes or touches other nodes' links,
             * but it may re-schedule n itself (into any list) */
        }
        n = nx;
    }
}

/* The first slot from pos on (one turn ahead) that has a node due in it,
 * or UINT64_MAX (only nodes due in a later turn). */
static uint64_t next_due(const flush_wheel *fw)
{
    for (uint64_t s = fw->pos; s < fw->pos + FLUSH_SLOTS; s++)
        for (const flush_node *n = fw->slots[s & (FLUSH_SLOTS - 1)]; n; n = n->next)
            if (n->slot <= s)
                return s;
    return UINT64_MAX;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    flush_wheel *fw = arg;
    (void)fd;
    (void)what;
    fw->armed = UINT64_MAX;
    uint64_t cur = fw->clock(fw->ctx) / fw->grid;
    uint64_t from = fw->pos, n = cur - from + 1;
    if (cur < from)
        n = 0;
    if (n > FLUSH_SLOTS)
        n = FLUSH_SLOTS;   /* a full turn visits every list once */
    for (uint64_t i = 0; i < n; i++)
        run_slot(fw, (size_t)((from + i) & (FLUSH_SLOTS - 1)), cur);
    if (cur > fw->pos)
        fw->pos = cur;   /* slot cur is visited again: nodes made due now */
    fw->passes++;
    if (fw->npending) {
        uint64_t s = next_due(fw);
        arm(fw, s == UINT64_MAX ? fw->pos + FLUSH_SLOTS - 1 : s, fw->clock(fw->ctx));
    }
}
