/* log.c — leveled logging to stderr with a program name, pid, level and
 * subsystem tag per line; also receives libevent's internal messages. */
#include "log.h"
#include "err.h"
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int log_level = LOG_INFO;
static char log_prog[32] = "dm";
static char log_ctx[32] = "";

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

void log_init(const char *prog, int level)
{
    if (prog) {
        const char *slash = strrchr(prog, '/');
        snprintf(log_prog, sizeof log_prog, "%s", slash ? slash + 1 : prog);
    }
    if (level >= LOG_DEBUG && level <= LOG_ERROR)
        log_level = level;
}

void log_set_ctx(const char *ctx)
{
    snprintf(log_ctx, sizeof log_ctx, "%s", ctx ? ctx : "");
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && !strcasecmp(s, level_names[i]))
            return i;
    if (s && !strcasecmp(s, "warning"))
        return LOG_WARN;
    return DM_INVALID;
}

/* One write(2) per line so concurrent worker processes do not interleave. */
static void log_vwrite(int level, const char *tag, const char *fmt, va_list ap)
{
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    if (level < LOG_DEBUG || level > LOG_ERROR)
        level = LOG_ERROR;
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s[%d]%s%s %s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000), log_prog,
                     (int)getpid(), log_ctx[0] ? " " : "", log_ctx,
                     level_names[level], tag ? tag : "-");
    if (n < 0)
        return;
    if ((size_t)n < sizeof line) {
        int m = vsnprintf(line + n, sizeof line - n, fmt, ap);
        if (m > 0)
            n += m;
    }
    if ((size_t)n >= sizeof line - 1)
        n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

void log_write(int level, const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, tag, fmt, ap);
    va_end(ap);
}

static void log_libevent_cb(int severity, const char *msg)
{
    int lvl = severity == EVENT_LOG_DEBUG ? LOG_DEBUG
            : severity == EVENT_LOG_MSG   ? LOG_INFO
            : severity == EVENT_LOG_WARN  ? LOG_WARN : LOG_ERROR;
    LOG_AT(lvl, "libevent", "%s", msg);
}

void log_route_libevent(void)
{
    event_set_log_callback(log_libevent_cb);
}
