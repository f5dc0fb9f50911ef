/*
 * Stale temporaries: a server killed while receiving (SIGKILL, a crash, a
 * power cut) leaves ".NAME.XXXXXX.incomplete" files behind. At start, with
 * server.root set, the server walks the root and removes those, and only
 * those:
 *   - names of exactly our form (pl_atomic_is_temp_name);
 *   - regular files (never directories, symlinks, FIFOs or devices), opened
 *     with O_NOFOLLOW and checked with fstat;
 *   - not locked: a live writer (another server, or `pipeline recv-file`
 *     on the same machine) holds flock(LOCK_EX) on its temporary, so only
 *     files whose writer is gone are taken;
 *   - still the same file when unlinked (device and inode compared).
 * The walk never follows a symlink, stays on the root's file system, and
 * stops PL_DIR_MAX_DEPTH levels down. Without a root nothing is touched:
 * the server has no business walking the whole file system.
 */
#include "atomic_file.h"
#include "dirstream.h"
#include "log.h"
#include "server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct sweep {
    dev_t dev;
    unsigned long removed, kept;
    char path[4096]; /* relative to the root, for the log */
} sweep;

static void take(sweep *sw, int dfd, const char *name)
{
    int fd = openat(dfd, name,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st, now;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        sw->kept++; /* someone is writing it */
        close(fd);
        return;
    }
    if (fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
        unlinkat(dfd, name, 0) == 0) {
        sw->removed++;
        pl_log("removed a stale temporary: %s%s", sw->path, name);
    }
    close(fd);
}

static void walk(sweep *sw, int dfd, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    size_t plen = strlen(sw->path);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        if ((e->d_type == DT_REG || e->d_type == DT_UNKNOWN) &&
            pl_atomic_is_temp_name(n)) {
            take(sw, dirfd(d), n);
            continue;
        }
        if ((e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) ||
            depth + 1 >= PL_DIR_MAX_DEPTH)
            continue;
        int sub = openat(dirfd(d), n,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            continue;
        struct stat st;
        if (fstat(sub, &st) || st.st_dev != sw->dev ||
            plen + strlen(n) + 2 > sizeof sw->path) {
            close(sub);
            continue;
        }
        snprintf(sw->path + plen, sizeof sw->path - plen, "%s/", n);
        walk(sw, sub, depth + 1);
        sw->path[plen] = '\0';
    }
    closedir(d);
}

void pl_server_remove_stale(const char *root)
{
    if (!root || !root[0])
        return;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        if (fd >= 0)
            close(fd);
        return; /* calls will say the root is unavailable */
    }
    sweep sw = {.dev = st.st_dev};
    snprintf(sw.path, sizeof sw.path, "%s/", root);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    walk(&sw, fd, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (sw.removed || sw.kept)
        pl_log("stale temporaries under %s: %lu removed, %lu in use kept "
               "(%.3f s)",
               root, sw.removed, sw.kept,
               (double)(t1.tv_sec - t0.tv_sec) +
                   (t1.tv_nsec - t0.tv_nsec) / 1e9);
}
