/* bc_http.c — per-connection HTTP/1.1 state machine: a read state
 * (HEAD -> BODY | CHUNKED | DRAIN -> HEAD) that parses straight from one
 * contiguous input buffer (chunked bodies decoded in place), and a queue of
 * dispatched requests in arrival order. An answer is written to the output
 * when its request is the oldest in the queue, otherwise parked in the
 * request's own buffer until every earlier one is written. */
#include "bc_http.h"
#include "log.h"
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define READ_SLACK 16384         /* input held beyond one request before reads pause */

enum read_state { P_HEAD, P_BODY, P_CHUNKED, P_DRAIN };
enum { NEED_INPUT = 0, PROGRESS = 1, BLOCKED = -1 };

struct bc_http_slot {
    bc_http_slot *next;
    bc_http *p;
    int keep_alive;
    int answered;
    int serial;                  /* handler without BC_H_PIPELINE */
    struct evbuffer *resp;       /* answered while not the oldest */
    bc_req req;
};

static uint64_t last_id;         /* per process: X-Request-Id */

static bc_http_slot *slot_of(bc_req *r)
{
    return (bc_http_slot *)((char *)r - offsetof(bc_http_slot, req));
}

static size_t avail(const bc_http *p) { return p->in.len - p->in_off; }
static const char *unread(const bc_http *p) { return p->in.data ? p->in.data + p->in_off : ""; }
static void consume(bc_http *p, size_t n) { p->in_off += n; }

static void count_status(bc_http_stats *st, int status)
{
    if (status < 300)
        st->st2xx++;
    else if (status < 500)
        st->st4xx++;
    else if (status == 503)
        st->st503++;
    else
        st->st5xx++;
}

/* Writes the answers that are due (oldest first) to the output; frees their
 * slots; sends a deferred 100 Continue once nothing precedes it. */
