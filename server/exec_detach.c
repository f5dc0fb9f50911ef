/* ---- detached commands (--no-wait) ----
 * Started without pipes (stdin /dev/null, output to the server's), answered
 * at once with ExecStarted and an empty ExecResult. A detached command
 * counts in server.max_execs until it ends: it is a running command like
 * any other, and without a bound a client could start them without end.
 * One reaper thread for all of them (started with the first) collects
 * their exit statuses by pid with WNOHANG, which never takes an attached
 * command's status, and logs how each ended. */

#include "exec_internal.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* How often the reaper looks for ended commands: the longest a finished
 * detached command stays a zombie. */
#define REAP_EVERY_MS 100

typedef struct detached {
    pid_t pid;
    double t0;
    pl_server *srv; /* whose exec slot it holds */
    char desc[300];
    struct detached *next;
} detached;

static pthread_mutex_t reap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reap_cond = PTHREAD_COND_INITIALIZER;
static detached *reap_list;
static int reaper_running;

/* Reaps what has ended; called with reap_lock held. */
static void reap_ended(void)
{
    for (detached **pp = &reap_list; *pp;) {
        detached *d = *pp;
        int st = 0;
        pid_t r = waitpid(d->pid, &st, WNOHANG);
        if (r == 0 || (r < 0 && errno == EINTR)) {
            pp = &d->next;
            continue;
        }
        char how[64] = "status lost";
        if (r > 0)
            exec_status_text(st, 0, how, sizeof how);
        pl_log("detached pid %d (%s) ended: %s after %.3f s", (int)d->pid,
               d->desc, how, (now_ms() - d->t0) / 1e3);
        pl_server_put_exec(d->srv);
        *pp = d->next;
        free(d);
    }
}

static void *reaper(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&reap_lock);
    for (;;) {
        while (!reap_list)
            pthread_cond_wait(&reap_cond, &reap_lock);
        reap_ended();
        if (!reap_list)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += REAP_EVERY_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&reap_cond, &reap_lock, &ts);
    }
    return NULL;
}

/* Hands the child to the reaper; -1 when the reaper cannot start. */
static int watch_detached(pl_server *srv, pid_t pid, const char *desc)
{
    detached *d = malloc(sizeof *d);
    if (!d)
        return -1;
    d->pid = pid;
    d->t0 = now_ms();
    d->srv = srv;
    snprintf(d->desc, sizeof d->desc, "%s", desc);
    pthread_mutex_lock(&reap_lock);
    if (!reaper_running) {
        pthread_attr_t attr;
        pthread_t t;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        reaper_running = pthread_create(&t, &attr, reaper, NULL) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!reaper_running) {
        pthread_mutex_unlock(&reap_lock);
        free(d);
        return -1;
    }
    d->next = reap_list;
    reap_list = d;
    pthread_cond_signal(&reap_cond);
    pthread_mutex_unlock(&reap_lock);
    return 0;
}

/* Holds one of server.max_execs, taken by the caller. */
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
    if (rc != 0)
        pl_server_put_exec(s->srv);
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
    if (watch_detached(s->srv, x->child.pid, x->desc)) {
        pl_log("detached pid %d: cannot start the reaper; it will stay a "
               "zombie when it ends",
               (int)x->child.pid);
        pl_server_put_exec(s->srv);
    }
    Pipeline__V1__ExecResult r = PIPELINE__V1__EXEC_RESULT__INIT;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC_RESULT;
    f.exec_result = &r;
    if (exec_send_started(s, x->child.pid) || exec_send_frame(s, &f))
        return -1;
    return exec_finish_call(s, input_done);
}
