#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 0: not tried yet, 1: the kernel has openat2, -1: it answered ENOSYS. */
static atomic_int openat2_state;

static int forced_fallback(void)
{
    const char *v = getenv("PIPELINE_NO_OPENAT2");
    return v && *v && strcmp(v, "0") != 0;
}

int pl_beneath_has_openat2(void)
{
    return !forced_fallback() && atomic_load(&openat2_state) >= 0;
}

/* -2 when openat2 is unavailable, so the caller falls back. */
static int try_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
    if (forced_fallback() || atomic_load(&openat2_state) < 0)
        return -2;
#ifdef SYS_openat2
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    if (flags & O_CREAT)
        how.mode = mode;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0) {
        atomic_store(&openat2_state, 1);
        return (int)fd;
    }
    if (errno != ENOSYS)
        return -1;
#endif
    atomic_store(&openat2_state, -1);
    return -2;
}

/* Why an O_NOFOLLOW open of name failed: a symlink is refused as ELOOP
 * whatever the open itself reported (ENOTDIR with O_DIRECTORY|O_PATH). */
static int refused_errno(int dirfd, const char *name, int e)
{
    struct stat st;
    if ((e == ENOTDIR || e == ELOOP) &&
        fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        return ELOOP;
    return e;
}

/* The fallback: one component at a time, no "..", no symlinks. */
static int walk_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
    if (path[0] == '/') {
        errno = EXDEV;
        return -1;
    }
    char *copy = strdup(path);
    if (!copy) {
        errno = ENOMEM;
        return -1;
    }
    /* Drop trailing slashes; they only insist on a directory. */
    size_t n = strlen(copy);
    int want_dir = 0;
    while (n > 0 && copy[n - 1] == '/') {
        copy[--n] = '\0';
        want_dir = 1;
    }
    int cur = dirfd, fd = -1, e = 0;
    char *p = copy;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        int last = !slash;
        if (strcmp(p, "..") == 0) {
            e = EXDEV;
            break;
        }
        if (!last && (p[0] == '\0' || strcmp(p, ".") == 0)) {
            p = slash + 1;
            continue;
        }
        const char *name = p[0] ? p : ".";
        int fl =
            last ? flags | (want_dir ? O_DIRECTORY : 0) : O_PATH | O_DIRECTORY;
        int next = openat(cur, name, fl | O_NOFOLLOW | O_CLOEXEC, mode);
        if (next < 0) {
            e = refused_errno(cur, name, errno);
            break;
        }
        if (cur != dirfd)
            close(cur);
        cur = next;
        if (last) {
            fd = cur;
            cur = dirfd;
            break;
        }
        p = slash + 1;
    }
    if (cur != dirfd)
        close(cur);
    free(copy);
    if (fd < 0)
        errno = e;
    return fd;
}

int pl_open_beneath(int dirfd, const char *path, int flags, mode_t mode,
                    int beneath)
{
    if (!path[0])
        path = ".";
    if (!beneath)
        return openat(dirfd, path, flags | O_CLOEXEC, mode);
    int fd = try_openat2(dirfd, path, flags, mode);
    if (fd != -2)
        return fd;
    return walk_beneath(dirfd, path, flags, mode);
}

int pl_sync_dir(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc && e != EINVAL && e != EROFS) {
        errno = e;
        return -1;
    }
    return 0;
}

int pl_mkdirs_beneath(int dirfd, const char *path, mode_t mkmode, int beneath,
                      int *created)
{
    if (created)
        *created = 0;
    int fd = pl_open_beneath(dirfd, path, O_RDONLY | O_DIRECTORY, 0, beneath);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    /* Something is missing: go one component at a time. */
    char *copy = strdup(path);
    if (!copy) {
        errno = ENOMEM;
        return -1;
    }
    int cur;
    char *p = copy;
    if (p[0] == '/' && !beneath) {
        cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        while (*p == '/')
            p++;
    } else {
        cur = pl_open_beneath(dirfd, ".", O_PATH | O_DIRECTORY, 0, 0);
    }
    int e = cur < 0 ? errno : 0;
    while (cur >= 0 && *p) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        char *rest = slash ? slash + 1 : p + strlen(p);
        while (*rest == '/')
            rest++;
        int last = *rest == '\0';
        if (p[0] && strcmp(p, ".") != 0) {
            int next =
                pl_open_beneath(cur, p, O_PATH | O_DIRECTORY, 0, beneath);
            if (next < 0 && errno == ENOENT) {
                if (mkdirat(cur, p, mkmode) == 0) {
                    if (last && created)
                        *created = 1;
                    if (pl_sync_dir(cur)) {
                        e = errno;
                        break;
                    }
                } else if (errno != EEXIST) {
                    e = errno;
                    break;
                }
                next =
                    pl_open_beneath(cur, p, O_PATH | O_DIRECTORY, 0, beneath);
            }
            if (next < 0) {
                e = errno;
                break;
            }
            close(cur);
            cur = next;
        }
        p = rest;
    }
    fd = -1;
    if (cur >= 0 && !e) {
        fd = openat(cur, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            e = errno;
    }
    if (cur >= 0)
        close(cur);
    free(copy);
    if (fd < 0)
        errno = e;
    return fd;
}

int pl_check_entry_name(const char *name, size_t len, const char **why)
{
    if (len == 0) {
        *why = "empty name";
        return -1;
    }
    if (memchr(name, '\0', len)) {
        *why = "name contains a NUL byte";
        return -1;
    }
    if (name[0] == '/') {
        *why = "absolute name";
        return -1;
    }
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '/')
            continue;
        size_t clen = i - start;
        if (clen == 0) {
            *why = "empty path component";
            return -1;
        }
        if (clen == 1 && name[start] == '.') {
            *why = "\".\" component";
            return -1;
        }
        if (clen == 2 && name[start] == '.' && name[start + 1] == '.') {
            *why = "\"..\" component";
            return -1;
        }
        start = i + 1;
    }
    return 0;
}

int pl_path_has_dotdot(const char *path)
{
    const char *p = path;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}
