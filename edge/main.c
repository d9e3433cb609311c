/* main.c — bin/edge: parses the option table, raises RLIMIT_NOFILE and runs
 * the supervisor, which forks the WebSocket fan-out workers. */
#include <stdio.h>
#include <sys/resource.h>
#include "edge_auth.h"
#include "edge_conf.h"
#include "edge_worker.h"
#include "log.h"

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl))
            LOGW("edge", "cannot raise RLIMIT_NOFILE to %llu", (unsigned long long)rl.rlim_max);
    }
}

int main(int argc, char **argv)
{
    edge_conf conf;
    int rc = edge_conf_parse(&conf, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    log_init("edge", conf.log_level);
    log_route_libevent();
    raise_nofile();
    if (edge_auth_init(conf.auth_secret_file))
        return 2;
    rc = edge_supervise(&conf);
    edge_auth_free();
    return rc;
}
