#include "atomic_file.h"
#include "beneath.h"
#include "status.h"

#include "pipeline.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every open temporary of this process, for pl_atomic_remove_all. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static pl_atomic_file *open_head;
/* Set by pl_atomic_remove_all: a server that is stopping starts no new
 * temporary, which nobody would remove. */
static int stopping;

static int list_add(pl_atomic_file *af)
{
    pthread_mutex_lock(&open_lock);
    int ok = !stopping;
    if (ok) {
        af->prev = NULL;
        af->next = open_head;
        if (open_head)
            open_head->prev = af;
        open_head = af;
    }
    pthread_mutex_unlock(&open_lock);
    return ok ? 0 : -1;
}

/* Called with open_lock held. */
static void list_del(pl_atomic_file *af)
{
    if (af->prev)
        af->prev->next = af->next;
    else if (open_head == af)
        open_head = af->next;
    if (af->next)
        af->next->prev = af->prev;
    af->next = af->prev = NULL;
}

void pl_atomic_remove_all(void (*report)(const char *label, uint64_t bytes))
{
    pthread_mutex_lock(&open_lock);
    stopping = 1;
    for (pl_atomic_file *af = open_head; af; af = af->next) {
        unlinkat(af->dirfd, af->tmp, 0);
        if (report)
            report(af->label, af->size);
    }
    pthread_mutex_unlock(&open_lock);
}

