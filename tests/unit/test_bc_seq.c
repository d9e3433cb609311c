/* test_bc_seq.c — bc_seq_parse_reply: the sequencer script's flat reply
 * (four values per event) turned into per-event results, on redisReply trees
 * built by hand (hiredis' reply objects are plain structs). */
#include "t.h"
#include "../../broadcaster/bc_seq.h"
#include <hiredis/hiredis.h>

#define MAXV 64

typedef struct tree {
    redisReply top, v[MAXV];
    redisReply *el[MAXV];
    int n;
} tree;

static void t_init(tree *t)
{
    memset(t, 0, sizeof *t);
    t->top.type = REDIS_REPLY_ARRAY;
    t->top.element = t->el;
}

static redisReply *t_next(tree *t, int type)
{
    redisReply *r = &t->v[t->n];
    t->el[t->n++] = r;
    t->top.elements = (size_t)t->n;
    r->type = type;
    return r;
}

static void t_str(tree *t, const char *s)
{
    redisReply *r = t_next(t, REDIS_REPLY_STRING);
    r->str = (char *)s;
    r->len = strlen(s);
}

static void t_int(tree *t, long long v)
{
    t_next(t, REDIS_REPLY_INTEGER)->integer = v;
}

/* one event's four values */
static void t_event(tree *t, const char *status, long long n, const char *epoch, long long ts)
{
    t_str(t, status);
    t_int(t, n);
    t_str(t, epoch);
    t_int(t, ts);
}

static void test_ok_and_dup(void)
{
    tree t;
    bc_seq_result r[2];
    t_init(&t);
    t_event(&t, "ok", 42, "0123456789abcdef", 1700000000123LL);
    t_event(&t, "dup", 7, "fedcba9876543210", 1699999999000LL);
    T_EQ_INT(bc_seq_parse_reply(&t.top, 2, r), 0);
    T_EQ_INT(r[0].status, BC_SEQ_OK);
    T_EQ_U64(r[0].seq, 42);
    T_EQ_STR(r[0].epoch, "0123456789abcdef");
    T_EQ_INT(r[0].ts_ms, 1700000000123LL);
    T_EQ_INT(r[1].status, BC_SEQ_DUP);
    T_EQ_U64(r[1].seq, 7);
    T_EQ_STR(r[1].epoch, "fedcba9876543210");
    T_EQ_INT(r[1].ts_ms, 1699999999000LL);
}

static void test_refusals(void)
{
    tree t;
    bc_seq_result r[3];
    t_init(&t);
    t_event(&t, "limited", 1500, "", 0);
    t_event(&t, "muted", -1, "", 0);
    t_event(&t, "banned", 250, "", 0);
    T_EQ_INT(bc_seq_parse_reply(&t.top, 3, r), 0);
    T_EQ_INT(r[0].status, BC_SEQ_LIMITED);
    T_EQ_INT(r[0].ms, 1500);
    T_EQ_INT(r[1].status, BC_SEQ_MUTED);
    T_EQ_INT(r[1].ms, -1);
    T_EQ_INT(r[2].status, BC_SEQ_BANNED);
    T_EQ_INT(r[2].ms, 250);
    T_EQ_U64(r[2].seq, 0);
}

/* a bad entry or an unknown status costs only its own event: the others
 * are delivered */
static void test_malformed_entry(void)
{
    tree t;
    bc_seq_result r[6];
    t_init(&t);
    t_event(&t, "ok", 1, "0123456789abcdef", 5);
    t_str(&t, "ok");                         /* seq as a string */
    t_str(&t, "2");
    t_str(&t, "0123456789abcdef");
    t_int(&t, 5);
    t_event(&t, "ok", 0, "0123456789abcdef", 5);                 /* seq 0 */
    t_event(&t, "ok", 3, "0123456789abcdef0", 5);                /* 17-char epoch */
    t_event(&t, "okay", 1, "0123456789abcdef", 5);               /* unknown status */
    t_event(&t, "", 1, "0123456789abcdef", 5);
    T_EQ_INT(bc_seq_parse_reply(&t.top, 6, r), 5);
    T_EQ_INT(r[0].status, BC_SEQ_OK);
    T_EQ_U64(r[0].seq, 1);
    T_EQ_INT(r[1].status, BC_SEQ_UNAVAILABLE);
    T_EQ_INT(r[2].status, BC_SEQ_UNAVAILABLE);
    T_EQ_INT(r[3].status, BC_SEQ_UNAVAILABLE);
    T_EQ_U64(r[3].seq, 0);
    T_EQ_INT(r[4].status, BC_SEQ_UNAVAILABLE);
    T_EQ_INT(r[5].status, BC_SEQ_UNAVAILABLE);
}

static void test_nil_and_nested_values(void)
{
    tree t;
    bc_seq_result r[1];
    redisReply inner[4];
    redisReply *ip[4] = { &inner[0], &inner[1], &inner[2], &inner[3] };
    t_init(&t);
    t_next(&t, REDIS_REPLY_NIL);
    t_int(&t, 1);
    t_str(&t, "0123456789abcdef");
    t_int(&t, 5);
    T_EQ_INT(bc_seq_parse_reply(&t.top, 1, r), 1);
    T_EQ_INT(r[0].status, BC_SEQ_UNAVAILABLE);
    /* the old nested form {{status, seq, epoch, ts}} is not accepted */
    t_init(&t);
    redisReply *e = t_next(&t, REDIS_REPLY_ARRAY);
    memset(inner, 0, sizeof inner);
    e->elements = 4;
    e->element = ip;
    T_EQ_INT(bc_seq_parse_reply(&t.top, 1, r), -1);
}

static void test_wrong_count(void)
{
    tree t;
    bc_seq_result r[2];
    r[0].status = r[1].status = 99;
    t_init(&t);
    t_event(&t, "ok", 1, "0123456789abcdef", 5);
    T_EQ_INT(bc_seq_parse_reply(&t.top, 2, r), -1);      /* 4 values for 2 events */
    t_int(&t, 9);
    T_EQ_INT(bc_seq_parse_reply(&t.top, 1, r), -1);      /* 5 values for 1 event */
    T_EQ_INT(r[0].status, 99);                            /* untouched */
    t_init(&t);
    T_EQ_INT(bc_seq_parse_reply(&t.top, 0, r), 0);       /* empty call, empty reply */
}

static void test_not_an_array(void)
{
    bc_seq_result r[1];
    redisReply e;
    memset(&e, 0, sizeof e);
    e.type = REDIS_REPLY_ERROR;
    e.str = (char *)"ERR boom";
    e.len = 8;
    T_EQ_INT(bc_seq_parse_reply(&e, 1, r), -1);
    e.type = REDIS_REPLY_INTEGER;
    T_EQ_INT(bc_seq_parse_reply(&e, 1, r), -1);
}

int main(void)
{
    T_RUN(test_ok_and_dup);
    T_RUN(test_refusals);
    T_RUN(test_malformed_entry);
    T_RUN(test_nil_and_nested_values);
    T_RUN(test_wrong_count);
    T_RUN(test_not_an_array);
    return T_DONE();
}
