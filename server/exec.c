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
#include "escape.h"
#include "exec_internal.h"
#include "exec_tty.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Blocking sends in this handler give up on a client that stopped reading
 * after this long. */
#define SEND_TIMEOUT_MS 30000

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

/* Appends s to out (cap bytes), escaped (escape.h), for the log. */
static void describe_add(char *out, size_t cap, const char *s, int quote)
{
    size_t n = strlen(out);
    size_t q = quote ? 1 : 0;
    /* The separator, the quotes, the NUL and pl_escape's minimum. */
    if (n + 1 + 2 * q + 1 + 9 > cap)
        return;
    if (n)
        out[n++] = ' ';
    if (q)
        out[n++] = '\'';
    pl_escape_str(s, out + n, cap - n - q);
    n += strlen(out + n);
    if (q)
        out[n++] = '\'';
    out[n] = 0;
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

/* The terminal's TERM goes first, so an explicit -e TERM=... still wins. */
static int add_term(exec_call *x, const char *term, char *msg, size_t msglen)
{
    if (!term || !term[0])
        term = "dumb";
    if (!exec_tty_term_ok(term)) {
        snprintf(msg, msglen, "terminal type \"%.70s\" is not a plain name",
                 term);
        return -1;
    }
    char **env = calloc(x->nenv + 1, sizeof *env);
    size_t len = strlen("TERM=") + strlen(term) + 1;
    char *e = malloc(len);
    if (!env || !e) {
        free(env);
        free(e);
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    snprintf(e, len, "TERM=%s", term);
    env[0] = e;
    for (size_t i = 0; i < x->nenv; i++)
        env[i + 1] = x->extra_env[i];
    free(x->extra_env);
    x->extra_env = env;
    x->nenv++;
    return 0;
}

static void exec_call_free(exec_call *x)
{
    exec_live_remove(x);
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

/* ---- the handler ---- */

static int exec_attached(exec_call *x, char **envp,
                         const Pipeline__V1__ExecRequest *rq)
{
    pl_session *s = x->s;
    pl_spawn_req sr = {.argv = x->argv,
                       .envp = envp,
                       .cwd = x->cwd,
                       .no_stdin = x->no_stdin,
                       .tty_master = -1};
    char msg[512], slave[64];
    x->t_start = now_ms();
    if (x->tty) {
        sr.tty_master =
            exec_tty_open(rq->tty, slave, sizeof slave, msg, sizeof msg);
        if (sr.tty_master < 0)
            return exec_refuse(s, x->no_stdin,
                               PIPELINE__V1__CODE__CODE_UNAVAILABLE, msg);
        sr.tty_path = slave;
    }
    int rc = pl_spawn(&sr, &x->child, msg, sizeof msg);
    if (rc != 0 && sr.tty_master >= 0)
        close(sr.tty_master);
    if (rc < 0)
        return exec_refuse(s, x->no_stdin, PIPELINE__V1__CODE__CODE_UNAVAILABLE,
                           msg);
    if (rc > 0) {
        pl_log("%s: exec by %s: %s: cannot start: %s", s->peer, s->client_key,
               x->desc, msg);
        if (exec_send_spawn_error(s, rc, msg))
            return -1;
        return exec_finish_call(s, x->no_stdin);
    }
    exec_live_add(x);
    x->pidfd = exec_pidfd_open(x->child.pid);
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
        exec_set_gone(x, 0, "out of memory");
    else if (pl_channel_queue(&s->ch, &f, &err))
        exec_set_gone(x, 0, err.msg);

    int loop_rc = x->gone ? -1 : exec_run_loop(x);
    double secs = (now_ms() - x->t_start) / 1e3;
    if (loop_rc) {
        exec_stop_orphaned(x);
        char how[64];
        exec_status_text(x->status, 0, how, sizeof how);
        pl_log("%s: exec by %s: %s: pid %d stopped (%s) after %.3f s: %s",
               s->peer, s->client_key, x->desc, (int)x->child.pid, how, secs,
               x->gone_why);
        if (x->protocol_error)
            pl_channel_send_status(
                &s->ch,
                x->gone_code ? x->gone_code
                             : PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                "%s", x->gone_why);
        return -1;
    }
    char how[64];
    exec_status_text(x->status, x->timed_out, how, sizeof how);
    pl_log("%s: exec by %s: %s%s: pid %d, %s, %.3f s, stdin %llu, stdout "
           "%llu, stderr %llu bytes",
           s->peer, s->client_key, x->desc, x->tty ? " (terminal)" : "",
           (int)x->child.pid, how, secs, (unsigned long long)x->n_in,
           (unsigned long long)x->n_out, (unsigned long long)x->n_err);
    return exec_finish_call(s, x->no_stdin || x->stdin_eos);
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
    /* no_wait implies no_stdin (PROTOCOL.md): a detached command reads
     * /dev/null, so the connection carries on after its result. */
    x->no_stdin = rq->no_stdin || rq->no_wait;
    x->tty = rq->tty != NULL;
    s->ch.timeout_ms = SEND_TIMEOUT_MS;
    int rc;
    char msg[512];
    if (!s->cfg->allow_exec) {
        rc = exec_refuse(s, x->no_stdin,
                         PIPELINE__V1__CODE__CODE_PERMISSION_DENIED,
                         "exec is disabled on this server (server.allow_exec)");
        goto out;
    }
    if (parse_request(x, rq, s->cfg->shell ? s->cfg->shell : "/bin/sh", msg,
                      sizeof msg)) {
        rc = exec_refuse(s, x->no_stdin,
                         PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT, msg);
        goto out;
    }
    if (x->tty && !s->cfg->allow_tty) {
        rc = exec_refuse(
            s, x->no_stdin, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED,
            "terminals are disabled on this server (server.allow_tty)");
        goto out;
    }
    if (x->tty && rq->no_wait) {
        rc = exec_refuse(s, x->no_stdin,
                         PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                         "a detached command (no_wait) cannot have a terminal");
        goto out;
    }
    if (x->tty && add_term(x, rq->tty->term, msg, sizeof msg)) {
        rc = exec_refuse(s, x->no_stdin,
                         PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT, msg);
        goto out;
    }
    char **envp = pl_spawn_env(x->extra_env, x->nenv);
    if (!envp) {
        rc = exec_refuse(s, x->no_stdin,
                         PIPELINE__V1__CODE__CODE_RESOURCE_EXHAUSTED,
                         "out of memory");
        goto out;
    }
    /* Detached commands hold a slot too, until the reaper sees them end. */
    if (pl_server_take_exec(s->srv)) {
        snprintf(msg, sizeof msg,
                 "too many commands running, detached ones included "
                 "(server.max_execs is %d)",
                 s->cfg->max_execs);
        rc = exec_refuse(s, x->no_stdin,
                         PIPELINE__V1__CODE__CODE_RESOURCE_EXHAUSTED, msg);
    } else if (rq->no_wait) {
        rc = exec_detached(x, envp, x->no_stdin);
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
