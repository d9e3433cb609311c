/* err.h — the one table of return codes shared by the project's decoders and
 * modules (docs/ARCHITECTURE.md "Errors"). Decoders return the bytes consumed
 * (> 0), DM_PARTIAL or DM_INVALID; other functions return DM_OK or a negative
 * code. A module whose callers must tell failures apart (auth.h: enum
 * auth_err, each mapped to an HTTP status and JSON code) defines its own
 * negative codes in its header and the one function that maps them. */
#ifndef DM_ERR_H
#define DM_ERR_H

enum dm_err {
    DM_OK = 0,
    DM_INVALID = -1,   /* decoders: invalid input; modules: the call failed
                        * (the reason is logged or returned beside it) */
    DM_PARTIAL = -2,   /* decoders only: incomplete input, call again with more */
};

#endif
