/*
 * The Exec call: run a command with live stdout/stderr, streamed stdin,
 * forwarded signals and an optional timeout. One poll loop drives the
 * socket, the three pipes and the child's exit, so neither side ever
 * blocks in a write while the other is blocked writing too.
 *
 * Frame order (server side): ExecStarted, Data(STDOUT|STDERR)* and
 * EndOfStream(STDOUT|STDERR) as the pipes close, then exactly one
 * ExecResult or Status. A spawn failure is an ExecResult with exit code
 * 127/126 and spawn_error, without ExecStarted.
 */
#include "exec_spawn.h"
#include "log.h"
#include "session.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* After the command exits, output still queued in the pipes is sent; a
 * background process that keeps a pipe open without writing does not hold
 * the answer back longer than this. */
#define QUIET_MS 100
/* Fallback exit check period without pidfd_open. */
#define WAITPID_POLL_MS 50
/* Blocking sends in this handler give up on a client that stopped reading
 * after this long. */
#define SEND_TIMEOUT_MS 30000
/* How long we read and drop leftover client input before closing. */
#define LINGER_MS 1000

typedef struct exec_call {
    pl_session *s;
    int no_stdin;
    char **argv; /* NULL-terminated, owned */
    size_t argc;
    char **extra_env;
    size_t nenv;
    char *cwd;
    char desc[300]; /* argv for the log */
    pl_child child;
    int pidfd;
    int exited, status;
    int gone; /* the client went away or broke the protocol */
    char gone_why[512];
    int protocol_error;
    pl_frame *in_frame; /* stdin waiting for the child */
    size_t in_off;
    int stdin_eos; /* the client sent EndOfStream(STDIN) */
    int timed_out, term_sent, kill_sent;
    double deadline, kill_at, t_start, t_last_out, t_exit;
    uint64_t n_in, n_out, n_err;
    uint8_t *buf;
    struct exec_call *prev, *next; /* in the live list while running */
    int listed;
} exec_call;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- the request ---- */

/* A NUL-terminated copy of a bytes field; NULL (with *bad set) when it
 * holds a NUL byte, which no argument, path or variable can contain. */
static char *dup_bytes(const ProtobufCBinaryData *b, int *bad)
{
    if (b->len && memchr(b->data, 0, b->len)) {
        *bad = 1;
        return NULL;
    }
    char *s = malloc(b->len + 1);
    if (!s) {
        *bad = 2;
        return NULL;
    }
    if (b->len)
        memcpy(s, b->data, b->len);
    s[b->len] = 0;
    return s;
}

static void free_strv(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Appends s to out (cap bytes) with non-printable bytes escaped. */
static void describe_add(char *out, size_t cap, const char *s, int quote)
{
    size_t n = strlen(out);
    const char *more = "...";
    if (n && n + 1 < cap)
        out[n++] = ' ';
    if (quote && n + 1 < cap)
        out[n++] = '\'';
    for (; *s && n + 5 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch >= 0x7f)
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", ch);
        else
            out[n++] = (char)ch;
    }
    if (*s && n + 4 < cap) {
        memcpy(out + n, more, 3);
        n += 3;
    }
    if (quote && n + 1 < cap)
        out[n++] = '\'';
    out[n < cap ? n : cap - 1] = 0;
}

