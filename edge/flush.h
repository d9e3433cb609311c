/* flush.h — a flush wheel: items with pending work are put on a timer wheel
 * whose slots are `grid` ms wide, and one timer callback hands every item
 * that is due to the owner's due-callback, so one wake-up flushes many
 * rooms instead of one (and the loop holds one timer, not one per room).
 * Knows nothing of rooms: an item is a flush_node embedded in the owner's
 * struct. */
#ifndef DM_FLUSH_H
#define DM_FLUSH_H
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct event;

#define FLUSH_SLOTS 64   /* wheel slots (power of two) */

typedef struct flush_node {
    struct flush_node *next, **pprev;   /* pprev != NULL: on the wheel */
    uint64_t slot;                      /* due slot (ms / grid) */
} flush_node;

/* The node is due. It is already off the wheel; the callback may schedule
 * it again (into any slot) but must not cancel or free other nodes. */
typedef void (*flush_due_fn)(flush_node *n, void *ctx);
/* The current monotonic time in ms. */
typedef uint64_t (*flush_clock_fn)(void *ctx);

typedef struct flush_wheel {
    struct event *ev;                 /* the one timer */
    flush_node *slots[FLUSH_SLOTS];   /* lists of scheduled nodes */
    uint64_t grid;                    /* slot width in ms (>= 1) */
    uint64_t pos;                     /* lowest slot not yet fully flushed */
    uint64_t armed;                   /* slot ev fires for, or UINT64_MAX */
    size_t npending;                  /* nodes on the wheel */
    uint64_t passes;                  /* timer wake-ups (each flushes every due node) */
    flush_due_fn due;
    flush_clock_fn clock;
    void *ctx;                        /* passed to due and clock */
} flush_wheel;

/* Creates the wheel's timer on base; grid_ms <= 0 means 1. 0 ok, -1 error. */
int flush_init(flush_wheel *fw, struct event_base *base, long grid_ms,
               flush_clock_fn clock, flush_due_fn due, void *ctx);
/* Frees the timer; nodes must have been cancelled (or their owners freed). */
void flush_free(flush_wheel *fw);
/* Makes n due `delay_ms` after now_ms, rounded up to the grid (0: handed
 * out on the next loop turn). No-op if n is already scheduled. */
void flush_schedule(flush_wheel *fw, flush_node *n, uint64_t now_ms, uint64_t delay_ms);
/* Takes n off the wheel (no-op if it is not on it). */
void flush_cancel(flush_wheel *fw, flush_node *n);
static inline int flush_scheduled(const flush_node *n) { return n->pprev != NULL; }

#endif
