/* The command's process for Exec: its pidfd, signals to its group,
 * reaping it, and stopping it when the client is gone. */
#include "exec_internal.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the process ---- */

int exec_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    const char *off = getenv("PIPELINE_NO_PIDFD");
    if (off && off[0] && strcmp(off, "0") != 0) {
        errno = ENOSYS;
        return -1;
    }
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

void exec_kill_group(exec_call *x, int sig)
{
    if (!x->exited)
        killpg(x->child.pid, sig);
}

/* Reaps the child once it has ended. While the exited leader is still a
 * zombie its process group id cannot be reused, so that is the one safe
 * moment to kill what is left of a group we were told to stop. */
int exec_check_exit(exec_call *x)
{
    if (x->exited)
        return 1;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)x->child.pid, &si, WEXITED | WNOHANG | WNOWAIT)) {
        if (errno != ECHILD)
            return 0;
        /* Someone else reaped it (a SIGCHLD handler set to SIG_IGN?). */
        pl_log("%s: exec pid %d: reaped elsewhere; exit status unknown",
               x->s->peer, (int)x->child.pid);
        exec_live_remove(x);
        x->exited = 1;
        x->status = 255 << 8;
        x->t_exit = now_ms();
        return 1;
    }
    if (si.si_pid != x->child.pid)
        return 0;
    if (x->term_sent || x->gone)
        killpg(x->child.pid, SIGKILL);
    exec_live_remove(x);
    int st;
    while (waitpid(x->child.pid, &st, 0) < 0 && errno == EINTR)
        ;
    x->exited = 1;
    x->status = st;
    x->t_exit = now_ms();
    return 1;
}

/* Waits up to ms for the child to end. */
static void wait_exit(exec_call *x, int ms)
{
    double end = now_ms() + ms;
    while (!exec_check_exit(x)) {
        double left = end - now_ms();
        if (left <= 0)
            return;
        int step = left > WAITPID_POLL_MS ? WAITPID_POLL_MS : (int)left + 1;
        if (x->pidfd >= 0) {
            struct pollfd p = {.fd = x->pidfd, .events = POLLIN};
            poll(&p, 1, (int)left + 1);
        } else {
            poll(NULL, 0, step);
        }
    }
}

void exec_close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void exec_close_stdin(exec_call *x)
{
    pl_frame_free(x->in_frame);
    x->in_frame = NULL;
    exec_close_fd(&x->child.in_fd);
}

/* The client is gone (or broke the protocol): the command must not
 * outlive it. TERM the group, KILL it after the grace period, reap. */
void exec_stop_orphaned(exec_call *x)
{
    exec_close_stdin(x);
    exec_close_fd(&x->child.out_fd);
    exec_close_fd(&x->child.err_fd);
    if (exec_check_exit(x))
        return;
    exec_kill_group(x, SIGTERM);
    wait_exit(x, x->s->cfg->kill_grace_ms);
    if (!x->exited) {
        exec_kill_group(x, SIGKILL);
        wait_exit(x, 5000);
    }
    if (!x->exited) {
        /* Uninterruptible sleep: reap it whenever it ends. */
        exec_live_remove(x);
        int st;
        while (waitpid(x->child.pid, &st, 0) < 0 && errno == EINTR)
            ;
        x->exited = 1;
        x->status = st;
    }
}