/* Fills x from the request; on a bad request returns -1 with msg set. */
static int parse_request(exec_call *x, const Pipeline__V1__ExecRequest *rq,
                         const char *shell, char *msg, size_t msglen)
{
    int bad = 0;
    if (rq->n_argv && rq->command.len) {
        snprintf(msg, msglen, "give either argv or command, not both");
        return -1;
    }
    if (!rq->n_argv && !rq->command.len) {
        snprintf(msg, msglen, "no command: argv and command are both empty");
        return -1;
    }
    size_t n = rq->n_argv ? rq->n_argv : 3;
    x->argv = calloc(n + 1, sizeof *x->argv);
    if (!x->argv)
        goto nomem;
    x->argc = n;
    if (rq->n_argv) {
        for (size_t i = 0; i < n; i++) {
            x->argv[i] = dup_bytes(&rq->argv[i], &bad);
            if (!x->argv[i])
                goto fail;
            describe_add(x->desc, sizeof x->desc, x->argv[i], 0);
        }
    } else {
        x->argv[0] = strdup(shell);
        x->argv[1] = strdup("-c");
        x->argv[2] = dup_bytes(&rq->command, &bad);
        if (!x->argv[0] || !x->argv[1] || !x->argv[2]) {
            bad = bad ? bad : 2;
            goto fail;
        }
        describe_add(x->desc, sizeof x->desc, shell, 0);
        describe_add(x->desc, sizeof x->desc, "-c", 0);
        describe_add(x->desc, sizeof x->desc, x->argv[2], 1);
    }
    if (rq->n_env) {
        x->extra_env = calloc(rq->n_env, sizeof *x->extra_env);
        if (!x->extra_env)
            goto nomem;
        x->nenv = rq->n_env;
        for (size_t i = 0; i < rq->n_env; i++) {
            char *e = dup_bytes(&rq->env[i], &bad);
            if (!e)
                goto fail;
            x->extra_env[i] = e;
            if (e[0] == '=' || !strchr(e, '=')) {
                snprintf(msg, msglen,
                         "environment entry \"%.100s\" is not NAME=value", e);
                return -1;
            }
        }
    }
    if (rq->cwd.len) {
        x->cwd = dup_bytes(&rq->cwd, &bad);
        if (!x->cwd)
            goto fail;
    }
    return 0;
fail:
    if (bad == 1) {
        snprintf(msg, msglen,
                 "arguments, environment and cwd cannot contain NUL bytes");
        return -1;
    }
nomem:
    snprintf(msg, msglen, "out of memory");
    return -1;
}

static void live_remove(exec_call *x);

static void exec_call_free(exec_call *x)
{
    live_remove(x);
    free_strv(x->argv, x->argc);
    free_strv(x->extra_env, x->nenv);
    free(x->cwd);
    pl_frame_free(x->in_frame);
    x->in_frame = NULL;
    if (x->child.in_fd >= 0)
        close(x->child.in_fd);
    if (x->child.out_fd >= 0)
        close(x->child.out_fd);
    if (x->child.err_fd >= 0)
        close(x->child.err_fd);
    if (x->pidfd >= 0)
        close(x->pidfd);
    free(x->buf);
}

/* ---- the process ---- */

static int pidfd_open_(pid_t pid)
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

/* ---- commands running now ----
 * A server that shuts down takes its running commands with it: TERM, and
 * KILL for what is left after the grace period. Detached (--no-wait)
 * commands are not listed: they are meant to outlive the call. */

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

static void live_add(exec_call *x)
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
static void live_remove(exec_call *x)
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

static void kill_group(exec_call *x, int sig)
{
    if (!x->exited)
        killpg(x->child.pid, sig);
}

/* Reaps the child once it has ended. While the exited leader is still a
 * zombie its process group id cannot be reused, so that is the one safe
 * moment to kill what is left of a group we were told to stop. */
