/* http.h — HTTP/1.1 request-head parser and response helpers shared by the
 * broadcaster (REST ingest) and the edge (WebSocket upgrade). The parser
 * does not allocate: results point into the caller's buffer.
 * Decoder convention: bytes consumed (> 0), -2 incomplete, -1 invalid
 * (DM_PARTIAL / DM_INVALID of err.h). */
#ifndef DM_HTTP_H
#define DM_HTTP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "dbuf.h"
struct evbuffer;

#define HTTP_MAX_HEADERS 64

typedef struct http_header {
    const char *name;  size_t name_len;
    const char *value; size_t value_len;   /* leading/trailing spaces trimmed */
} http_header;

typedef struct http_request {
    const char *method; size_t method_len;
    const char *path;   size_t path_len;   /* without the query */
    const char *query;  size_t query_len;  /* after '?', may be empty */
    int minor_version;                      /* HTTP/1.x */
    http_header headers[HTTP_MAX_HEADERS];
    size_t num_headers;
} http_request;

/* Parses a request head (request line + headers + empty line) at buf[0..len).
 * Returns the head length, -2 if incomplete, -1 if malformed or more than
 * HTTP_MAX_HEADERS headers. Accepts CRLF and bare LF line ends. */
int http_parse_request(const char *buf, size_t len, http_request *req);

/* Case-insensitive header lookup; NULL if absent. */
const http_header *http_find_header(const http_request *req, const char *name);
/* 1 if header `name` contains the comma-separated token (case-insensitive),
 * e.g. http_header_has_token(req, "connection", "upgrade"). */
int http_header_has_token(const http_request *req, const char *name, const char *token);

/* Looks up a query parameter, percent-decoding it ('+' is a space) into
 * out (NUL-terminated). Returns the decoded length, -1 if absent, -2 if it
 * does not fit or is badly encoded. */
ssize_t http_query_param(const char *query, size_t query_len, const char *name,
                         char *out, size_t out_size);

/* Request-body framing. Returns 0 and sets *content_length (-1 when the body
 * is chunked, 0 when there is none), or -1 if the framing headers are invalid
 * (bad Content-Length, both framing headers, unknown transfer coding). */
int http_body_framing(const http_request *req, int64_t *content_length);

/* Chunked body decoder (in place). Feed successive bytes: decodes buf[0..*len)
 * in place, sets *len to the decoded byte count, and returns bytes of
 * the input that remain after the terminating chunk (>= 0) when the body is
 * complete, -2 if more input is needed, -1 if malformed. */
typedef struct http_chunked { int state; uint64_t remaining; uint64_t total; } http_chunked;
/* (Zero-initialize the state before the first call; total counts the decoded
 * body bytes so far, for a body-size limit. Chunk extensions and trailer
 * fields are skipped. After completion further calls return -1.) */
ssize_t http_decode_chunked(http_chunked *d, char *buf, size_t *len);

/* Standard reason phrase ("Not Found"), "Unknown" for others. */
const char *http_reason(int status);
/* Appends a full response with Content-Length to out. extra_headers is NULL
 * or "Name: value\r\n"... lines. */
void http_write_response(struct evbuffer *out, int status, const char *content_type,
                         const char *extra_headers, const void *body, size_t len,
                         int keep_alive);
/* Appends {"error":{"code":code,"message":message}} (JSON-escaped) to b. */
void http_error_body(dbuf *b, const char *code, const char *message);
/* Appends that body as a JSON response. */
void http_write_error(struct evbuffer *out, int status, const char *code,
                      const char *message, int keep_alive);

#endif
