/* ws.h — RFC 6455 WebSocket frame codec and message assembler, for both
 * roles (server: peer frames must be masked; client: must be unmasked).
 * Pure functions over caller buffers: no I/O, no allocation except the
 * assembler's message buffer. Decoder convention: bytes consumed (> 0),
 * -2 incomplete (need more bytes), -1 invalid (close code set). */
#ifndef DM_WS_H
#define DM_WS_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"

enum ws_opcode {
    WS_OP_CONT = 0x0, WS_OP_TEXT = 0x1, WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8, WS_OP_PING = 0x9, WS_OP_PONG = 0xA
};

enum ws_close_code {
    WS_CLOSE_NORMAL = 1000, WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL = 1002, WS_CLOSE_UNSUPPORTED = 1003,
    WS_CLOSE_NO_STATUS = 1005, WS_CLOSE_ABNORMAL = 1006,
    WS_CLOSE_BAD_DATA = 1007, WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009, WS_CLOSE_INTERNAL = 1011,
    WS_CLOSE_TRY_AGAIN = 1013,
    /* application codes (documented in docs/PROTOCOL.md) */
    WS_CLOSE_BAD_REQUEST = 4400, WS_CLOSE_UNAUTHORIZED = 4401,
    WS_CLOSE_FORBIDDEN = 4403, WS_CLOSE_IDLE = 4408,
    WS_CLOSE_SLOW = 4429
};

enum ws_role { WS_ROLE_SERVER = 0, WS_ROLE_CLIENT = 1 };

typedef struct ws_frame {
    int fin, rsv, opcode, masked;
    uint8_t mask[4];
    size_t header_len;
    uint64_t payload_len;
    uint8_t *payload;        /* points into the caller's buffer */
} ws_frame;

/* Parses one frame header at buf[0..len). On success returns header_len +
 * payload_len (the whole frame is in the buffer) and fills *f; returns -2 if
 * the frame is not complete yet; returns -1 and stores the close code in
 * *close_code if the header is invalid for `role` (RSV bits set: 1002;
 * unknown opcode: 1002; control frame not FIN or > 125 bytes: 1002; masking
 * wrong for the role: 1002; 64-bit length with the top bit set: 1002;
 * payload_len > max_payload: 1009). The payload is NOT unmasked. */
int ws_parse_frame(uint8_t *buf, size_t len, int role, uint64_t max_payload,
                   ws_frame *f, int *close_code);

/* XORs p[0..n) with mask, starting at mask offset `off` (for streaming). */
void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], size_t off);

/* Writes a frame header into out (2..14 bytes) and returns its length. mask
 * is NULL for server frames; for client frames the caller masks the payload
 * with the same 4 bytes (ws_unmask). */
size_t ws_frame_header(uint8_t out[14], int fin, int opcode, uint64_t len,
                       const uint8_t *mask);

/* Builds a close payload (code + reason, reason truncated to fit 125 bytes);
 * returns the payload length. */
size_t ws_close_payload(uint8_t out[125], uint16_t code, const char *reason);

/* Validates a received close payload: 0 ok (and *code set, 1005 if empty),
 * -1 with *code set to the close code to answer with (1002 for a 1-byte
 * payload or a code not allowed on the wire, 1007 for a non-UTF-8 reason). */
int ws_close_parse(const uint8_t *p, size_t n, uint16_t *code);

/* The Sec-WebSocket-Accept value for a client key (SHA-1 + base64 through
 * OpenSSL). key must be the 24-char base64 of 16 bytes; returns 0, or -1 if
 * the key is malformed. out gets 28 chars + NUL. */
int ws_accept_key(const char *key, size_t key_len, char out[29]);
/* A fresh random client key (base64 of 16 random bytes) + NUL. */
void ws_client_key(char out[25]);

/* Message assembler: feeds raw bytes, yields whole messages and control
 * frames. Handles fragmentation (control frames may arrive between
 * fragments), checks UTF-8 of text messages (1007; a fragmented text
 * message fails as soon as a fragment makes it invalid, not only at the
 * end) and of close reasons, and the total message size (1009). */
typedef struct ws_reader {
    int role;
    uint64_t max_msg;        /* max assembled message size */
    int frag_opcode;         /* opcode of the message being assembled, 0 if none */
    dbuf msg;                /* assembled fragments */
    int close_code;          /* set when feed returns -1 */
    size_t utf8_checked;     /* bytes of msg already known valid UTF-8 */
} ws_reader;

typedef struct ws_msg {
    int opcode;              /* TEXT, BINARY, CLOSE, PING, PONG; 0 = nothing yet */
    const uint8_t *data;     /* valid until the next ws_reader_feed/free */
    size_t len;
} ws_msg;

/* max_msg 0 means no limit (other than the int return convention, ~2 GiB). */
void ws_reader_init(ws_reader *r, int role, uint64_t max_msg);
void ws_reader_free(ws_reader *r);
/* Consumes at most one frame from buf[0..len) (unmasking in place). Returns
 * bytes consumed (> 0) — out->opcode != 0 if a message or control frame is
 * complete — or -2 (need more bytes) or -1 (protocol error, r->close_code
 * is the code to close with). */
int ws_reader_feed(ws_reader *r, uint8_t *buf, size_t len, ws_msg *out);

#endif