static void advance(bc_http *p)
{
    while (p->qhead && p->qhead->answered) {
        bc_http_slot *s = p->qhead;
        p->qhead = s->next;
        if (!p->qhead)
            p->qtail = NULL;
        p->nqueued--;
        if (s->resp) {
            evbuffer_add_buffer(p->out, s->resp);
            evbuffer_free(s->resp);
        }
        free(s);
    }
    if (p->want_continue && !p->qhead) {
        p->want_continue = 0;
        evbuffer_add(p->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    }
}

static void answer(bc_req *r, int status, const char *ctype, const char *extra,
                   const void *body, size_t len)
{
    bc_http_slot *s = slot_of(r);
    bc_http *p = s->p;
    dbuf hdr;
    dbuf_init(&hdr);
    dbuf_printf(&hdr, "X-Request-Id: %llu\r\n%s", (unsigned long long)r->id, extra ? extra : "");
    count_status(p->st, status);
    if (s != p->qhead)
        s->resp = evbuffer_new();
    http_write_response(s == p->qhead ? p->out : s->resp, status, ctype, hdr.data, body, len,
                        s->keep_alive);
    dbuf_free(&hdr);
    if (status >= 500)
        LOGD("http", "peer=%s req=%llu status=%d", p->peer, (unsigned long long)r->id, status);
    s->answered = 1;
    p->nwaiting--;
    if (s->serial)
        p->serial_busy = 0;
    advance(p);
    if (!p->in_process && p->wake)
        p->wake(p->owner);       /* may free p: nothing after this */
}

/* A new request at the tail of the queue (unanswered). */
static bc_http_slot *push_slot(bc_http *p, int keep_alive, int serial)
{
    bc_http_slot *s = xcalloc(1, sizeof *s);
    s->p = p;
    s->keep_alive = keep_alive;
    s->serial = serial;
    s->req.id = ++last_id;
    s->req.peer = p->peer;
    s->req.loopback = p->loopback;
    s->req.answer = answer;
    if (p->qtail)
        p->qtail->next = s;
    else
        p->qhead = s;
    p->qtail = s;
    p->nwaiting++;
    p->nqueued++;
    if (serial)
        p->serial_busy = 1;
    if (!keep_alive)
        p->stopped = 1;          /* nothing after this request is read */
    return s;
}

/* A protocol-level failure: answer (in turn) and read nothing more. */
static int fatal(bc_http *p, int status, const char *code, const char *msg)
{
    bc_http_slot *s = push_slot(p, 0, 0);
    p->state = P_HEAD;
    LOGD("http", "peer=%s req=%llu %d %s", p->peer, (unsigned long long)s->req.id, status, code);
    bc_req_error(&s->req, status, code, msg, NULL);
    return BLOCKED;
}

static int wants_keep_alive(const http_request *h)
{
    if (h->minor_version >= 1)
        return !http_header_has_token(h, "connection", "close");
    return http_header_has_token(h, "connection", "keep-alive");
}

/* Expect: 100-continue: now if no earlier answer is pending, else once the
 * earlier answers are out (advance). */
static void send_continue(bc_http *p, const http_request *h)
{
    const http_header *e = http_find_header(h, "expect");
    if (p->sent_continue || !e || e->value_len != 12 || strncasecmp(e->value, "100-continue", 12))
        return;
    p->sent_continue = 1;
    p->want_continue = 1;
    advance(p);
}

/* Hands the request at unread()[0..total) (head h of head_len bytes, then
 * the body) to its handler; the bytes stay readable until it returns. */
static void dispatch_parsed(bc_http *p, const http_request *h, size_t head_len, size_t total)
{
    const bc_handler *hd = p->handler;
    bc_http_slot *s = push_slot(p, p->keep_alive, !(hd->flags & BC_H_PIPELINE));
    p->state = P_HEAD;
    p->want_continue = 0;
    p->st->requests++;
    s->req.h = h;
    s->req.body = unread(p) + head_len;
    s->req.body_len = total - head_len;
    hd->fn(p->conf->ctx, &s->req);   /* may answer at once: s is gone then */
    consume(p, total);
}

/* Dispatches the request at unread()[0..total): the head is parsed again
 * (cheap, and the buffer may have moved since it was first parsed). */
static int dispatch(bc_http *p, size_t total)
{
    http_request h;
    int head = http_parse_request(unread(p), total, &h);
    if (head <= 0)                        /* cannot happen: parsed before */
        return fatal(p, 400, "bad_request", "malformed HTTP request");
    dispatch_parsed(p, &h, (size_t)head, total);
    return PROGRESS;
}

/* A request head is complete: decide its framing, and dispatch at once if
 * the body is already here (the common case). */
static int start_request(bc_http *p, const http_request *h, size_t head_len)
{
    int64_t clen;
    p->keep_alive = wants_keep_alive(h);
    p->sent_continue = 0;
    if (http_body_framing(h, &clen) < 0)
        return fatal(p, 400, "bad_request", "invalid Content-Length or Transfer-Encoding");
    if (clen < 0) {
        memset(&p->chunked, 0, sizeof p->chunked);
        p->state = P_CHUNKED;
        p->head_len = head_len;
        p->body_len = 0;
        send_continue(p, h);
        return PROGRESS;
    }
    if ((uint64_t)clen > p->conf->max_body) {
        if ((uint64_t)clen > BC_HTTP_DRAIN_MAX)
            return fatal(p, 413, "body_too_large", "request body exceeds the limit");
        consume(p, head_len);
        send_continue(p, h);
        p->state = P_DRAIN;
        p->need = (size_t)clen;
        return PROGRESS;
    }
    p->state = P_BODY;
    p->need = head_len + (size_t)clen;
    if (avail(p) >= p->need)
        dispatch_parsed(p, h, head_len, p->need);
    else
        send_continue(p, h);
    return PROGRESS;
}

/* P_HEAD: parse a request head if one is complete and may start now. */
static int step_head(bc_http *p)
{
    size_t n = avail(p) < BC_HTTP_HEAD_MAX ? avail(p) : BC_HTTP_HEAD_MAX;
    http_request h;
    if (p->stopped || p->serial_busy || p->nqueued >= p->conf->max_inflight)
        return BLOCKED;
    if (n == 0)
        return NEED_INPUT;
    int rc = http_parse_request(unread(p), n, &h);
    if (rc == -2 && n < BC_HTTP_HEAD_MAX)
        return NEED_INPUT;
    if (rc == -2)
        return fatal(p, 431, "headers_too_large", "request head exceeds 8 KiB");
    if (rc < 0)
        return fatal(p, 400, "bad_request", "malformed HTTP request");
    p->handler = p->conf->route(&h);
    if (!(p->handler->flags & BC_H_PIPELINE) && p->nwaiting > 0)
        return BLOCKED;                   /* runs once every earlier request is answered */
    return start_request(p, &h, (size_t)rc);
}

/* P_BODY: once the whole request is buffered, dispatch it. */
static int step_body(bc_http *p)
{
    return avail(p) < p->need ? NEED_INPUT : dispatch(p, p->need);
}

/* P_CHUNKED: decodes new chunked bytes in place so that the buffer holds
 * head | decoded body | (once complete) the next request's bytes. */
static int step_chunked(bc_http *p)
{
    char *region = p->in.data + p->in_off + p->head_len + p->body_len;
    size_t raw = avail(p) - p->head_len - p->body_len, n = raw;
    if (raw == 0)
        return NEED_INPUT;
    ssize_t rest = http_decode_chunked(&p->chunked, region, &n);
    if (rest == -1)
        return fatal(p, 400, "bad_request", "malformed chunked body");
    p->body_len += n;
    if (p->body_len > p->conf->max_body)
        return fatal(p, 413, "body_too_large", "request body exceeds the limit");
    if (rest == -2) {                     /* everything decoded, more to come */
        p->in.len = p->in_off + p->head_len + p->body_len;
        return NEED_INPUT;
    }
    p->in.len = p->in_off + p->head_len + p->body_len + (size_t)rest;
    return dispatch(p, p->head_len + p->body_len);
}

/* P_DRAIN: drop an oversized body, then answer 413 (in turn) and go on. */
static int step_drain(bc_http *p)
{
    size_t n = avail(p) < p->need ? avail(p) : p->need;
    consume(p, n);
    p->need -= n;
    if (p->need)
        return NEED_INPUT;
    p->state = P_HEAD;
    p->want_continue = 0;
    p->st->requests++;
    bc_http_slot *s = push_slot(p, p->keep_alive, 0);
    bc_req_error(&s->req, 413, "body_too_large", "request body exceeds the limit", NULL);
    return PROGRESS;
}

void bc_http_process(bc_http *p)
{
    int rc = PROGRESS;
    if (p->in_process)
        return;
    p->in_process = 1;
    while (rc == PROGRESS && !p->stopped && evbuffer_get_length(p->out) <= BC_HTTP_OUT_MAX) {
        if (p->state == P_HEAD)
            rc = step_head(p);
        else if (p->state == P_BODY)
            rc = step_body(p);
        else if (p->state == P_CHUNKED)
            rc = step_chunked(p);
        else
            rc = step_drain(p);
    }
    p->in_process = 0;
    /* the peer is done sending: whatever is not a complete request never will be */
    if (p->eof && rc == NEED_INPUT)
        p->stopped = 1;
    if (avail(p) == 0 && p->state != P_CHUNKED) {   /* idle connections hold no buffer */
        dbuf_free(&p->in);
        p->in_off = 0;
    }
}

void bc_http_init(bc_http *p, const bc_http_conf *conf, bc_http_stats *st, bc_http_wake_fn *wake,
                  void *owner, const char *peer, int loopback)
{
    memset(p, 0, sizeof *p);
    p->conf = conf;
    p->st = st;
    p->wake = wake;
    p->owner = owner;
    p->peer = peer;
    p->loopback = loopback;
    dbuf_init(&p->in);
    p->out = evbuffer_new();
    p->state = P_HEAD;
}

void bc_http_free(bc_http *p)
{
    p->wake = NULL;              /* nothing below calls the owner back */
    p->in_process = 1;
    while (p->qhead) {
        bc_http_slot *s = p->qhead;
        p->qhead = s->next;
        if (!s->answered && s->req.abort)
            s->req.abort(&s->req);
        if (s->resp)
            evbuffer_free(s->resp);
        free(s);
    }
    p->qtail = NULL;
    evbuffer_free(p->out);
    dbuf_free(&p->in);
}

char *bc_http_input(bc_http *p, size_t want, size_t *room)
{
    if (p->in_off == p->in.len) {
        p->in_off = 0;
        p->in.len = 0;
    } else if (p->in_off > p->in.len / 2 || p->in.cap - p->in.len < want / 2) {
        memmove(p->in.data, unread(p), avail(p));   /* keeps the unread bytes at the front */
        p->in.len = avail(p);
        p->in_off = 0;
    }
    dbuf_reserve(&p->in, want);
    *room = p->in.cap - p->in.len - 1;
    return p->in.data + p->in.len;
}

void bc_http_received(bc_http *p, size_t n)
{
    if (n == 0)
        p->eof = 1;
    p->in.len += n;
}

void bc_http_drop_input(bc_http *p)
{
    p->in_off = p->in.len;
}

struct evbuffer *bc_http_output(bc_http *p) { return p->out; }
size_t bc_http_backlog(const bc_http *p) { return avail(p); }
int bc_http_waiting(const bc_http *p) { return p->nwaiting; }
int bc_http_finished(const bc_http *p) { return p->stopped && !p->qhead; }

int bc_http_wants_input(const bc_http *p)
{
    return !p->eof && avail(p) <= p->conf->max_body + BC_HTTP_HEAD_MAX + READ_SLACK;
}