int pl_atomic_is_temp_name(const char *name)
{
    static const size_t suffix = sizeof PL_INCOMPLETE_SUFFIX - 1;
    size_t n = strlen(name);
    /* ".", at least one byte of NAME, ".", six, the suffix */
    if (n < 1 + 1 + 1 + 6 + suffix || name[0] != '.' ||
        strcmp(name + n - suffix, PL_INCOMPLETE_SUFFIX) != 0)
        return 0;
    const char *tag = name + n - suffix - 6;
    if (tag[-1] != '.')
        return 0;
    for (int i = 0; i < 6; i++) {
        char ch = tag[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9')))
            return 0;
    }
    return 1;
}

static void random_tag(char *out, size_t n)
{
    static const char set[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (size_t i = 0; i < n; i++)
        out[i] = set[randombytes_uniform(sizeof set - 1)];
    out[n] = '\0';
}

/* ".NAME.XXXXXX.incomplete", NAME shortened to fit NAME_MAX. */
static void temp_name(char *out, const char *name)
{
    char tag[7];
    random_tag(tag, 6);
    size_t room = NAME_MAX - (1 + 1 + 6 + sizeof PL_INCOMPLETE_SUFFIX - 1);
    snprintf(out, NAME_MAX + 1, ".%.*s.%s%s", (int)room, name, tag,
             PL_INCOMPLETE_SUFFIX);
}

int pl_atomic_open(pl_atomic_file *af, int dirfd, const char *name,
                   const char *label, pl_error *err)
{
    memset(af, 0, sizeof *af);
    af->fd = af->dirfd = -1;
    snprintf(af->label, sizeof af->label, "%s", label);
    if (strlen(name) > NAME_MAX)
        return pl_fail_io(err, ENAMETOOLONG, af->label);
    snprintf(af->name, sizeof af->name, "%s", name);
    /* Our own real descriptor: fsync needs one, and O_PATH is not one. */
    af->dirfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (af->dirfd < 0)
        return pl_fail_io(err, errno, af->label);
    for (int tries = 0; tries < 100; tries++) {
        temp_name(af->tmp, name);
        af->fd =
            openat(af->dirfd, af->tmp,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (af->fd >= 0 || errno != EEXIST)
            break;
    }
    if (af->fd < 0) {
        int e = errno;
        close(af->dirfd);
        af->dirfd = -1;
        return pl_fail_io(err, e, af->label);
    }
    af->open = 1;
    /* Marks it live for a cleaner (see the header); a fresh file. */
    flock(af->fd, LOCK_EX | LOCK_NB);
    if (list_add(af)) {
        pl_atomic_abort(af);
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_UNAVAILABLE,
                              "%s: the server is stopping", af->label);
    }
    return 0;
}

void pl_atomic_plain(pl_atomic_file *af, int fd, const char *label)
{
    memset(af, 0, sizeof *af);
    af->fd = fd;
    af->dirfd = -1;
    af->plain = 1;
    snprintf(af->label, sizeof af->label, "%s", label);
}

static int all_zero(const uint8_t *p, size_t n)
{
    /* memcmp against itself shifted by one: vectorised, stops early on
     * the first non-zero byte, which for real data is at once. */
    return n > 0 && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

static int write_plain(pl_atomic_file *af, const uint8_t *buf, size_t len,
                       pl_error *err)
{
    while (len > 0) {
        ssize_t n = write(af->fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {.fd = af->fd, .events = POLLOUT};
            poll(&p, 1, -1);
            continue;
        }
        return pl_fail_io(err, n < 0 ? errno : EIO, af->label);
    }
    return 0;
}

int pl_atomic_write(pl_atomic_file *af, const uint8_t *buf, size_t len,
                    pl_error *err)
{
    if (af->plain) {
        af->size += len;
        return write_plain(af, buf, len, err);
    }
    if (all_zero(buf, len)) {
        af->size += len; /* a hole; ftruncate at commit gives the size */
        return 0;
    }
    while (len > 0) {
        ssize_t n = pwrite(af->fd, buf, len, (off_t)af->size);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            af->size += (uint64_t)n;
            af->end = af->size;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return pl_fail_io(err, n < 0 ? errno : ENOSPC, af->label);
    }
    return 0;
}

static void release(pl_atomic_file *af)
{
    if (af->open && !af->plain) {
        pthread_mutex_lock(&open_lock);
        list_del(af);
        pthread_mutex_unlock(&open_lock);
    }
    if (af->fd >= 0 && !af->plain)
        close(af->fd);
    if (af->dirfd >= 0)
        close(af->dirfd);
    af->fd = af->dirfd = -1;
    af->open = 0;
}

void pl_atomic_abort(pl_atomic_file *af)
{
    if (af->open) {
        unlinkat(af->dirfd, af->tmp, 0);
    }
    release(af);
}

void pl_atomic_set_mtime(pl_atomic_file *af, const struct timespec *mtime)
{
    af->has_mtime = 1;
    af->mtime = *mtime;
}

int pl_atomic_commit(pl_atomic_file *af, mode_t mode, pl_error *err)
{
    if (af->plain) {
        af->fd = -1;
        return 0;
    }
    int e = 0;
    if (af->end < af->size && ftruncate(af->fd, (off_t)af->size))
        e = errno;
    else if (fchmod(af->fd, mode & 0777))
        e = errno;
    /* After the last change to the data (ftruncate included): the access
     * time is left as it is. */
    else if (af->has_mtime &&
             futimens(af->fd, (const struct timespec[2]){
                                  {.tv_nsec = UTIME_OMIT}, af->mtime}))
        e = errno;
    else if (fsync(af->fd))
        e = errno;
    /* Renamed while still open, so its lock covers it until it has its
     * real name. */
    if (!e && renameat(af->dirfd, af->tmp, af->dirfd, af->name))
        e = errno;
    if (e) {
        pl_atomic_abort(af);
        return pl_fail_io(err, e, af->label);
    }
    close(af->fd);
    af->fd = -1;
    pthread_mutex_lock(&open_lock);
    list_del(af);
    pthread_mutex_unlock(&open_lock);
    af->open = 0;
    /* The rename is durable only once the directory is. Some file
     * systems cannot fsync a directory (EINVAL); the file is still in
     * place then. */
    if (fsync(af->dirfd) && errno != EINVAL && errno != EROFS) {
        e = errno;
        release(af);
        return pl_fail_io(err, e, af->label);
    }
    release(af);
    return 0;
}

int pl_atomic_symlink(int dirfd, const char *name, const char *target,
                      const char *label, pl_error *err)
{
    char tmp[NAME_MAX + 1];
    if (strlen(name) > NAME_MAX)
        return pl_fail_io(err, ENAMETOOLONG, label);
    int e = 0;
    for (int tries = 0; tries < 100; tries++) {
        temp_name(tmp, name);
        if (symlinkat(target, dirfd, tmp) == 0) {
            e = 0;
            break;
        }
        e = errno;
        if (e != EEXIST)
            break;
    }
    if (e)
        return pl_fail_io(err, e, label);
    if (renameat(dirfd, tmp, dirfd, name)) {
        e = errno;
        unlinkat(dirfd, tmp, 0);
        return pl_fail_io(err, e, label);
    }
    /* Durable once its directory is, as for files. */
    if (pl_sync_dir(dirfd))
        return pl_fail_io(err, errno, label);
    return 0;
}
