/* log.h — leveled logging with a subsystem tag; formatting is skipped below
 * the level. One line per call to stderr: "ts prog[pid] [ctx] LEVEL tag: message".
 * Never log per message on a hot path; never log secrets. */
#ifndef DM_LOG_H
#define DM_LOG_H

enum { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };
extern int log_level;

/* Sets the program name printed in every line and the minimum level. */
void log_init(const char *prog, int level);
/* Sets a process-wide context printed after "prog[pid]" in every line, e.g.
 * "w2" for edge worker 2 ("" or NULL clears it; at most 31 bytes kept).
 * Per-line context (room, peer, request) goes in the message as key=value:
 * "room=R peer=ADDR req=N". */
void log_set_ctx(const char *ctx);
/* Parses "debug|info|warn|error"; returns the level or -1. */
int log_level_parse(const char *s);
/* Routes libevent's internal log messages through this logger. */
void log_route_libevent(void);
void log_write(int level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_AT(lvl, tag, ...) \
    do { if ((lvl) >= log_level) log_write((lvl), (tag), __VA_ARGS__); } while (0)
#define LOGD(tag, ...) LOG_AT(LOG_DEBUG, tag, __VA_ARGS__)
#define LOGI(tag, ...) LOG_AT(LOG_INFO, tag, __VA_ARGS__)
#define LOGW(tag, ...) LOG_AT(LOG_WARN, tag, __VA_ARGS__)
#define LOGE(tag, ...) LOG_AT(LOG_ERROR, tag, __VA_ARGS__)

#endif
