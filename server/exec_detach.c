/* ---- detached commands (--no-wait) ----
 * Started without pipes (stdin /dev/null, output to the server's), answered
 * at once with ExecStarted and an empty ExecResult; a detached thread reaps
 * each one and logs how it ended. */

#include "exec_internal.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

typedef struct reaper_arg {
    pid_t pid;
    double t0;
    char desc[300];
} reaper_arg;

static void *reap_detached(void *p)
{
    reaper_arg *a = p;
    int st;
    while (waitpid(a->pid, &st, 0) < 0 && errno == EINTR)
        ;
    char how[64];
    exec_status_text(st, 0, how, sizeof how);
    pl_log("detached pid %d (%s) ended: %s after %.3f s", (int)a->pid, a->desc,
           how, (now_ms() - a->t0) / 1e3);
    free(a);
    return NULL;
}

static void start_reaper(pid_t pid, const char *desc)
{
    reaper_arg *a = malloc(sizeof *a);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int ok = 0;
    if (a) {
        a->pid = pid;
        a->t0 = now_ms();
        snprintf(a->desc, sizeof a->desc, "%s", desc);
        ok = pthread_create(&t, &attr, reap_detached, a) == 0;
    }
    pthread_attr_destroy(&attr);
    if (!ok) {
        free(a);
        pl_log("detached pid %d: cannot start a reaper thread; it will stay "
               "a zombie when it ends",
               (int)pid);
    }
}

int exec_detached(exec_call *x, char **envp, int input_done)
{
    pl_session *s = x->s;
    pl_spawn_req sr = {.argv = x->argv,
                       .envp = envp,
                       .cwd = x->cwd,
                       .no_stdin = 1,
                       .detach = 1};
    char msg[512];
    int rc = pl_spawn(&sr, &x->child, msg, sizeof msg);
    if (rc < 0)
        return exec_refuse(s, input_done, PIPELINE__V1__CODE__CODE_UNAVAILABLE,
                           msg);
    if (rc > 0) {
        pl_log("%s: exec by %s: %s: detached start failed: %s", s->peer,
               s->client_key, x->desc, msg);
        if (exec_send_spawn_error(s, rc, msg))
            return -1;
        return exec_finish_call(s, input_done);
    }
    pl_log("%s: exec by %s: %s: detached, pid %d", s->peer, s->client_key,
           x->desc, (int)x->child.pid);
    start_reaper(x->child.pid, x->desc);
    Pipeline__V1__ExecResult r = PIPELINE__V1__EXEC_RESULT__INIT;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC_RESULT;
    f.exec_result = &r;
    if (exec_send_started(s, x->child.pid) || exec_send_frame(s, &f))
        return -1;
    return exec_finish_call(s, input_done);
}
