/* bc_decode.h — decoding and validation of ingest request bodies (JSON via
 * jansson, or protobuf CommentRequest/GiftRequest/LikeRequest) into a packed
 * danmaku.Event without seq/ts_ms, ready for the sequencer. Pure: no I/O.
 * Limits are documented in docs/API.md. */
#ifndef BC_DECODE_H
#define BC_DECODE_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"

enum bc_kind { BC_COMMENT = 0, BC_GIFT = 1, BC_LIKE = 2 };
enum bc_ctype { BC_CT_JSON = 0, BC_CT_PB = 1 };

#define BC_ROOM_MAX 64          /* room name bytes */
#define BC_USER_MAX 64          /* user_id bytes */
#define BC_CMID_MAX 64          /* client_msg_id bytes */
#define BC_NICK_MAX_CPS 64      /* nick code points */
#define BC_GIFT_ID_MAX 64       /* gift_id bytes */
#define BC_GIFT_NAME_MAX_CPS 64 /* gift_name code points */
#define BC_GIFT_COUNT_MAX 10000
#define BC_LIKE_COUNT_MAX 1000
#define BC_UNIT_VALUE_MAX 1000000000000ULL   /* 10^12 */
#define BC_COLOR_MAX 0xFFFFFF
#define BC_SIZE_MIN 1
#define BC_SIZE_MAX 100

#define BC_FLAG_MASKED  (1u << 0)   /* the text was masked by the keyword filter */
#define BC_FLAG_KEYWORD (1u << 1)   /* a flag-action keyword matched */
#define BC_FLAG_CONTACT (1u << 2)   /* contact info detected (risk "contact") */

/* A text filter's verdict on one comment text. */
typedef struct bc_verdict {
    int reject;                 /* 0, or 1 = blocked_word, 2 = contact_blocked */
    unsigned flags;             /* BC_FLAG_* */
    const char *text;           /* the text to store (masked or the input) */
    size_t len;                 /* valid until the filter's next call */
} bc_verdict;
/* Fills v for text[0..len) (valid UTF-8). bc_filter_cb is the real one. */
typedef void bc_text_filter(void *ctx, const char *text, size_t len, bc_verdict *v);

typedef struct bc_limits {
    size_t max_text_cps;         /* comment text, code points */
    bc_text_filter *filter;      /* comment text filter, NULL: none */
    void *filter_ctx;
} bc_limits;

/* A decoded, validated event. user_id and client_msg_id are copied out for
 * the sequencer's dedupe key; pb holds the packed danmaku.Event. */
typedef struct bc_event {
    int kind;
    char user_id[BC_USER_MAX + 1]; size_t user_len;
    char cmid[BC_CMID_MAX + 1];    size_t cmid_len;   /* 0 = none */
    dbuf pb;
} bc_event;

/* Why a body was rejected: HTTP status, stable error code, human message. */
typedef struct bc_err {
    int status;
    const char *code;
    char msg[160];
} bc_err;

void bc_event_init(bc_event *e);
void bc_event_free(bc_event *e);

/* Decodes body[0..len) of the given kind and content type. On success returns
 * 0 and fills ev (ev->pb is reset first). On failure returns -1 and fills err
 * (400 bad_json|bad_protobuf|missing_field|bad_field_type, 422 invalid_utf8|
 * empty_text|text_too_long|out_of_range|bad_value|blocked_word|contact_blocked);
 * ev->pb is then empty. With lim->filter, a comment's nick and text are stored masked
 * and the Event carries flags (20: "masked", "keyword", "contact") and risk
 * (21: "contact") as the filter decides. */
int bc_decode(int kind, int ctype, const char *body, size_t len,
              const bc_limits *lim, bc_event *ev, bc_err *err);

/* 1 if s[0..n) is a valid room name: [A-Za-z0-9_-]{1,64}. */
int bc_room_valid(const char *s, size_t n);

#endif
