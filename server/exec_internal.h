/*
 * Internals of the Exec call shared by its files: exec.c (the handler and
 * the request), exec_loop.c (the poll loop), exec_child.c (reaping and
 * stopping the command), exec_live.c (commands running now),
 * exec_detach.c (--no-wait) and exec_finish.c (ending the call).
 */
#ifndef PIPELINE_EXEC_INTERNAL_H
#define PIPELINE_EXEC_INTERNAL_H

#include "exec_spawn.h"
#include "session.h"

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Fallback exit check period without pidfd_open. */
#define WAITPID_POLL_MS 50

typedef struct exec_call {
    pl_session *s;
    int no_stdin;
    int tty;     /* on a pseudo-terminal: child.out_fd is its master */
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
    int gone_code; /* Status code for a protocol error; 0: INVALID_ARGUMENT */
    uint64_t n_in_recv; /* stdin bytes received, delivered or not */
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

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* exec_child.c: the process */
int exec_pidfd_open(pid_t pid);
void exec_kill_group(exec_call *x, int sig);
int exec_check_exit(exec_call *x);
void exec_close_fd(int *fd);
void exec_close_stdin(exec_call *x);
void exec_stop_orphaned(exec_call *x);

/* exec_live.c: commands running now */
void exec_live_add(exec_call *x);
void exec_live_remove(exec_call *x);

/* exec_loop.c: frames from the client, output to it, the loop */
void exec_set_gone(exec_call *x, int protocol, const char *why);
int exec_run_loop(exec_call *x);

/* exec_finish.c: ending the call */
int exec_finish_call(pl_session *s, int input_done);
int exec_refuse(pl_session *s, int input_done, int code, const char *msg);
int exec_send_frame(pl_session *s, pl_frame *f);
int exec_send_started(pl_session *s, pid_t pid);
int exec_send_spawn_error(pl_session *s, int code, const char *msg);
void exec_status_text(int st, int timed_out, char *out, size_t cap);

/* exec_detach.c: detached commands (--no-wait) */
int exec_detached(exec_call *x, char **envp, int input_done);

#endif
