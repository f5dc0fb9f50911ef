/*
 * Client side of Exec: one poll loop over the socket, the local stdin and
 * the signal pipe. Output frames are written to the local descriptors as
 * they arrive; stdin is read only while the channel can take it, so memory
 * stays constant and the two ends never block each other.
 */
#include "exec.h"
#include "escape.h"
#include "ttymodes.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIGNALS 16
/* Ctrl-C must never hang. A Signal frame can wait behind stdin the command
 * does not read (the server stops reading us then), where nothing can tell
 * whether the server has seen it. So we give the connection up, which the
 * server answers by stopping the command, when the call has not ended
 * SIGNAL_WAIT_MS after a signal while our output has been stuck for
 * STALL_MS, or at once on a second signal. */
#define SIGNAL_WAIT_MS 2000
#define STALL_MS 1000

typedef struct exec_client {
    pl_client *c;
    const pl_exec_io *io;
    pl_exec_result *res;
    const pl_exec_tty *tty; /* the request's terminal, or NULL */
    int stdin_fd;           /* -1 once at EOF or not streaming */
    int input_done;         /* EndOfStream(STDIN) queued, or no stdin at all */
    uint64_t stdin_sent;    /* for EndOfStream(STDIN).total_length */
    int send_dead;          /* the server stopped taking our frames */
    int sent_signal;
    int signal_fd; /* -1 once the signal pipe is closed */
    int sigs[MAX_SIGNALS];
    int nsigs;
    int last_sig;
    int winch;          /* the window changed: send its size */
    int force;          /* a second signal: give up now */
    double sig_first;   /* when the first signal arrived, or 0 */
    double progress_at; /* when the server last took bytes from us */
    uint8_t *buf;
} exec_client;

/* The size to give the remote terminal: the local terminal's, else the
 * caller's, else 24x80. */
static void window_size(const pl_exec_tty *t, Pipeline__V1__WindowSize *ws)
{
    struct winsize w;
    if (t->terminal_fd >= 0 && ioctl(t->terminal_fd, TIOCGWINSZ, &w) == 0 &&
        w.ws_row && w.ws_col) {
        ws->rows = w.ws_row;
        ws->cols = w.ws_col;
        ws->width_px = w.ws_xpixel;
        ws->height_px = w.ws_ypixel;
    } else {
        ws->rows = t->rows ? t->rows : 24;
        ws->cols = t->cols ? t->cols : 80;
    }
}

static int send_request(pl_client *c, const pl_exec_request *rq, int no_stdin,
                        pl_error *err)
{
    Pipeline__V1__ExecRequest r = PIPELINE__V1__EXEC_REQUEST__INIT;
    ProtobufCBinaryData *argv = NULL, *env = NULL;
    if (rq->argc > 0) {
        argv = calloc((size_t)rq->argc, sizeof *argv);
        if (!argv)
            return pl_fail(err, PL_ERR_NOMEM, "out of memory");
        for (int i = 0; i < rq->argc; i++) {
            argv[i].data = (uint8_t *)rq->argv[i];
            argv[i].len = strlen(rq->argv[i]);
        }
        r.n_argv = (size_t)rq->argc;
        r.argv = argv;
    } else if (rq->command) {
        r.command.data = (uint8_t *)rq->command;
        r.command.len = strlen(rq->command);
    }
    if (rq->nenv > 0) {
        env = calloc((size_t)rq->nenv, sizeof *env);
        if (!env) {
            free(argv);
            return pl_fail(err, PL_ERR_NOMEM, "out of memory");
        }
        for (int i = 0; i < rq->nenv; i++) {
            env[i].data = (uint8_t *)rq->env[i];
            env[i].len = strlen(rq->env[i]);
        }
        r.n_env = (size_t)rq->nenv;
        r.env = env;
    }
    if (rq->cwd) {
        r.cwd.data = (uint8_t *)rq->cwd;
        r.cwd.len = strlen(rq->cwd);
    }
    r.timeout_secs = rq->timeout_secs;
    r.no_wait = rq->no_wait != 0;
    r.no_stdin = no_stdin != 0;
    Pipeline__V1__Terminal tty = PIPELINE__V1__TERMINAL__INIT;
    Pipeline__V1__WindowSize ws = PIPELINE__V1__WINDOW_SIZE__INIT;
    Pipeline__V1__Terminal__ModesEntry ent[64], *entp[64];
    if (rq->tty) {
        tty.term = (char *)(rq->tty->term ? rq->tty->term : "dumb");
        window_size(rq->tty, &ws);
        tty.size = &ws;
        struct termios tio;
        pl_tty_mode modes[64];
        size_t nm = 0;
        if (rq->tty->modes)
            nm = pl_tty_modes_get(rq->tty->modes, modes, 64);
        else if (rq->tty->terminal_fd >= 0 &&
                 tcgetattr(rq->tty->terminal_fd, &tio) == 0)
            nm = pl_tty_modes_get(&tio, modes, 64);
        for (size_t i = 0; i < nm; i++) {
            pipeline__v1__terminal__modes_entry__init(&ent[i]);
            ent[i].key = (char *)modes[i].name;
            ent[i].value = modes[i].value;
            entp[i] = &ent[i];
        }
        tty.n_modes = nm;
        tty.modes = entp;
        r.tty = &tty;
    }
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC;
    f.exec = &r;
    int rc = 0;
    if (pipeline__v1__frame__get_packed_size(&f) > PL_FRAME_MAX)
        rc = pl_fail(err, PL_ERR_USAGE,
                     "the command, its arguments and environment exceed "
                     "the %d-byte request limit",
                     PL_FRAME_MAX);
    else
        rc = pl_channel_send(&c->ch, &f, err);
    free(argv);
    free(env);
    return rc;
}

