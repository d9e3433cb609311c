/* bc_ctx.h — what every request handler of one broadcaster process shares:
 * the sequencer link, the token key, the body limits and filter, the rate
 * specs, and scratch space reused by one request at a time (one thread).
 * main.c fills it; bc_route passes it to the handlers as their ctx. */
#ifndef BC_CTX_H
#define BC_CTX_H
#include "auth.h"
#include "bc_decode.h"
#include "bc_seq.h"
#include "dbuf.h"

typedef struct bc_ctx {
    bc_seq *seq;
    struct auth_key *auth;      /* NULL: no tokens required (admin API: loopback only) */
    bc_limits lim;
    char rate_spec[3][64];      /* per bc_kind: "<rcap> <rwin_ms> <gcap> <gwin_ms>" */
    /* scratch, valid during one handler call */
    auth_claims claims;
    bc_event ev;
    dbuf reply;
} bc_ctx;

/* Sets up the scratch of ctx (the rest is the caller's); bc_ctx_free frees it. */
void bc_ctx_init(bc_ctx *ctx);
void bc_ctx_free(bc_ctx *ctx);

#endif
