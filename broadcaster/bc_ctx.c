/* bc_ctx.c — the handlers' shared context: its scratch space. */
#include "bc_ctx.h"

void bc_ctx_init(bc_ctx *ctx)
{
    bc_event_init(&ctx->ev);
    dbuf_init(&ctx->reply);
}

void bc_ctx_free(bc_ctx *ctx)
{
    bc_event_free(&ctx->ev);
    dbuf_free(&ctx->reply);
}