static int check_exit(exec_call *x)
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
        live_remove(x);
        x->exited = 1;
        x->status = 255 << 8;
        x->t_exit = now_ms();
        return 1;
    }
    if (si.si_pid != x->child.pid)
        return 0;
    if (x->term_sent || x->gone)
        killpg(x->child.pid, SIGKILL);
    live_remove(x);
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
    while (!check_exit(x)) {
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

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close_stdin(exec_call *x)
{
    pl_frame_free(x->in_frame);
    x->in_frame = NULL;
    close_fd(&x->child.in_fd);
}

/* The client is gone (or broke the protocol): the command must not
 * outlive it. TERM the group, KILL it after the grace period, reap. */
static void stop_orphaned(exec_call *x)
{
    close_stdin(x);
    close_fd(&x->child.out_fd);
    close_fd(&x->child.err_fd);
    if (check_exit(x))
        return;
    kill_group(x, SIGTERM);
    wait_exit(x, x->s->cfg->kill_grace_ms);
    if (!x->exited) {
        kill_group(x, SIGKILL);
        wait_exit(x, 5000);
    }
    if (!x->exited) {
        /* Uninterruptible sleep: reap it whenever it ends. */
        live_remove(x);
        int st;
        while (waitpid(x->child.pid, &st, 0) < 0 && errno == EINTR)
            ;
        x->exited = 1;
        x->status = st;
    }
}

/* ---- frames from the client ---- */

static void set_gone(exec_call *x, int protocol, const char *why)
{
    if (x->gone)
        return;
    x->gone = 1;
    x->protocol_error = protocol;
    snprintf(x->gone_why, sizeof x->gone_why, "%s", why);
}

static void write_stdin(exec_call *x)
{
    while (x->in_frame) {
        const ProtobufCBinaryData *d = &x->in_frame->data->data;
        ssize_t n =
            write(x->child.in_fd, d->data + x->in_off, d->len - x->in_off);
        if (n > 0) {
            x->in_off += (size_t)n;
            x->n_in += (uint64_t)n;
            if (x->in_off == d->len) {
                pl_frame_free(x->in_frame);
                x->in_frame = NULL;
                if (x->stdin_eos)
                    close_stdin(x);
            }
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            /* The command closed its stdin: drop the rest, like a pipe. */
            close_stdin(x);
        }
    }
}

static int forwardable(int sig)
{
    return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGKILL ||
           sig == SIGQUIT || sig == SIGUSR1 || sig == SIGUSR2;
}

/* Takes ownership of f. */
static void on_frame(exec_call *x, pl_frame *f)
{
    char why[200];
    switch (f->body_case) {
    case PIPELINE__V1__FRAME__BODY_DATA:
        if (f->data->stream != PIPELINE__V1__STREAM_ID__STREAM_STDIN) {
            set_gone(x, 1, "a client may only send stdin data during exec");
            break;
        }
        if (x->stdin_eos) {
            set_gone(x, 1, "stdin data after the end of stdin");
            break;
        }
        if (x->child.in_fd < 0 || f->data->data.len == 0)
            break; /* no_stdin, or the command no longer reads: dropped */
        x->in_frame = f;
        x->in_off = 0;
        write_stdin(x);
        return;
    case PIPELINE__V1__FRAME__BODY_END:
        if (f->end->stream != PIPELINE__V1__STREAM_ID__STREAM_STDIN) {
            set_gone(x, 1, "a client may only end stdin during exec");
            break;
        }
        x->stdin_eos = 1;
        if (!x->in_frame)
            close_stdin(x);
        break;
    case PIPELINE__V1__FRAME__BODY_SIGNAL: {
        int sig = f->signal->signo;
        if (!forwardable(sig))
            pl_log("%s: exec pid %d: ignored signal %d from the client",
                   x->s->peer, (int)x->child.pid, sig);
        else
            kill_group(x, sig);
        break;
    }
    default:
        snprintf(why, sizeof why, "unexpected %s frame during exec",
                 pl_frame_name(f->body_case));
        set_gone(x, 1, why);
        break;
    }
    pl_frame_free(f);
}

static void read_client(exec_call *x)
{
    pl_error err;
    while (!x->gone && !x->in_frame) {
        pl_frame *f = NULL;
        int rc = pl_channel_read_step(&x->s->ch, &f, &err);
        if (rc == 0)
            return;
        if (rc < 0) {
            set_gone(x, err.code == PL_ERR_PROTOCOL, err.msg);
            return;
        }
        on_frame(x, f);
    }
}

/* ---- output to the client ---- */

static void queue_eos(exec_call *x, int stream, uint64_t total)
{
    Pipeline__V1__EndOfStream e = PIPELINE__V1__END_OF_STREAM__INIT;
    e.stream = stream;
    e.total_length = total;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_END;
    f.end = &e;
    pl_error err;
    if (pl_channel_queue(&x->s->ch, &f, &err))
        set_gone(x, 0, err.msg);
}

/* Moves pipe output into Data frames while the channel takes them. */
static void pump(exec_call *x, int *fd, int stream, uint64_t *count)
{
    pl_channel *ch = &x->s->ch;
    /* A few chunks per turn keeps the loop fair to the other fds. */
    for (int turn = 0; turn < 16 && *fd >= 0 && !x->gone; turn++) {
        if (pl_channel_pending(ch))
            return;
        ssize_t n = read(*fd, x->buf, PL_CHUNK_MAX);
        if (n > 0) {
            *count += (uint64_t)n;
            x->t_last_out = now_ms();
            pl_error err;
            if (pl_channel_queue_data(ch, stream, x->buf, (size_t)n, &err))
                set_gone(x, 0, err.msg);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        close_fd(fd);
        queue_eos(x, stream, *count);
    }
}

static int queue_result(exec_call *x)
{
    Pipeline__V1__ExecResult r = PIPELINE__V1__EXEC_RESULT__INIT;
    if (WIFSIGNALED(x->status)) {
        r.signal = WTERMSIG(x->status);
        r.exit_code = 128 + r.signal;
    } else {
        r.exit_code = WEXITSTATUS(x->status);
    }
    r.timed_out = x->timed_out;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC_RESULT;
    f.exec_result = &r;
    pl_error err;
    if (pl_channel_queue(&x->s->ch, &f, &err)) {
        set_gone(x, 0, err.msg);
        return -1;
    }
    return 0;
}

/* ---- the loop ---- */

static void timers(exec_call *x, double now)
{
    if (x->exited)
        return;
    if (x->deadline > 0 && !x->term_sent && now >= x->deadline) {
        x->timed_out = x->term_sent = 1;
        x->kill_at = now + x->s->cfg->kill_grace_ms;
        pl_log("%s: exec pid %d: timed out, terminating its process group",
               x->s->peer, (int)x->child.pid);
        kill_group(x, SIGTERM);
    }
    if (x->term_sent && !x->kill_sent && now >= x->kill_at) {
        x->kill_sent = 1;
        kill_group(x, SIGKILL);
    }
}

static void min_wait(int *timeout, double ms)
{
    if (ms > 3600e3) /* a far deadline: wake up hourly rather than overflow */
        ms = 3600e3;
    int t = ms <= 0 ? 0 : (int)ms + 1;
    if (*timeout < 0 || t < *timeout)
        *timeout = t;
}

/* Since when the pipes of an exited command have given nothing. */
static double quiet_since(const exec_call *x)
{
    return x->t_last_out > x->t_exit ? x->t_last_out : x->t_exit;
}

/* Runs until the result is sent (0) or the client is gone (-1). */
static int run_loop(exec_call *x)
{
    pl_channel *ch = &x->s->ch;
    int result_queued = 0;
    for (;;) {
        pl_error err;
        if (pl_channel_pending(ch) && pl_channel_flush(ch, &err) < 0)
            set_gone(x, 0, err.msg);
        if (x->gone)
            return -1;
        double now = now_ms();
        if (x->pidfd < 0)
            check_exit(x);
        timers(x, now);
        int pending = pl_channel_pending(ch) != 0;
        /* Time blocked on the client does not count as the pipes being
         * quiet. */
        if (pending)
            x->t_last_out = now;
        if (x->exited) {
            close_stdin(x);
            /* Past the exit, stop at EOF or once the pipes fall quiet. */
            if (!pending && now - quiet_since(x) >= QUIET_MS) {
                close_fd(&x->child.out_fd);
                close_fd(&x->child.err_fd);
            }
            if (x->child.out_fd < 0 && x->child.err_fd < 0 && !pending) {
                if (result_queued)
                    return 0;
                if (queue_result(x))
                    return -1;
                result_queued = 1;
                continue;
            }
        }

        struct pollfd p[5];
        int n = 0, i_sock, i_pid = -1, i_in = -1, i_out = -1, i_err = -1;
        short sev = pending ? POLLOUT : 0;
        /* With stdin waiting for the child we stop reading the socket (flow
         * control), but still notice a client that hangs up. */
        sev |= x->in_frame ? POLLRDHUP : POLLIN;
        i_sock = n;
        p[n++] = (struct pollfd){.fd = ch->fd, .events = sev};
        if (x->pidfd >= 0 && !x->exited) {
            i_pid = n;
            p[n++] = (struct pollfd){.fd = x->pidfd, .events = POLLIN};
        }
        if (x->in_frame) {
            i_in = n;
            p[n++] = (struct pollfd){.fd = x->child.in_fd, .events = POLLOUT};
        }
        if (!pending && x->child.out_fd >= 0) {
            i_out = n;
            p[n++] = (struct pollfd){.fd = x->child.out_fd, .events = POLLIN};
        }
        if (!pending && x->child.err_fd >= 0) {
            i_err = n;
            p[n++] = (struct pollfd){.fd = x->child.err_fd, .events = POLLIN};
        }
        int timeout = -1;
        if (!x->exited) {
            if (x->deadline > 0 && !x->term_sent)
                min_wait(&timeout, x->deadline - now);
            if (x->term_sent && !x->kill_sent)
                min_wait(&timeout, x->kill_at - now);
            if (x->pidfd < 0)
                min_wait(&timeout, WAITPID_POLL_MS);
        } else if (!pending) {
            min_wait(&timeout, quiet_since(x) + QUIET_MS - now);
        }
        if (poll(p, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            set_gone(x, 0, "poll failed");
            return -1;
        }

        short rev = p[i_sock].revents;
        if (x->in_frame && (rev & (POLLRDHUP | POLLHUP | POLLERR)))
            set_gone(x, 0, "the client closed the connection");
        else if (rev & (POLLIN | POLLHUP | POLLERR))
            read_client(x);
        if (i_pid >= 0 && p[i_pid].revents)
            check_exit(x);
        if (i_in >= 0 && p[i_in].revents && x->in_frame)
            write_stdin(x);
        if (i_out >= 0 && p[i_out].revents)
            pump(x, &x->child.out_fd, PIPELINE__V1__STREAM_ID__STREAM_STDOUT,
                 &x->n_out);
        if (i_err >= 0 && p[i_err].revents)
            pump(x, &x->child.err_fd, PIPELINE__V1__STREAM_ID__STREAM_STDERR,
                 &x->n_err);
    }
}

/* ---- ending the call ---- */

/* The connection can carry another call only when the client has said all
 * it will say for this one. Otherwise stop writing, drop what it still
 * sends for a moment (closing with unread input could reset the
 * connection before the client reads our answer), and close. */
static int finish_call(pl_session *s, int input_done)
{
    if (input_done)
        return 0;
    shutdown(s->ch.fd, SHUT_WR);
    char scratch[4096];
    double end = now_ms() + LINGER_MS;
    for (;;) {
        double left = end - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {.fd = s->ch.fd, .events = POLLIN};
        if (poll(&p, 1, (int)left + 1) <= 0)
            break;
        ssize_t n = read(s->ch.fd, scratch, sizeof scratch);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            break;
    }
    return -1;
}

static int refuse(pl_session *s, int input_done, int code, const char *msg)
{
    pl_log("%s: exec by %s refused: %s", s->peer, s->client_key, msg);
    if (pl_channel_send_status(&s->ch, code, "%s", msg))
        return -1;
    return finish_call(s, input_done);
}

static int send_frame(pl_session *s, pl_frame *f)
{
    pl_error err;
    return pl_channel_send(&s->ch, f, &err);
}

static int send_started(pl_session *s, pid_t pid)
{
    Pipeline__V1__ExecStarted st = PIPELINE__V1__EXEC_STARTED__INIT;
    st.pid = (int32_t)pid;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC_STARTED;
    f.exec_started = &st;
    return send_frame(s, &f);
}

static int send_spawn_error(pl_session *s, int code, const char *msg)
{
    Pipeline__V1__ExecResult r = PIPELINE__V1__EXEC_RESULT__INIT;
    r.exit_code = code;
    r.spawn_error = (char *)msg;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC_RESULT;
    f.exec_result = &r;
    return send_frame(s, &f);
}

static void status_text(int st, int timed_out, char *out, size_t cap)
{
    if (WIFSIGNALED(st))
        snprintf(out, cap, "killed by signal %d%s", WTERMSIG(st),
                 timed_out ? " (timed out)" : "");
    else
        snprintf(out, cap, "exit %d%s", WEXITSTATUS(st),
                 timed_out ? " (timed out)" : "");
}

/* ---- detached commands (--no-wait) ---- */

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
    status_text(st, 0, how, sizeof how);
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

static int exec_detached(exec_call *x, char **envp, int input_done)
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
        return refuse(s, input_done, PIPELINE__V1__CODE__CODE_UNAVAILABLE, msg);
    if (rc > 0) {
        pl_log("%s: exec by %s: %s: detached start failed: %s", s->peer,
               s->client_key, x->desc, msg);
        if (send_spawn_error(s, rc, msg))
            return -1;
        return finish_call(s, input_done);
    }
    pl_log("%s: exec by %s: %s: detached, pid %d", s->peer, s->client_key,
           x->desc, (int)x->child.pid);
    start_reaper(x->child.pid, x->desc);
    Pipeline__V1__ExecResult r = PIPELINE__V1__EXEC_RESULT__INIT;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC_RESULT;
    f.exec_result = &r;
    if (send_started(s, x->child.pid) || send_frame(s, &f))
        return -1;
    return finish_call(s, input_done);
}

/* ---- the handler ---- */

static int exec_attached(exec_call *x, char **envp,
                         const Pipeline__V1__ExecRequest *rq)
{
    pl_session *s = x->s;
    pl_spawn_req sr = {
        .argv = x->argv, .envp = envp, .cwd = x->cwd, .no_stdin = x->no_stdin};
    char msg[512];
    x->t_start = now_ms();
    int rc = pl_spawn(&sr, &x->child, msg, sizeof msg);
    if (rc < 0)
        return refuse(s, x->no_stdin, PIPELINE__V1__CODE__CODE_UNAVAILABLE,
                      msg);
    if (rc > 0) {
        pl_log("%s: exec by %s: %s: cannot start: %s", s->peer, s->client_key,
               x->desc, msg);
        if (send_spawn_error(s, rc, msg))
            return -1;
        return finish_call(s, x->no_stdin);
    }
    live_add(x);
    x->pidfd = pidfd_open_(x->child.pid);
    if (x->pidfd < 0)
        pl_log("%s: exec pid %d: pidfd_open: %s; polling with waitpid", s->peer,
               (int)x->child.pid, strerror(errno));
    if (rq->timeout_secs)
        x->deadline = x->t_start + rq->timeout_secs * 1000.0;
    x->buf = malloc(PL_CHUNK_MAX);
    Pipeline__V1__ExecStarted st = PIPELINE__V1__EXEC_STARTED__INIT;
    st.pid = (int32_t)x->child.pid;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC_STARTED;
    f.exec_started = &st;
    pl_error err;
    if (!x->buf)
        set_gone(x, 0, "out of memory");
    else if (pl_channel_queue(&s->ch, &f, &err))
        set_gone(x, 0, err.msg);

    int loop_rc = x->gone ? -1 : run_loop(x);
    double secs = (now_ms() - x->t_start) / 1e3;
    if (loop_rc) {
        stop_orphaned(x);
        char how[64];
        status_text(x->status, 0, how, sizeof how);
        pl_log("%s: exec by %s: %s: pid %d stopped (%s) after %.3f s: %s",
               s->peer, s->client_key, x->desc, (int)x->child.pid, how, secs,
               x->gone_why);
        if (x->protocol_error)
            pl_channel_send_status(&s->ch,
                                   PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                                   "%s", x->gone_why);
        return -1;
    }
    char how[64];
    status_text(x->status, x->timed_out, how, sizeof how);
    pl_log("%s: exec by %s: %s: pid %d, %s, %.3f s, stdin %llu, stdout %llu, "
           "stderr %llu bytes",
           s->peer, s->client_key, x->desc, (int)x->child.pid, how, secs,
           (unsigned long long)x->n_in, (unsigned long long)x->n_out,
           (unsigned long long)x->n_err);
    return finish_call(s, x->no_stdin || x->stdin_eos);
}

int pl_handle_exec(pl_session *s, pl_frame *req)
{
    const Pipeline__V1__ExecRequest *rq = req->exec;
    exec_call *x = calloc(1, sizeof *x);
    if (!x) {
        pl_frame_free(req);
        return -1;
    }
    x->s = s;
    x->pidfd = -1;
    x->child.pid = -1;
    x->child.in_fd = x->child.out_fd = x->child.err_fd = -1;
    x->no_stdin = rq->no_stdin;
    s->ch.timeout_ms = SEND_TIMEOUT_MS;
    int rc;
    char msg[512];
    if (!s->cfg->allow_exec) {
        rc = refuse(s, x->no_stdin, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED,
                    "exec is disabled on this server (server.allow_exec)");
        goto out;
    }
    if (parse_request(x, rq, s->cfg->shell ? s->cfg->shell : "/bin/sh", msg,
                      sizeof msg)) {
        rc = refuse(s, x->no_stdin, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                    msg);
        goto out;
    }
    char **envp = pl_spawn_env(x->extra_env, x->nenv);
    if (!envp) {
        rc = refuse(s, x->no_stdin, PIPELINE__V1__CODE__CODE_RESOURCE_EXHAUSTED,
                    "out of memory");
        goto out;
    }
    if (rq->no_wait) {
        rc = exec_detached(x, envp, x->no_stdin);
    } else if (pl_server_take_exec(s->srv)) {
        snprintf(msg, sizeof msg,
                 "too many commands running (server.max_execs is %d)",
                 s->cfg->max_execs);
        rc = refuse(s, x->no_stdin, PIPELINE__V1__CODE__CODE_RESOURCE_EXHAUSTED,
                    msg);
    } else {
        rc = exec_attached(x, envp, rq);
        pl_server_put_exec(s->srv);
    }
    free(envp);
out:
    exec_call_free(x);
    free(x);
    pl_frame_free(req);
    return rc;
}
