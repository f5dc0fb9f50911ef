/* The Exec poll loop: stdin frames from the client to the child, the
 * child's output to the client as Data frames, signals, the timeout and
 * the child's exit, until the result is sent or the client is gone. */
#include "exec_internal.h"
#include "exec_tty.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* After the command exits, output still queued in the pipes is sent; a
 * background process that keeps a pipe open without writing does not hold
 * the answer back longer than this. */
#define QUIET_MS 100

/* ---- frames from the client ---- */

void exec_set_gone(exec_call *x, int protocol, const char *why)
{
    if (x->gone)
        return;
    x->gone = 1;
    x->protocol_error = protocol;
    snprintf(x->gone_why, sizeof x->gone_why, "%s", why);
}

/* The client's stdin has ended: a pipe is closed; a terminal is typed
 * its end-of-file character instead, since closing our side of it would
 * end the output too. */
static void end_stdin(exec_call *x)
{
    if (x->tty && x->child.in_fd >= 0)
        exec_tty_send_eof(x->child.in_fd);
    exec_close_stdin(x);
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
                    end_stdin(x);
            }
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            /* The command closed its stdin: drop the rest, like a pipe. */
            exec_close_stdin(x);
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
            exec_set_gone(x, 1,
                          "a client may only send stdin data during exec");
            break;
        }
        if (x->stdin_eos) {
            exec_set_gone(x, 1, "stdin data after the end of stdin");
            break;
        }
        x->n_in_recv += f->data->data.len;
        if (x->child.in_fd < 0 || f->data->data.len == 0)
            break; /* no_stdin, or the command no longer reads: dropped */
        x->in_frame = f;
        x->in_off = 0;
        write_stdin(x);
        return;
    case PIPELINE__V1__FRAME__BODY_END:
        if (f->end->stream != PIPELINE__V1__STREAM_ID__STREAM_STDIN) {
            exec_set_gone(x, 1, "a client may only end stdin during exec");
            break;
        }
        if (f->end->total_length != x->n_in_recv) {
            /* As for files: the stream counts only when the announced
             * length matches what arrived. The command has seen partial
             * input, so it is stopped rather than given an early EOF. */
            snprintf(why, sizeof why,
                     "stdin: %llu bytes arrived, the client announced %llu",
                     (unsigned long long)x->n_in_recv,
                     (unsigned long long)f->end->total_length);
            if (!x->gone)
                x->gone_code = PIPELINE__V1__CODE__CODE_DATA_LOSS;
            exec_set_gone(x, 1, why);
            break;
        }
        x->stdin_eos = 1;
        if (!x->in_frame)
            end_stdin(x);
        break;
    case PIPELINE__V1__FRAME__BODY_WINDOW_SIZE:
        /* Resizes race with the command's end and with a client that
         * asked for no terminal; neither is worth ending the call. */
        if (x->tty && x->child.out_fd >= 0)
            exec_tty_resize(x->child.out_fd, f->window_size);
        break;
    case PIPELINE__V1__FRAME__BODY_SIGNAL: {
        int sig = f->signal->signo;
        if (!forwardable(sig))
            pl_log("%s: exec pid %d: ignored signal %d from the client",
                   x->s->peer, (int)x->child.pid, sig);
        else
            exec_kill_group(x, sig);
        break;
    }
    default:
        snprintf(why, sizeof why, "unexpected %s frame during exec",
                 pl_frame_name(f->body_case));
        exec_set_gone(x, 1, why);
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
            exec_set_gone(x, err.code == PL_ERR_PROTOCOL, err.msg);
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
        exec_set_gone(x, 0, err.msg);
}

/* Moves pipe output into Data frames while the channel takes them. */
static void pump(exec_call *x, int *fd, int stream, uint64_t *count)
{
    pl_channel *ch = &x->s->ch;
    /* A few chunks per turn keeps the loop fair to the other fds. */
    for (int turn = 0; turn < 16 && *fd >= 0 && !x->gone; turn++) {
        if (pl_channel_pending(ch))
            return;
        /* Read into the channel's buffer: sealed in place, no copy. */
        ssize_t n = read(*fd, pl_channel_room(ch), PL_CHUNK_MAX);
        if (n > 0) {
            *count += (uint64_t)n;
            x->t_last_out = now_ms();
            pl_error err;
            if (pl_channel_queue_room(ch, stream, (size_t)n, &err))
                exec_set_gone(x, 0, err.msg);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        exec_close_fd(fd);
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
        exec_set_gone(x, 0, err.msg);
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
        exec_kill_group(x, SIGTERM);
    }
    if (x->term_sent && !x->kill_sent && now >= x->kill_at) {
        x->kill_sent = 1;
        exec_kill_group(x, SIGKILL);
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
int exec_run_loop(exec_call *x)
{
    pl_channel *ch = &x->s->ch;
    int result_queued = 0;
    for (;;) {
        pl_error err;
        if (pl_channel_pending(ch) && pl_channel_flush(ch, &err) < 0)
            exec_set_gone(x, 0, err.msg);
        if (x->gone)
            return -1;
        double now = now_ms();
        if (x->pidfd < 0)
            exec_check_exit(x);
        timers(x, now);
        int pending = pl_channel_pending(ch) != 0;
        /* Time blocked on the client does not count as the pipes being
         * quiet. */
        if (pending)
            x->t_last_out = now;
        if (x->exited) {
            exec_close_stdin(x);
            /* Past the exit, stop at EOF or once the pipes fall quiet. */
            if (!pending && now - quiet_since(x) >= QUIET_MS) {
                exec_close_fd(&x->child.out_fd);
                exec_close_fd(&x->child.err_fd);
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
            exec_set_gone(x, 0, "poll failed");
            return -1;
        }

        short rev = p[i_sock].revents;
        if (x->in_frame && (rev & (POLLRDHUP | POLLHUP | POLLERR)))
            exec_set_gone(x, 0, "the client closed the connection");
        else if (rev & (POLLIN | POLLHUP | POLLERR))
            read_client(x);
        if (i_pid >= 0 && p[i_pid].revents)
            exec_check_exit(x);
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
