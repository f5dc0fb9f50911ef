/*
 * Starting a command for Exec: posix_spawn in a new session (so the whole
 * process group can be signalled), with pipes for stdin/stdout/stderr and
 * nothing else inherited.
 */
#ifndef PIPELINE_EXEC_SPAWN_H
#define PIPELINE_EXEC_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

typedef struct pl_spawn_req {
    char *const *argv; /* argv[0] is the program; PATH is searched */
    char *const *envp; /* the complete environment */
    const char *cwd;   /* NULL: the server's */
    int no_stdin;      /* stdin is /dev/null */
    int detach;        /* stdin /dev/null, stdout/stderr the server's */
    /* A pseudo-terminal instead of pipes: the slave's path becomes the
     * command's controlling terminal and its 0, 1 and 2; tty_master is our
     * side, handed over to the child's in_fd/out_fd on success. */
    const char *tty_path;
    int tty_master;
} pl_spawn_req;

typedef struct pl_child {
    pid_t pid;
    int in_fd;  /* our end of the child's stdin (non-blocking), or -1 */
    int out_fd; /* our ends of stdout and stderr (non-blocking), or -1 */
    int err_fd;
} pl_child;

/* Starts the command. 0 on success. On failure returns the exit code a
 * shell would give (127: not found, 126: cannot execute) with a message
 * like "prog: No such file or directory", or -1 when the server itself is
 * short of something (descriptors, memory), message set too. */
int pl_spawn(const pl_spawn_req *r, pl_child *c, char *msg, size_t msglen);

/* The command's environment: the server's, with each "NAME=value" of extra
 * replacing or adding NAME. The array is malloc'd (one block); the strings
 * are borrowed. */
char **pl_spawn_env(char *const *extra, size_t n);

#endif
