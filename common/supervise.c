/* supervise.c — fork, reap, restart and stop worker processes; every signal
 * is blocked except inside sigsuspend, so the handlers only set flags. */
#include "supervise.h"
#include "dbuf.h"
#include "log.h"
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RESTART_MIN_MS 1000      /* crash-loop guard per worker */
#define STOP_WAIT_MS 20000       /* SIGTERM, then SIGKILL */

typedef struct slot {
    pid_t pid;
    int fd;                      /* the worker's listening socket (kept across restarts) */
    uint64_t started_ms;
    int restart_due;
} slot;

static volatile sig_atomic_t got_stop, got_chld, got_alarm, got_hup;
static const int sigs[] = { SIGTERM, SIGINT, SIGCHLD, SIGALRM, SIGHUP };
#define NSIGS (int)(sizeof sigs / sizeof sigs[0])

static void on_signal(int sig)
{
    if (sig == SIGCHLD)
        got_chld = 1;
    else if (sig == SIGALRM)
        got_alarm = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else
        got_stop = sig;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sup_listen(const char *name, const char *host, int port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
    char ps[16];
    int one = 1;
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host && host[0] ? host : NULL, ps, &hints, &ai);
    if (rc) {
        LOGE(name, "cannot resolve %s: %s", host ? host : "", gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 4096)) {
        LOGE(name, "cannot listen on %s:%d: %s", host ? host : "", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* In the child: default signal dispositions and mask, only its own socket. */
static pid_t spawn(const sup_conf *c, slot *s, int index, const sigset_t *orig)
{
    pid_t pid = fork();
    if (pid < 0) {
        LOGE(c->name, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0)
        return pid;
    for (int i = 0; i < NSIGS; i++)
        signal(sigs[i], SIG_DFL);
    sigprocmask(SIG_SETMASK, orig, NULL);
    int fd = s[index].fd;
    for (int i = 0; i < c->workers; i++)
        if (i != index)
            close(s[i].fd);
    free(s);
    exit(c->run(c->arg, index, fd));
}

/* Marks dead workers for restart. Returns 1 if one could not start. */
static int reap(const sup_conf *c, slot *s, int stopping)
{
    int status, fatal = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < c->workers; i++) {
            if (s[i].pid != pid)
                continue;
            s[i].pid = 0;
            if (stopping)
                break;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
                LOGE(c->name, "worker %d (pid %d) could not start: stopping", i, (int)pid);
                fatal = 1;
            } else if (WIFSIGNALED(status)) {
                LOGW(c->name, "worker %d (pid %d) killed by signal %d: restarting", i, (int)pid,
                     WTERMSIG(status));
            } else {
                LOGW(c->name, "worker %d (pid %d) exited with %d: restarting", i, (int)pid,
                     WEXITSTATUS(status));
            }
            s[i].restart_due = !fatal;
        }
    }
    return fatal;
}

static void restart_due(const sup_conf *c, slot *s, const sigset_t *orig)
{
    uint64_t now = mono_ms();
    int later = 0;
    for (int i = 0; i < c->workers; i++) {
        if (!s[i].restart_due)
            continue;
        if (now - s[i].started_ms < RESTART_MIN_MS) {
            later = 1;
            continue;
        }
        s[i].restart_due = 0;
        s[i].started_ms = now;
        s[i].pid = spawn(c, s, i, orig);
        if (s[i].pid < 0) {
            s[i].pid = 0;
            s[i].restart_due = 1;
            later = 1;
        }
    }
    if (later)
        alarm(1);
}

static void signal_all(const sup_conf *c, const slot *s, int sig)
{
    for (int i = 0; i < c->workers; i++)
        if (s[i].pid > 0)
            kill(s[i].pid, sig);
}

static void stop_all(const sup_conf *c, slot *s)
{
    signal_all(c, s, SIGTERM);
    uint64_t end = mono_ms() + STOP_WAIT_MS;
    for (;;) {
        int alive = 0;
        reap(c, s, 1);
        for (int i = 0; i < c->workers; i++)
            alive += s[i].pid > 0;
        if (!alive)
            return;
        if (mono_ms() > end) {
            LOGE(c->name, "%d workers did not stop: SIGKILL", alive);
            signal_all(c, s, SIGKILL);
            end = mono_ms() + 5000;
        }
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* Handles one wake-up of the supervisor: 1 to stop with *rc set. */
static int on_wake(const sup_conf *c, slot *s, const sigset_t *orig, int *rc)
{
    if (got_chld) {
        got_chld = 0;
        if (reap(c, s, 0)) {
            *rc = 1;
            return 1;
        }
    }
    if (got_hup) {
        got_hup = 0;
        signal_all(c, s, SIGHUP);
    }
    got_alarm = 0;
    if (got_stop)
        return 1;
    restart_due(c, s, orig);
    return 0;
}

int sup_run(const sup_conf *c)
{
    slot *s = xcalloc((size_t)c->workers, sizeof *s);
    struct sigaction sa;
    sigset_t block, orig, wait_mask;
    int rc = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    for (int i = 0; i < NSIGS; i++) {
        sigaction(sigs[i], &sa, NULL);
        sigaddset(&block, sigs[i]);
    }
    for (int i = 0; i < c->workers; i++)
        if ((s[i].fd = sup_listen(c->name, c->host, c->port)) < 0) {
            while (i--)
                close(s[i].fd);
            free(s);
            return 1;
        }
    sigprocmask(SIG_BLOCK, &block, &orig);
    for (int i = 0; i < c->workers; i++) {
        s[i].started_ms = mono_ms();
        if ((s[i].pid = spawn(c, s, i, &orig)) < 0) {
            s[i].pid = 0;
            got_stop = SIGTERM;
        }
    }
    LOGI(c->name, "supervisor: %d workers on %s:%d", c->workers, c->host ? c->host : "", c->port);
    wait_mask = orig;
    for (int i = 0; i < NSIGS; i++)
        sigdelset(&wait_mask, sigs[i]);
    while (!got_stop) {
        sigsuspend(&wait_mask);
        if (on_wake(c, s, &orig, &rc))
            break;
    }
    LOGI(c->name, "supervisor: %s, stopping %d workers", rc ? "worker failure" : "signal",
         c->workers);
    stop_all(c, s);
    for (int i = 0; i < c->workers; i++)
        close(s[i].fd);
    free(s);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    return rc;
}
