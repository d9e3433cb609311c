/* bench_peer.c — starting and stopping the peer servers (see bench_peer.h). */
#define _GNU_SOURCE
#include "bench_peer.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* Open-file limit the server can have (its hard limit). */
static long fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY) return 65536;
    return (long)rl.rlim_max;
}

static int write_nginx_conf(const peer *p, const bench_cfg *c, char *path, size_t n)
{
    long fds = fd_limit();
    long conns = fds - 100 < 100000 ? fds - 100 : 100000;
    snprintf(path, n, "%s/nginx.conf", p->dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f,
        "# written by danmaku-bench --target nchan --peer-start\n"
        "load_module /usr/lib/nginx/modules/ngx_nchan_module.so;\n"
        "daemon off;\nmaster_process on;\nworker_processes %zu;\n"
        "pid %s/nginx.pid;\nerror_log %s warn;\nworker_rlimit_nofile %ld;\n"
        "events { worker_connections %ld; multi_accept on; }\n"
        "http {\n  access_log off;\n"
        "  client_body_temp_path %s/body; proxy_temp_path %s/proxy; fastcgi_temp_path %s/fcgi;\n"
        "  uwsgi_temp_path %s/uwsgi; scgi_temp_path %s/scgi;\n"
        "  # nchan keeps published messages in shared memory; when it is full a publish\n"
        "  # fails (an error reply, counted) instead of dropping silently. Every\n"
        "  # subscriber is connected before publishing starts and is pushed each\n"
        "  # message as published, so the buffer only has to outlive the delivery.\n"
        "  nchan_max_reserved_memory 512M;\n"
        "  nchan_message_buffer_length 2000;\n  nchan_message_timeout 30s;\n"
        "  keepalive_requests 100000000;\n  client_max_body_size 64k;\n"
        "  server {\n    listen %s:%d reuseport backlog=65535;\n"
        "    location ~ ^/pub/(.+)$ { nchan_publisher; nchan_channel_id $1; }\n"
        "    location ~ ^/sub/(.+)$ { nchan_subscriber websocket; nchan_channel_id $1;"
        " nchan_subscriber_first_message newest; }\n"
        "  }\n}\n",
        c->peer_workers, p->dir, p->log, fds, conns, p->dir, p->dir, p->dir, p->dir, p->dir,
        p->addr.host, p->addr.port);
    return fclose(f) == 0 ? 0 : -1;
}

static pid_t spawn(char *const argv[], const char *out)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0) return pid;
    int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
    setpgid(0, 0);                       /* a terminal's ^C reaches the bench only */
    prctl(PR_SET_PDEATHSIG, SIGTERM);    /* a bench that dies (crash, abort) takes it along */
    execvp(argv[0], argv);
    if (!strchr(argv[0], '/')) {         /* nginx lives in /usr/sbin, often not on PATH */
        char alt[256];
        snprintf(alt, sizeof alt, "/usr/sbin/%s", argv[0]);
        execv(alt, argv);
    }
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static pid_t start_redis(peer *p, const bench_cfg *c)
{
    char port[16], maxc[24], out[160];
    long want = (long)c->viewers + (long)c->pub_conns + 64, lim = fd_limit() - 32;
    snprintf(port, sizeof port, "%d", p->addr.port);
    snprintf(maxc, sizeof maxc, "%ld", want < lim ? want : lim);
    snprintf(p->log, sizeof p->log, "%s/redis.log", p->dir);
    snprintf(out, sizeof out, "%s/stdout.log", p->dir);
    char *argv[] = { "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", p->dir,
                     "--save", "", "--appendonly", "no", "--protected-mode", "no",
                     "--maxclients", maxc, "--logfile", p->log, NULL };
    return spawn(argv, out);
}

static pid_t start_nginx(peer *p, const bench_cfg *c)
{
    char conf[128], out[160];
    snprintf(p->log, sizeof p->log, "%s/error.log", p->dir);
    snprintf(out, sizeof out, "%s/stdout.log", p->dir);
    if (write_nginx_conf(p, c, conf, sizeof conf) < 0) return -1;
    char *argv[] = { "nginx", "-c", conf, "-p", p->dir, "-e", p->log, NULL };
    return spawn(argv, out);
}

