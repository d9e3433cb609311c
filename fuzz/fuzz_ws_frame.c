/* fuzz_ws_frame.c — libFuzzer target for common/ws.h: the message assembler
 * in the server role (input fed in growing windows, as from a socket, with
 * the first byte choosing the window step), the raw frame parser in both
 * roles, close-payload validation and the handshake key check. */
#include "ws.h"
#include <stdlib.h>
#include <string.h>

static void assemble(const uint8_t *data, size_t size, size_t step)
{
    uint8_t *buf = malloc(size ? size : 1);     /* exact size: over-reads fault */
    memcpy(buf, data, size);
    ws_reader r;
    ws_reader_init(&r, WS_ROLE_SERVER, 1 << 16);
    size_t off = 0, avail = step < size ? step : size;
    for (int guard = 0; guard < 100000 && off < size; guard++) {
        ws_msg m;
        int rc = ws_reader_feed(&r, buf + off, avail - off, &m);
        if (rc > 0) {
            if ((size_t)rc > avail - off) abort();          /* consumed more than given */
            if (m.opcode && m.len) { volatile uint8_t x = m.data[0] ^ m.data[m.len - 1]; (void)x; }
            if (m.opcode == WS_OP_CLOSE) { uint16_t code; ws_close_parse(m.data, m.len, &code); }
            off += (size_t)rc;
        } else if (rc == -2) {
            if (avail == size) break;
            avail = avail + step < size ? avail + step : size;
        } else {
            if (r.close_code < 1000 || r.close_code > 4999) abort();
            break;
        }
    }
    ws_reader_free(&r);
    free(buf);
}

static void frames(const uint8_t *data, size_t size, int role)
{
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    ws_frame f;
    int code = 0;
    int rc = ws_parse_frame(buf, size, role, 1 << 20, &f, &code);
    if (rc > 0) {
        if ((size_t)rc > size || f.header_len + f.payload_len != (uint64_t)rc) abort();
        ws_unmask(f.payload, (size_t)f.payload_len, f.mask, 0);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t step = (size_t)(data[0] % 16) + 1;
    if (data[0] >= 0xF0) step = size;            /* sometimes: everything at once */
    assemble(data + 1, size - 1, step);
    frames(data + 1, size - 1, WS_ROLE_SERVER);
    frames(data + 1, size - 1, WS_ROLE_CLIENT);
    uint16_t code;
    ws_close_parse(data + 1, size - 1 > 125 ? 125 : size - 1, &code);
    char acc[29];
    ws_accept_key((const char *)data + 1, size - 1, acc);
    return 0;
}
