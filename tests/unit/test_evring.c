/* test_evring.c — the room event ring (edge/evring.c): seq lookup inside
 * and outside the held range, growth across the wrap point keeps order,
 * clear releases the ring's references, slices are seq-ordered copies of
 * borrowed pointers. */
#include "../../edge/evring.h"
#include "t.h"

/* An event with this seq (an undecodable body with a seq hint: kind
 * EVT_UNKNOWN, which is all the ring looks at). */
static evt *mk(uint64_t seq)
{
    static const uint8_t junk[] = {0xff};
    return evt_new(junk, sizeof junk, seq);
}

static void test_get_and_bounds(void)
{
    evring r = {0};
    T_ASSERT(evring_get(&r, 1) == NULL);
    T_ASSERT(!evring_holds(&r, 1, 1));
    for (uint64_t s = 5; s < 5 + 20; s++)
        evring_push(&r, mk(s));
    T_EQ_U64(r.lo, 5);
    T_EQ_INT(r.n, 20);
    T_ASSERT(evring_get(&r, 4) == NULL);
    T_ASSERT(evring_get(&r, 25) == NULL);
    T_EQ_U64(evring_get(&r, 5)->seq, 5);
    T_EQ_U64(evring_get(&r, 24)->seq, 24);
    T_ASSERT(evring_holds(&r, 5, 24));
    T_ASSERT(!evring_holds(&r, 5, 25));
    T_ASSERT(!evring_holds(&r, 4, 6));
    evring_free(&r);
    T_ASSERT(r.v == NULL && r.n == 0 && r.cap == 0);
}

static void test_wrap_and_grow(void)
{
    evring r = {0};
    for (uint64_t s = 1; s <= 32; s++)   /* fill the first 32 slots */
        evring_push(&r, mk(s));
    for (int i = 0; i < 20; i++)         /* head moves to slot 20 */
        evring_pop(&r);
    for (uint64_t s = 33; s <= 52; s++)  /* wraps, then fills: 32 held */
        evring_push(&r, mk(s));
    T_EQ_INT(r.cap, 32);
    evring_push(&r, mk(53));             /* grows across the wrap point */
    T_EQ_INT(r.cap, 64);
    T_EQ_U64(r.lo, 21);
    T_EQ_INT(r.n, 33);
    for (uint64_t s = 21; s <= 53; s++)
        T_EQ_U64(evring_get(&r, s)->seq, s);
    size_t n;
    evt **sl = evring_slice(&r, 30, 40, &n);
    T_EQ_INT(n, 11);
    for (size_t i = 0; i < n; i++)
        T_EQ_U64(sl[i]->seq, 30 + i);
    free(sl);
    evring_free(&r);
}

static void test_references(void)
{
    evring r = {0};
    evt *keep = mk(1);
    evring_push(&r, evt_ref(keep));      /* the ring holds one reference */
    evring_push(&r, mk(2));
    T_EQ_INT(keep->refs, 2);
    evring_clear(&r);
    T_EQ_INT(r.n, 0);
    T_EQ_INT(keep->refs, 1);             /* the ring's reference dropped */
    evt_unref(keep);
    /* after clear the ring starts again at any seq */
    evring_push(&r, mk(100));
    T_EQ_U64(r.lo, 100);
    evring_free(&r);
}

int main(void)
{
    T_RUN(test_get_and_bounds);
    T_RUN(test_wrap_and_grow);
    T_RUN(test_references);
    return T_DONE();
}