/* Connects and (redis) PINGs: 1 when the server answers. */
static int answers(const peer *p)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok = 0;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p->addr.port) };
    inet_pton(AF_INET, p->addr.host, &a.sin_addr);
    struct timeval tv = { 1, 0 };
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        char buf[16] = "";
        ok = p->target != TARGET_REDIS ||
             (write(fd, "PING\r\n", 6) == 6 && read(fd, buf, sizeof buf - 1) > 0 && !strncmp(buf, "+PONG", 5));
    }
    if (fd >= 0) close(fd);
    return ok;
}

/* The last line of a file into out ("" if none). */
static void last_line(const char *path, char *out, size_t n)
{
    char line[512];
    FILE *f = fopen(path, "r");
    out[0] = 0;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0]) snprintf(out, n, "%.*s", (int)(n - 1), line);
    }
    fclose(f);
}

int peer_start(peer *p, const bench_cfg *c, char *err, size_t errsz)
{
    memset(p, 0, sizeof *p);
    p->target = c->target;
    snprintf(p->dir, sizeof p->dir, "/tmp/dm-peer-XXXXXX");
    if (!mkdtemp(p->dir)) { snprintf(err, errsz, "mkdtemp: %s", strerror(errno)); return -1; }
    snprintf(p->addr.host, sizeof p->addr.host, "127.0.0.1");
    p->addr.port = free_port();
    pid_t pid = p->addr.port < 0 ? -1 : c->target == TARGET_REDIS ? start_redis(p, c) : start_nginx(p, c);
    if (pid < 0) { snprintf(err, errsz, "cannot start %s: %s", peer_name(p), strerror(errno)); peer_stop(p); return -1; }
    p->pid = pid;
    for (int i = 0; i < 300; i++) {
        if (!peer_alive(p)) break;
        if (answers(p)) return 0;
        usleep(50000);
    }
    char first[200] = "";
    if (!peer_log_problems(p, first, sizeof first)) last_line(p->log, first, sizeof first);
    snprintf(err, errsz, "%s did not come up on %s:%d (%s; its log: %s)", peer_name(p), p->addr.host, p->addr.port,
             p->exited ? "it exited" : "no answer in 15 s", first[0] ? first : "empty");
    peer_stop(p);
    return -1;
}

int peer_alive(peer *p)
{
    if (!p->pid || p->exited) return 0;
    int st;
    if (waitpid(p->pid, &st, WNOHANG) == p->pid) { p->exited = 1; return 0; }
    return 1;
}

static int serious(int target, const char *l)
{
    if (target == TARGET_REDIS)
        return strstr(l, "# Error") || strstr(l, "Fatal") || strstr(l, "Can't") || strstr(l, "Killed");
    return strstr(l, "[alert]") || strstr(l, "[crit]") || strstr(l, "[emerg]") || strstr(l, "out of shared memory")
        || strstr(l, "shpool");
}

int peer_log_problems(const peer *p, char *first, size_t firstsz)
{
    char path[200], line[1024];
    const char *files[2] = { p->log, "stdout.log" };
    int n = 0;
    if (first && firstsz) first[0] = 0;
    for (int k = 0; k < 2; k++) {
        if (k) snprintf(path, sizeof path, "%s/%s", p->dir, files[1]); else snprintf(path, sizeof path, "%s", files[0]);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        while (fgets(line, sizeof line, f)) {
            if (!serious(p->target, line) && !(k && strncmp(line, "exec ", 5) == 0)) continue;
            line[strcspn(line, "\n")] = 0;
            if (!n && first) snprintf(first, firstsz, "%s", line);
            n++;
        }
        fclose(f);
    }
    return n;
}

/* Removes dir and what the servers left in it (one level of subdirs). */
static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) < 0) rm_tree(path);   /* a directory (EISDIR) */
    }
    closedir(d);
    rmdir(dir);
}

void peer_stop(peer *p)
{
    if (p->pid > 0 && peer_alive(p)) {
        kill(p->pid, SIGTERM);
        for (int i = 0; i < 100 && peer_alive(p); i++) usleep(50000);
        if (peer_alive(p)) { kill(p->pid, SIGKILL); waitpid(p->pid, NULL, 0); p->exited = 1; }
    }
    if (p->pid > 0)            /* nginx workers outlive a killed master: its own process group */
        kill(-p->pid, SIGKILL);
    if (p->dir[0] && !getenv("DM_BENCH_KEEP_PEER_DIR")) rm_tree(p->dir);
    p->pid = 0;
}

const char *peer_name(const peer *p) { return p->target == TARGET_REDIS ? "redis-server" : "nginx"; }