/* Writes all of buf to a local descriptor, waiting if it is non-blocking. */
static int write_all(exec_client *x, int fd, const char *name,
                     const uint8_t *buf, size_t len, pl_error *err)
{
    if (fd < 0)
        return 0;
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, -1);
            continue;
        }
        int e = n < 0 ? errno : EIO;
        if (e == EPIPE)
            x->res->broken_pipe = 1;
        return pl_fail_errno(err, PL_ERR_IO, e, "%s", name);
    }
    return 0;
}

/* Handles one frame from the server; 1 when the call is over. */
static int on_frame(exec_client *x, pl_frame *f, pl_error *err)
{
    pl_exec_result *res = x->res;
    switch (f->body_case) {
    case PIPELINE__V1__FRAME__BODY_EXEC_STARTED:
        res->pid = f->exec_started->pid;
        return 0;
    case PIPELINE__V1__FRAME__BODY_DATA: {
        const ProtobufCBinaryData *d = &f->data->data;
        if (f->data->stream == PIPELINE__V1__STREAM_ID__STREAM_STDOUT)
            return write_all(x, x->io->stdout_fd, "stdout", d->data, d->len,
                             err);
        if (f->data->stream == PIPELINE__V1__STREAM_ID__STREAM_STDERR)
            return write_all(x, x->io->stderr_fd, "stderr", d->data, d->len,
                             err);
        return pl_fail(err, PL_ERR_PROTOCOL,
                       "the server sent data for stream %d during exec",
                       (int)f->data->stream);
    }
    case PIPELINE__V1__FRAME__BODY_END:
        return 0; /* stdout or stderr closed: nothing to do locally */
    case PIPELINE__V1__FRAME__BODY_EXEC_RESULT: {
        const Pipeline__V1__ExecResult *r = f->exec_result;
        res->exit_code = r->exit_code;
        res->signal = r->signal;
        res->timed_out = r->timed_out;
        if (r->signal && !r->exit_code)
            res->exit_code = 128 + r->signal;
        pl_escape_str(r->spawn_error ? r->spawn_error : "", res->spawn_error,
                      sizeof res->spawn_error);
        return 1;
    }
    case PIPELINE__V1__FRAME__BODY_STATUS:
        return pl_client_status_error(f->status, err);
    default:
        return pl_fail(err, PL_ERR_PROTOCOL,
                       "unexpected %s frame from the server during exec",
                       pl_frame_name(f->body_case));
    }
}

