/* ---- commands running now ----
 * A server that shuts down takes its running commands with it: TERM, and
 * KILL for what is left after the grace period. Detached (--no-wait)
 * commands are not listed: they are meant to outlive the call. */

#include "exec_internal.h"
#include "log.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static exec_call *live_head;
static int live_grace_ms = 2000;

static int leader_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
           si.si_pid == pid;
}

/* Called by the server as it stops. The lock is kept, so no thread reaps
 * a listed child (and frees its pid for reuse) while we signal its group;
 * the process exits next. */
void pl_exec_shutdown(void)
{
    pthread_mutex_lock(&live_lock);
    if (!live_head)
        return;
    int n = 0;
    for (exec_call *x = live_head; x; x = x->next, n++)
        killpg(x->child.pid, SIGTERM);
    pl_log("stopping: terminated %d running command%s", n, n == 1 ? "" : "s");
    double end = now_ms() + live_grace_ms;
    for (;;) {
        int left = 0;
        for (exec_call *x = live_head; x; x = x->next)
            left += !leader_exited(x->child.pid);
        if (!left || now_ms() >= end)
            break;
        poll(NULL, 0, 20);
    }
    for (exec_call *x = live_head; x; x = x->next)
        killpg(x->child.pid, SIGKILL);
}

void exec_live_add(exec_call *x)
{
    pthread_mutex_lock(&live_lock);
    live_grace_ms = x->s->cfg->kill_grace_ms;
    x->prev = NULL;
    x->next = live_head;
    if (live_head)
        live_head->prev = x;
    live_head = x;
    x->listed = 1;
    pthread_mutex_unlock(&live_lock);
}

/* Before reaping: after waitpid the pid may belong to someone else. */
void exec_live_remove(exec_call *x)
{
    pthread_mutex_lock(&live_lock);
    if (x->listed) {
        if (x->prev)
            x->prev->next = x->next;
        else
            live_head = x->next;
        if (x->next)
            x->next->prev = x->prev;
        x->listed = 0;
    }
    pthread_mutex_unlock(&live_lock);
}
