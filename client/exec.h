/*
 * The Exec call from the client library: run a command on the server with
 * its stdin, stdout and stderr connected to local descriptors.
 *
 *     pl_exec_request rq = {.argv = (char *const[]){"uname", "-a"},
 *                           .argc = 2};
 *     pl_exec_io io = {.stdin_fd = -1, .stdout_fd = 1, .stderr_fd = 2,
 *                      .signal_fd = -1};
 *     pl_exec_result res;
 *     if (pl_client_exec(c, &rq, &io, &res, &err) == 0)
 *         ... res.exit_code, res.signal ...
 */
#ifndef PIPELINE_EXEC_H
#define PIPELINE_EXEC_H

#include "client.h"

typedef struct pl_exec_request {
    char *const *argv; /* exec directly, PATH lookup on the server... */
    int argc;
    const char *command; /* ...or run through the server's shell (-c) */
    char *const *env;    /* "NAME=value" entries added to the environment */
    int nenv;
    const char *cwd;       /* NULL: the server's working directory */
    unsigned timeout_secs; /* 0: no limit */
    int no_wait;           /* start detached and return at once */
    int no_stdin;          /* the command's stdin is empty */
} pl_exec_request;

typedef struct pl_exec_io {
    int stdin_fd;  /* streamed to the command until EOF; -1: empty stdin */
    int stdout_fd; /* -1: discard */
    int stderr_fd; /* -1: discard */
    /* Readable end of a pipe; each byte read is a signal number to forward
     * to the remote process group (a self-pipe from signal handlers). -1:
     * none. */
    int signal_fd;
} pl_exec_io;

typedef struct pl_exec_result {
    int exit_code;         /* the command's exit status; 128+signal if killed */
    int signal;            /* the signal that ended it, or 0 */
    int timed_out;         /* killed because timeout_secs expired */
    int pid;               /* remote pid, 0 if it never started */
    char spawn_error[256]; /* set when it could not start (127/126) */
    int broken_pipe;       /* stdout_fd/stderr_fd was closed by its reader */
    /* A forwarded signal (this number) could not be sent within 2 s: the
     * call was given up; close the connection and the server stops the
     * command. */
    int signal_aborted;
    int reusable; /* the connection can carry another call */
} pl_exec_result;

/* Runs the command to its end. Returns 0 with res filled when the server
 * answered with a result (including a failed start: res->spawn_error);
 * -1 with err on a connection, protocol or server error (PL_ERR_REMOTE
 * with err->status for a Status such as PERMISSION_DENIED) or a local
 * write failure (PL_ERR_IO; res->broken_pipe for EPIPE). */
int pl_client_exec(pl_client *c, const pl_exec_request *req,
                   const pl_exec_io *io, pl_exec_result *res, pl_error *err);

#endif