/* Reads what the server sent; 1 when the result arrived. */
static int read_server(exec_client *x, pl_error *err)
{
    for (;;) {
        pl_frame *f = NULL;
        int rc = pl_channel_read_step(&x->c->ch, &f, err);
        if (rc == 0)
            return 0;
        if (rc < 0) {
            if (err->code == PL_ERR_CLOSED)
                pl_fail(err, PL_ERR_CLOSED,
                        "the server closed the connection before the "
                        "command finished");
            return -1;
        }
        rc = on_frame(x, f, err);
        pl_frame_free(f);
        if (rc)
            return rc;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void read_signals(exec_client *x)
{
    uint8_t b[MAX_SIGNALS];
    ssize_t n = read(x->signal_fd, b, sizeof b);
    if (n == 0)
        x->signal_fd = -1;
    for (ssize_t i = 0; i < n; i++) {
        if (b[i] == SIGWINCH) { /* not for the remote process group */
            x->winch = x->tty != NULL;
            continue;
        }
        if (x->sig_first)
            x->force = 1;
        else
            x->sig_first = now_ms();
        x->last_sig = b[i];
        if (x->nsigs < MAX_SIGNALS)
            x->sigs[x->nsigs++] = b[i];
    }
}

/* After queueing a frame: did any of it reach the socket? */
static void note_queued(exec_client *x)
{
    const pl_channel *ch = &x->c->ch;
    if (!pl_channel_pending(ch) || ch->out_off)
        x->progress_at = now_ms();
}

/* Queues the next frame we have to send: signals first, then stdin. */
static int queue_signal(exec_client *x, pl_error *err)
{
    Pipeline__V1__Signal s = PIPELINE__V1__SIGNAL__INIT;
    s.signo = x->sigs[0];
    memmove(x->sigs, x->sigs + 1, (size_t)(x->nsigs - 1) * sizeof x->sigs[0]);
    x->nsigs--;
    x->sent_signal = 1;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_SIGNAL;
    f.signal = &s;
    int rc = pl_channel_queue(&x->c->ch, &f, err);
    note_queued(x);
    return rc;
}

static int queue_window(exec_client *x, pl_error *err)
{
    x->winch = 0;
    Pipeline__V1__WindowSize ws = PIPELINE__V1__WINDOW_SIZE__INIT;
    window_size(x->tty, &ws);
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_WINDOW_SIZE;
    f.window_size = &ws;
    int rc = pl_channel_queue(&x->c->ch, &f, err);
    note_queued(x);
    return rc;
}

static int queue_stdin(exec_client *x, pl_error *err)
{
    /* Read into the channel's buffer: sealed in place, no copy. */
    ssize_t n = read(x->stdin_fd, pl_channel_room(&x->c->ch), PL_CHUNK_MAX);
    if (n > 0) {
        x->stdin_sent += (uint64_t)n;
        int rc = pl_channel_queue_room(
            &x->c->ch, PIPELINE__V1__STREAM_ID__STREAM_STDIN, (size_t)n, err);
        note_queued(x);
        return rc;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    /* EOF; a read error ends our stdin too, as it would for a local
     * command. */
    x->stdin_fd = -1;
    x->input_done = 1;
    Pipeline__V1__EndOfStream e = PIPELINE__V1__END_OF_STREAM__INIT;
    e.stream = PIPELINE__V1__STREAM_ID__STREAM_STDIN;
    e.total_length = x->stdin_sent;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_END;
    f.end = &e;
    int rc = pl_channel_queue(&x->c->ch, &f, err);
    note_queued(x);
    return rc;
}

/* Gives up on a server that does not take our signal. A reset rather than
 * a FIN (which would wait behind the unsent bytes) once the caller closes
 * the connection, so the server notices at once. */
static int abort_call(exec_client *x, pl_error *err)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(x->c->ch.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    int sig = x->last_sig;
    x->res->signal_aborted = sig;
    if (x->force)
        return pl_fail(err, PL_ERR_CLOSED,
                       "signal %d again: disconnecting, which stops the "
                       "command",
                       sig);
    return pl_fail(err, PL_ERR_CLOSED,
                   "signal %d could not reach the server within %d s (the "
                   "command is not reading its stdin?); disconnecting, "
                   "which stops the command",
                   sig, SIGNAL_WAIT_MS / 1000);
}

/* Whether to give the call up after a signal (see SIGNAL_WAIT_MS). */
static int give_up(exec_client *x, double now)
{
    if (x->force)
        return 1;
    if (!x->sig_first || now - x->sig_first < SIGNAL_WAIT_MS)
        return 0;
    const pl_channel *ch = &x->c->ch;
    int waiting = x->nsigs || pl_channel_pending(ch);
    if (x->send_dead)
        return x->nsigs != 0;
    return waiting && now - x->progress_at >= STALL_MS;
}

static int loop(exec_client *x, pl_error *err)
{
    pl_channel *ch = &x->c->ch;
    for (;;) {
        pl_error werr;
        /* A server that stops reading has ended the call; its answer may
         * still be on the way, so keep reading. */
        size_t before = pl_channel_pending(ch);
        if (!x->send_dead && before) {
            if (pl_channel_flush(ch, &werr) < 0)
                x->send_dead = 1;
            else if (pl_channel_pending(ch) < before)
                x->progress_at = now_ms();
        }
        int can_queue = !x->send_dead && !pl_channel_pending(ch);
        if (can_queue && x->nsigs) {
            if (queue_signal(x, &werr) < 0)
                x->send_dead = 1;
            continue;
        }
        if (can_queue && x->winch) {
            if (queue_window(x, &werr) < 0)
                x->send_dead = 1;
            continue;
        }
        int timeout = -1;
        if (x->sig_first) {
            if (give_up(x, now_ms()))
                return abort_call(x, err);
            timeout = 250; /* re-check while a signal is outstanding */
        }
        struct pollfd p[3];
        int n = 0, i_in = -1, i_sig = -1;
        p[n++] = (struct pollfd){
            .fd = ch->fd,
            .events = POLLIN | (x->send_dead || can_queue ? 0 : POLLOUT)};
        if (can_queue && x->stdin_fd >= 0) {
            i_in = n;
            p[n++] = (struct pollfd){.fd = x->stdin_fd, .events = POLLIN};
        }
        if (x->signal_fd >= 0) {
            i_sig = n;
            p[n++] = (struct pollfd){.fd = x->signal_fd, .events = POLLIN};
        }
        if (poll(p, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            return pl_fail_errno(err, PL_ERR_IO, errno, "poll");
        }
        if (i_sig >= 0 && p[i_sig].revents)
            read_signals(x);
        if (i_in >= 0 && p[i_in].revents && queue_stdin(x, &werr) < 0)
            x->send_dead = 1;
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int rc = read_server(x, err);
            if (rc)
                return rc < 0 ? -1 : 0;
        }
    }
}

int pl_client_exec(pl_client *c, const pl_exec_request *req,
                   const pl_exec_io *io, pl_exec_result *res, pl_error *err)
{
    PL_CLIENT_ERR(err);
    pl_exec_result res_buf;
    if (!res)
        res = &res_buf;
    memset(res, 0, sizeof *res);
    if ((req->argc > 0) == (req->command != NULL))
        return pl_fail(err, PL_ERR_USAGE,
                       "give either a command string or an argument vector");
    int no_stdin = req->no_stdin || req->no_wait || io->stdin_fd < 0;
    exec_client x = {
        .c = c,
        .io = io,
        .res = res,
        .stdin_fd = no_stdin ? -1 : io->stdin_fd,
        .input_done = no_stdin,
        .signal_fd = io->signal_fd,
        .tty = req->tty,
    };
    if (send_request(c, req, no_stdin, err))
        return -1;
    x.buf = malloc(PL_CHUNK_MAX);
    if (!x.buf)
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    int rc = loop(&x, err);
    free(x.buf);
    /* A Signal sent late may cross the result; only a call that ended
     * cleanly on both sides leaves the connection usable. */
    res->reusable = rc == 0 && x.input_done && !x.sent_signal && !x.send_dead &&
                    !pl_channel_pending(&c->ch);
    return rc;
}
