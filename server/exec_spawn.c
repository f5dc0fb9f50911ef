#include "exec_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define PIPE_SIZE (1 << 20)

char **pl_spawn_env(char *const *extra, size_t n)
{
    size_t have = 0;
    while (environ && environ[have])
        have++;
    char **env = malloc((have + n + 1) * sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < have; i++) {
        const char *e = environ[i];
        size_t len = strcspn(e, "=");
        int replaced = 0;
        for (size_t j = 0; j < n && !replaced; j++)
            replaced = strncmp(extra[j], e, len) == 0 && extra[j][len] == '=';
        if (!replaced)
            env[k++] = (char *)e;
    }
    /* Later entries win when the client repeats a name. */
    for (size_t j = 0; j < n; j++) {
        size_t len = strcspn(extra[j], "=");
        int later = 0;
        for (size_t m = j + 1; m < n && !later; m++)
            later =
                strncmp(extra[m], extra[j], len) == 0 && extra[m][len] == '=';
        if (!later)
            env[k++] = extra[j];
    }
    env[k] = NULL;
    return env;
}

static const char *env_get(char *const *envp, const char *name)
{
    size_t len = strlen(name);
    for (; envp && *envp; envp++)
        if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
            return *envp + len + 1;
    return NULL;
}

/* Looks prog up in the command's own PATH, as execvp would: the first
 * executable regular file wins; a match we may not execute is remembered
 * as EACCES. Empty PATH entries are skipped: they would mean the command's
 * cwd, which is rarely what anyone wants on a server. */
static int find_program(const char *prog, char *const *envp, char **out)
{
    *out = NULL;
    if (!prog[0])
        return ENOENT;
    if (strchr(prog, '/')) {
        *out = strdup(prog);
        return *out ? 0 : ENOMEM;
    }
    const char *path = env_get(envp, "PATH");
    if (!path)
        path = DEFAULT_PATH;
    size_t plen = strlen(prog);
    int found = ENOENT;
    while (*path) {
        const char *end = strchr(path, ':');
        size_t dlen = end ? (size_t)(end - path) : strlen(path);
        if (dlen) {
            char *cand = malloc(dlen + plen + 2);
            if (!cand)
                return ENOMEM;
            memcpy(cand, path, dlen);
            cand[dlen] = '/';
            memcpy(cand + dlen + 1, prog, plen + 1);
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
                if (access(cand, X_OK) == 0) {
                    *out = cand;
                    return 0;
                }
                found = EACCES;
            }
            free(cand);
        }
        if (!end)
            break;
        path = end + 1;
    }
    return found;
}

/* Our pipe ends must not sit on 0/1/2, where the dup2 actions would
 * clobber them. */
static int above_stdio(int fd)
{
    if (fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

static int make_pipe(int p[2], int big)
{
    if (pipe2(p, O_CLOEXEC))
        return -1;
    p[0] = above_stdio(p[0]);
    p[1] = above_stdio(p[1]);
    if (p[0] < 0 || p[1] < 0) {
        int e = errno;
        if (p[0] >= 0)
            close(p[0]);
        if (p[1] >= 0)
            close(p[1]);
        errno = e;
        return -1;
    }
    /* 64 KiB pipes cap output near 1 GB/s; failure (user pipe quota) is
     * harmless. */
    if (big)
        fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
    return 0;
}

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0)
            close(p[i]);
    p[0] = p[1] = -1;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* close_range (Linux 5.9) lets glibc close stray descriptors in the child
 * without /proc. On older kernels every server descriptor is CLOEXEC
 * anyway, so we skip the extra action rather than risk a failed spawn. */
static pthread_once_t close_range_once = PTHREAD_ONCE_INIT;
static int close_range_ok;

static void probe_close_range(void)
{
    long rc = syscall(SYS_close_range, 3u, 2u, 0u); /* first > last */
    close_range_ok = !(rc < 0 && errno == ENOSYS);
}

static int have_close_range(void)
{
    pthread_once(&close_range_once, probe_close_range);
    return close_range_ok;
}

static int fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

int pl_spawn(const pl_spawn_req *r, pl_child *c, char *msg, size_t msglen)
{
    c->pid = -1;
    c->in_fd = c->out_fd = c->err_fd = -1;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    int dirfd = -1, rc = -1;
    char *prog = NULL;
    const char *name = r->argv[0];

    if (r->cwd && r->cwd[0]) {
        dirfd = open(r->cwd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
            snprintf(msg, msglen, "cannot change directory to %s: %s", r->cwd,
                     strerror(errno));
            return 126;
        }
    }
    int e = find_program(name, r->envp, &prog);
    if (e) {
        snprintf(msg, msglen, "%s: %s", name, strerror(e));
        rc = e == ENOMEM ? -1 : e == EACCES ? 126 : 127;
        goto out;
    }
    int piped = !r->detach && !r->tty_path;
    if (piped && ((!r->no_stdin && make_pipe(in, 1)) || make_pipe(out, 1) ||
                  make_pipe(err, 0))) {
        snprintf(msg, msglen, "cannot create pipes: %s", strerror(errno));
        goto out;
    }

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    if (r->tty_path) {
        /* After POSIX_SPAWN_SETSID the child leads a session without a
         * terminal, so opening the slave (no O_NOCTTY) makes it the
         * controlling terminal, with the child's group in the foreground. */
        posix_spawn_file_actions_addopen(&fa, 0, r->tty_path, O_RDWR, 0);
        posix_spawn_file_actions_adddup2(&fa, 0, 1);
        posix_spawn_file_actions_adddup2(&fa, 0, 2);
    } else if (piped) {
        if (r->no_stdin)
            posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        else
            posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    } else {
        /* Detached: the server's own console, as the original did. */
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        for (int fd = 1; fd <= 2; fd++)
            if (!fd_open(fd))
                posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", O_WRONLY,
                                                 0);
    }
    if (dirfd >= 0)
        posix_spawn_file_actions_addfchdir_np(&fa, dirfd);
    if (have_close_range())
        posix_spawn_file_actions_addclosefrom_np(&fa, 3);

    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    /* The server ignores SIGPIPE; the command must not inherit that. */
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);

    pid_t pid;
    e = posix_spawn(&pid, prog, &fa, &at, r->argv, r->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (e) {
        snprintf(msg, msglen, "%s: %s", name, strerror(e));
        rc = e == ENOMEM || e == EAGAIN    ? -1
             : e == ENOENT || e == ENOTDIR ? 127
                                           : 126;
        goto out;
    }
    c->pid = pid;
    if (r->tty_path) {
        /* Two descriptors on the one master, so ending stdin (closing
         * in_fd) leaves the output open. */
        c->in_fd = fcntl(r->tty_master, F_DUPFD_CLOEXEC, 3);
        c->out_fd = r->tty_master;
    } else if (piped) {
        c->in_fd = in[1];
        c->out_fd = out[0];
        c->err_fd = err[0];
        in[1] = out[0] = err[0] = -1;
        if (c->in_fd >= 0)
            set_nonblock(c->in_fd);
        set_nonblock(c->out_fd);
        set_nonblock(c->err_fd);
    }
    rc = 0;
out:
    close_pair(in);
    close_pair(out);
    close_pair(err);
    if (dirfd >= 0)
        close(dirfd);
    free(prog);
    return rc;
}
