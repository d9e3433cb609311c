/* hostport.c — HOST:PORT parsing (see hostport.h). */
#include "hostport.h"
#include "err.h"
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return DM_INVALID;
}

/* Decimal 1..65535, digits only: the port or -1. */
static int parse_port(const char *p)
{
    long v = 0;
    if (!*p)
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
        if (v > 65535)
            return -1;
    }
    return v >= 1 ? (int)v : -1;
}

static int valid_name(const char *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", h[i]))
            return 0;
    return 1;
}

int dm_hostport_parse(const char *s, dm_hostport *hp, char *err, size_t errsz)
{
    const char *host = s, *colon;
    size_t n;
    struct in6_addr a6;
    char tmp[DM_HOST_MAX];
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return fail(err, errsz, "'%s': expected [IPV6]:PORT", s);
        host = s + 1;
        n = (size_t)(close - host);
        colon = close + 1;
        if (n == 0 || n >= sizeof tmp)
            return fail(err, errsz, "'%s': bad IPv6 address", s);
        memcpy(tmp, host, n);
        tmp[n] = 0;
        char *zone = strchr(tmp, '%');   /* fe80::1%eth0: check the address part */
        if (zone)
            *zone = 0;
        if (inet_pton(AF_INET6, tmp, &a6) != 1 || (zone && !valid_name(zone + 1, strlen(zone + 1))))
            return fail(err, errsz, "'%s': '%.*s' is not an IPv6 address", s, (int)n, host);
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return fail(err, errsz, "'%s': expected HOST:PORT", s);
        n = (size_t)(colon - s);
        if (memchr(s, ':', n))
            return fail(err, errsz, "'%s': write an IPv6 address in brackets, [ADDR]:PORT", s);
        if (n == 0)
            return fail(err, errsz, "'%s': the host is empty", s);
        if (n >= sizeof tmp || !valid_name(s, n))
            return fail(err, errsz, "'%s': bad host name", s);
    }
    int port = parse_port(colon + 1);
    if (port < 0)
        return fail(err, errsz, "'%s': the port must be a number in 1..65535", s);
    memcpy(hp->host, host, n);
    hp->host[n] = 0;
    hp->port = port;
    return DM_OK;
}

char *dm_hostport_str(const dm_hostport *hp, char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, strchr(hp->host, ':') ? "[%s]:%d" : "%s:%d", hp->host, hp->port);
    return buf;
}
