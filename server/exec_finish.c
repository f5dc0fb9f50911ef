/* Ending an Exec call outside the loop: refusals, ExecStarted and spawn
 * errors sent with blocking writes, and whether the connection can carry
 * another call. */
#include "escape.h"
#include "exec_internal.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long we read and drop leftover client input before closing. */
#define LINGER_MS 1000

/* ---- ending the call ---- */

/* The connection can carry another call only when the client has said all
 * it will say for this one. Otherwise stop writing, drop what it still
 * sends for a moment (closing with unread input could reset the
 * connection before the client reads our answer), and close. */
int exec_finish_call(pl_session *s, int input_done)
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

int exec_refuse(pl_session *s, int input_done, int code, const char *msg)
{
    pl_log("%s: exec by %s refused: %s", s->peer, s->client_key, msg);
    if (pl_channel_send_status(&s->ch, code, "%s", msg))
        return -1;
    return exec_finish_call(s, input_done);
}

int exec_send_frame(pl_session *s, pl_frame *f)
{
    pl_error err;
    return pl_channel_send(&s->ch, f, &err);
}

int exec_send_started(pl_session *s, pid_t pid)
{
    Pipeline__V1__ExecStarted st = PIPELINE__V1__EXEC_STARTED__INIT;
    st.pid = (int32_t)pid;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC_STARTED;
    f.exec_started = &st;
    return exec_send_frame(s, &f);
}

int exec_send_spawn_error(pl_session *s, int code, const char *msg)
{
    /* spawn_error is a proto3 string and quotes the client's argv. */
    char shown[1024];
    Pipeline__V1__ExecResult r = PIPELINE__V1__EXEC_RESULT__INIT;
    r.exit_code = code;
    r.spawn_error = pl_escape_str(msg, shown, sizeof shown);
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_EXEC_RESULT;
    f.exec_result = &r;
    return exec_send_frame(s, &f);
}

void exec_status_text(int st, int timed_out, char *out, size_t cap)
{
    if (WIFSIGNALED(st))
        snprintf(out, cap, "killed by signal %d%s", WTERMSIG(st),
                 timed_out ? " (timed out)" : "");
    else
        snprintf(out, cap, "exit %d%s", WEXITSTATUS(st),
                 timed_out ? " (timed out)" : "");
}
