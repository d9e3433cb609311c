/* fuzz_http.c — libFuzzer target for common/http.h: the request-head parser
 * and its helpers (headers, tokens, query parameters, body framing), then
 * the chunked decoder over the bytes after the head, fed in pieces whose
 * size the first input byte chooses. */
#include "http.h"
#include <stdlib.h>
#include <string.h>

static void chunked(const uint8_t *data, size_t size, size_t step)
{
    http_chunked d;
    memset(&d, 0, sizeof d);
    for (size_t off = 0; off < size;) {
        size_t n = size - off < step ? size - off : step;
        char *piece = malloc(n);
        memcpy(piece, data + off, n);
        size_t len = n;
        ssize_t rc = http_decode_chunked(&d, piece, &len);
        if (len > n || (rc >= 0 && (size_t)rc + len > n)) abort();
        free(piece);
        if (rc != -2) break;
        off += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t step = (size_t)(data[0] % 32) + 1;
    data++, size--;
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    http_request req;
    int n = http_parse_request(buf, size, &req);
    if (n > 0) {
        if ((size_t)n > size || req.num_headers > HTTP_MAX_HEADERS) abort();
        http_find_header(&req, "content-length");
        http_header_has_token(&req, "connection", "upgrade");
        http_header_has_token(&req, "transfer-encoding", "chunked");
        int64_t cl;
        http_body_framing(&req, &cl);
        char out[64];
        http_query_param(req.query, req.query_len, "format", out, sizeof out);
        http_query_param(req.query, req.query_len, "since", out, 4);
        chunked(data + n, size - (size_t)n, step);
    } else {
        chunked(data, size, step);
    }
    free(buf);
    return 0;
}
