#include "dirstream.h"

#include "beneath.h"
#include "dirmodes.h"
#include "filetime.h"
#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_STREAM PIPELINE__V1__STREAM_ID__STREAM_DIR
#define SHOW_MAX (PATH_MAX + 400)
#define WATCH_EVERY 8

static char *alloc_buffers(char **name, char **link, char **show)
{
    char *b = malloc(2 * (PATH_MAX + 1) + SHOW_MAX);
    if (b) {
        *name = b;
        *link = b + PATH_MAX + 1;
        *show = b + 2 * (PATH_MAX + 1);
        (*name)[0] = '\0';
    }
    return b;
}

/* ---- sending ---- */

/* "LABEL/NAME" for messages, the name escaped (escape.h). */
static const char *show_entry(char *show, const char *label, const char *name)
{
    int n = snprintf(show, SHOW_MAX, "%s/", label);
    if (n < 0 || n >= SHOW_MAX - 9)
        return show;
    pl_escape_str(name, show + n, SHOW_MAX - (size_t)n);
    return show;
}

static const char *send_show(pl_dir_send *ds)
{
    return show_entry(ds->show, ds->label, ds->name);
}

/* st, when not NULL, gives the entry's time (with send_times). */
static int send_entry(pl_dir_send *ds, int type, uint32_t mode,
                      const char *target, uint64_t size_hint,
                      const struct stat *st, pl_error *err)
{
    Pipeline__V1__DirEntry e = PIPELINE__V1__DIR_ENTRY__INIT;
    e.name.data = (uint8_t *)ds->name;
    e.name.len = strlen(ds->name);
    e.type = type;
    e.mode = mode;
    if (target) {
        e.link_target.data = (uint8_t *)target;
        e.link_target.len = strlen(target);
    }
    e.size_hint = size_hint;
    Pipeline__V1__FileTime mtime;
    if (st && ds->send_times) {
        pl_filetime_to_wire(&st->st_mtim, &mtime);
        e.mtime = &mtime;
    }
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_DIR_ENTRY;
    f.dir_entry = &e;
    if (pl_channel_send(ds->st->ch, &f, err)) {
        pl_stream_channel_error(err);
        return -1;
    }
    ds->entries++;
    return 0;
}

/* An entry that cannot be read: a warning on the client, an error on the
 * server. msg NULL means strerror(e). */
static int unreadable(pl_dir_send *ds, int e, const char *msg, pl_error *err)
{
    if (!ds->skip_errors) {
        if (msg)
            return pl_fail_status(err, pl_code_for_errno(e), "%s: %s",
                                  send_show(ds), msg);
        return pl_fail_io(err, e, send_show(ds));
    }
    ds->errors++;
    if (ds->warn) {
        char line[SHOW_MAX + 100];
        snprintf(line, sizeof line, "%s: %s; skipped", send_show(ds),
                 msg ? msg : strerror(e));
        ds->warn(ds->arg, line);
    }
    return 0;
}

static int send_regular(pl_dir_send *ds, int dfd, const char *base,
                        pl_error *err)
{
    int fd = openat(dfd, base,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : unreadable(ds, errno, NULL, err);
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return unreadable(ds, e, NULL, err);
    }
    if (!S_ISREG(st.st_mode)) { /* replaced since readdir: skip it */
        close(fd);
        return 0;
    }
    uint8_t sha[32];
    uint64_t n = 0;
    int rc =
        send_entry(ds, PIPELINE__V1__ENTRY_TYPE__ENTRY_FILE, st.st_mode & 07777,
                   NULL, (uint64_t)st.st_size, &st, err);
    if (rc == 0)
        rc = pl_stream_send_file(ds->st, fd, send_show(ds), ds->with_sha, &n,
                                 sha, err);
    close(fd);
    if (rc)
        return rc;
    ds->files++;
    ds->bytes += n;
    if (ds->file_done)
        ds->file_done(ds->arg, ds->name, ds->with_sha ? sha : NULL);
    return 0;
}

static int walk(pl_dir_send *ds, int dfd, size_t nlen, int depth,
                pl_error *err);

/* Reopens the directory named ds->name[0..nlen) beneath the top after its
 * descriptor was given up for a deep subtree, and goes back to pos. It
 * must still be the same directory (self). */
static DIR *reopen_level(pl_dir_send *ds, size_t nlen, const struct stat *self,
                         long pos, int *rc, pl_error *err)
{
    *rc = 0;
    char keep = ds->name[nlen];
    ds->name[nlen] = '\0';
    int fd = pl_open_beneath(ds->top, ds->name, O_RDONLY | O_DIRECTORY, 0, 1);
    struct stat now;
    int e = fd < 0 ? errno : fstat(fd, &now) ? errno : 0;
    if (!e && (now.st_dev != self->st_dev || now.st_ino != self->st_ino))
        e = ESTALE;
    DIR *d = e ? NULL : fdopendir(fd);
    if (!d && !e)
        e = errno;
    if (!d) {
        if (fd >= 0)
            close(fd);
        /* The rest of this directory is lost: an error on the server, a
         * warning on the client (whose walk goes on above it). */
        *rc = unreadable(
            ds, e,
            e == ESTALE ? "directory replaced during the transfer" : NULL, err);
        ds->name[nlen] = keep;
        return NULL;
    }
    seekdir(d, pos);
    ds->name[nlen] = keep;
    return d;
}

/* One entry of the directory *dp (whose name is ds->name[0..pnlen)); the
 * entry's own name is ds->name[0..nlen). */
static int send_one(pl_dir_send *ds, DIR **dp, const struct stat *self,
                    const char *base, size_t pnlen, size_t nlen, int depth,
                    pl_error *err)
{
    int dfd = dirfd(*dp);
    struct stat st;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW))
        return errno == ENOENT ? 0 : unreadable(ds, errno, NULL, err);
    if (S_ISREG(st.st_mode))
        return send_regular(ds, dfd, base, err);
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlinkat(dfd, base, ds->link, PATH_MAX);
        if (n < 0)
            return errno == ENOENT ? 0 : unreadable(ds, errno, NULL, err);
        if (n >= PATH_MAX)
            return unreadable(ds, ENAMETOOLONG, NULL, err);
        ds->link[n] = '\0';
        return send_entry(ds, PIPELINE__V1__ENTRY_TYPE__ENTRY_SYMLINK,
                          st.st_mode & 07777, ds->link, 0, &st, err);
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= PL_DIR_MAX_DEPTH)
            return unreadable(ds, ELOOP,
                              "directory tree deeper than 256 levels", err);
        int sub =
            openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return errno == ENOENT ? 0 : unreadable(ds, errno, NULL, err);
        if (send_entry(ds, PIPELINE__V1__ENTRY_TYPE__ENTRY_DIR,
                       st.st_mode & 07777, NULL, 0, &st, err)) {
            close(sub);
            return -1;
        }
        /* Below PL_DIR_OPEN_LEVELS a level gives up its descriptor while
         * its subtree is walked, so a deep tree (or a peer that stops
         * reading in one) holds a bounded number of descriptors. */
        if (depth + 1 < PL_DIR_OPEN_LEVELS)
            return walk(ds, sub, nlen, depth + 1, err);
        long pos = telldir(*dp);
        closedir(*dp);
        *dp = NULL;
        int rc = walk(ds, sub, nlen, depth + 1, err);
        if (rc)
            return rc;
        *dp = reopen_level(ds, pnlen, self, pos, &rc, err);
        return rc;
    }
    /* FIFOs, sockets, devices: announced so the receiver can warn. */
    ds->skipped++;
    if (ds->warn) {
        char line[SHOW_MAX + 100];
        snprintf(line, sizeof line,
                 "%s: skipped: not a regular file, directory or symbolic "
                 "link",
                 send_show(ds));
        ds->warn(ds->arg, line);
    }
    return send_entry(ds, PIPELINE__V1__ENTRY_TYPE__ENTRY_UNSPECIFIED,
                      st.st_mode & 07777, NULL, 0, NULL, err);
}

/* Sends the entries of the directory open at dfd (taken over and closed)
 * whose name is ds->name[0..nlen). */
static int walk(pl_dir_send *ds, int dfd, size_t nlen, int depth, pl_error *err)
{
    struct stat self;
    if (fstat(dfd, &self)) {
        int e = errno;
        close(dfd);
        return unreadable(ds, e, NULL, err);
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return unreadable(ds, e, NULL, err);
    }
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) {
                ds->name[nlen] = '\0';
                rc = unreadable(ds, errno, NULL, err);
            }
            break;
        }
        const char *base = de->d_name;
        if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
            continue;
        size_t blen = strlen(base);
        size_t sub = nlen ? nlen + 1 + blen : blen;
        if (sub >= PATH_MAX) {
            ds->name[nlen] = '\0';
            rc = unreadable(ds, ENAMETOOLONG, NULL, err);
            if (rc)
                break;
            continue;
        }
        if (nlen)
            ds->name[nlen] = '/';
        memcpy(ds->name + (nlen ? nlen + 1 : 0), base, blen + 1);
        rc = send_one(ds, &d, &self, base, nlen, sub, depth, err);
        ds->name[nlen] = '\0';
        if (rc || !d)
            break;
        if (ds->st->watch_peer && ++ds->st->chunks >= WATCH_EVERY) {
            ds->st->chunks = 0;
            if (pl_stream_peer_spoke(ds->st)) {
                rc = PL_STREAM_PEER;
                break;
            }
        }
    }
    if (d)
        closedir(d);
    return rc;
}

int pl_dir_send_tree(pl_dir_send *ds, int dirfd, pl_error *err)
{
    char *bufs = alloc_buffers(&ds->name, &ds->link, &ds->show);
    if (!bufs)
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    int rc;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ds->top = dirfd;
    if (fd < 0)
        rc = pl_fail_io(err, errno, ds->label);
    else
        rc = walk(ds, fd, 0, 0, err);
    if (rc == 0)
        rc = pl_stream_send_end(ds->st, DIR_STREAM, ds->entries, NULL, err);
    free(bufs);
    ds->name = ds->link = ds->show = NULL;
    return rc;
}

/* ---- receiving ---- */

static const char *recv_show(pl_dir_recv *dr)
{
    return show_entry(dr->show, dr->label, dr->name);
}

/* ---- directory times ---- */

/* Sets the time of the directory name (beneath the target) through its
 * parent, so it works whatever the directory's own mode; never follows a
 * symlink. A failure (someone else's directory) is only a warning: the
 * contents arrived. */
static void set_dir_time(pl_dir_recv *dr, char *name,
                         const struct timespec *mtime)
{
    char *slash = strrchr(name, '/');
    const char *base = name;
    int pfd = dr->topfd;
    if (slash) {
        *slash = '\0';
        pfd = pl_open_beneath(dr->topfd, name, O_PATH | O_DIRECTORY, 0, 1);
        *slash = '/';
        base = slash + 1;
    }
    const struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, *mtime};
    int e = pfd < 0                                             ? errno
            : utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0 ? errno
                                                                : 0;
    if (slash && pfd >= 0)
        close(pfd);
    if (e && dr->warn) {
        char line[SHOW_MAX + 100];
        snprintf(line, sizeof line, "%s: cannot set its modification time: %s",
                 show_entry(dr->show, dr->label, name), strerror(e));
        dr->warn(dr->arg, line);
    }
}

/* The stream has left every waiting directory that is not an ancestor of
 * next (NULL: all of them): their contents are complete, so they get
 * their times now, deepest first. */
static void leave_dirs(pl_dir_recv *dr, const char *next)
{
    while (dr->ntimes > 0) {
        pl_dir_time *t = &dr->times[dr->ntimes - 1];
        if (next && strncmp(next, dr->tpath, t->len) == 0 &&
            next[t->len] == '/')
            break;
        dr->tpath[t->len] = '\0';
        set_dir_time(dr, dr->tpath, &t->mtime);
        dr->ntimes--;
    }
}

/* The directory dr->name waits for its time until the stream leaves it
 * (after leave_dirs(dr, dr->name), so the others waiting are its
 * ancestors and their names prefixes of its own). */
static int wait_dir_time(pl_dir_recv *dr, const struct timespec *mtime)
{
    if (!dr->tpath && !(dr->tpath = malloc(PATH_MAX + 1)))
        return -1;
    if (dr->ntimes == dr->tcap) {
        size_t cap = dr->tcap ? dr->tcap * 2 : 16;
        pl_dir_time *t = realloc(dr->times, cap * sizeof *t);
        if (!t)
            return -1;
        dr->times = t;
        dr->tcap = cap;
    }
    size_t len = strlen(dr->name);
    memcpy(dr->tpath, dr->name, len + 1);
    dr->times[dr->ntimes].len = len;
    dr->times[dr->ntimes].mtime = *mtime;
    dr->ntimes++;
    return 0;
}

/* Something already at base where a directory or a symlink goes. */
static int existing_type(int dfd, const char *base)
{
    struct stat st;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW))
        return 0;
    return (int)(st.st_mode & S_IFMT);
}

static int recv_dir(pl_dir_recv *dr, int pfd, const char *base, uint32_t mode,
                    pl_error *err)
{
    /* Only directories made here get the sender's mode: an existing one
     * (say /tmp) keeps its own. One whose mode lacks u+wx is made at 0700
     * and gets its mode at the end (dirmodes.h); the others are made with
     * their mode, never passing through 0700. */
    mode = mode ? mode & 0777 : 0755;
    int delayed = (mode & 0700) != 0700, created;
    if (delayed) {
        created = pl_dirmodes_mkdir(dr, pfd, base, mode, recv_show(dr), err);
        if (created < 0)
            return -1;
    } else {
        created = mkdirat(pfd, base, mode) == 0;
        if (!created && errno != EEXIST)
            return pl_fail_io(err, errno, recv_show(dr));
    }
    if (created && pl_sync_dir(pfd))
        return pl_fail_io(err, errno, recv_show(dr));
    int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            return pl_fail_status(
                err, PIPELINE__V1__CODE__CODE_FAILED_PRECONDITION,
                "%s: exists and is not a directory", recv_show(dr));
        return pl_fail_io(err, errno, recv_show(dr));
    }
    int rc = 0;
    /* The umask took bits from mkdir's mode. */
    if (created && !delayed && (fchmod(fd, mode) || pl_sync_dir(fd)))
        rc = pl_fail_io(err, errno, recv_show(dr));
    close(fd);
    return rc;
}

static int recv_symlink(pl_dir_recv *dr, int pfd, const char *base,
                        const ProtobufCBinaryData *target,
                        const struct timespec *mtime, pl_error *err)
{
    if (target->len == 0 || target->len > PATH_MAX - 1 ||
        memchr(target->data, '\0', target->len))
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                              "%s: invalid symbolic link target",
                              recv_show(dr));
    memcpy(dr->link, target->data, target->len);
    dr->link[target->len] = '\0';
    if (existing_type(pfd, base) == S_IFDIR)
        return pl_fail_io(err, EISDIR, recv_show(dr));
    if (pl_atomic_symlink(pfd, base, dr->link, recv_show(dr), err))
        return -1;
    /* The link's own time; it is never followed. */
    if (mtime &&
        utimensat(pfd, base,
                  (const struct timespec[2]){{.tv_nsec = UTIME_OMIT}, *mtime},
                  AT_SYMLINK_NOFOLLOW))
        return pl_fail_io(err, errno, recv_show(dr));
    return 0;
}

static int recv_regular(pl_dir_recv *dr, int pfd, const char *base,
                        uint32_t mode, const struct timespec *mtime,
                        pl_error *err)
{
    if (existing_type(pfd, base) == S_IFDIR)
        return pl_fail_io(err, EISDIR, recv_show(dr));
    pl_atomic_file af;
    if (pl_atomic_open(&af, pfd, base, recv_show(dr), err))
        return -1;
    if (mtime)
        pl_atomic_set_mtime(&af, mtime);
    uint8_t sha[32];
    uint64_t n = 0;
    int ended;
    if (pl_stream_recv_file(dr->st, &af, dr->with_sha, &n, sha, &ended, err) ||
        pl_atomic_commit(&af, mode ? mode : 0644, err)) {
        pl_atomic_abort(&af);
        return -1;
    }
    dr->files++;
    dr->bytes += n;
    if (dr->file_done)
        dr->file_done(dr->arg, dr->name, dr->with_sha ? sha : NULL);
    return 0;
}

static int recv_entry(pl_dir_recv *dr, const Pipeline__V1__DirEntry *e,
                      pl_error *err)
{
    char shown[512];
    const char *why;
    if (pl_check_entry_name((const char *)e->name.data, e->name.len, &why))
        return pl_fail_status(
            err, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
            "%s: refusing entry \"%s\": %s", dr->label,
            pl_path_show(e->name.data, e->name.len, shown, sizeof shown), why);
    if (e->name.len > PATH_MAX - 1)
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                              "%s: entry name of %zu bytes is too long",
                              dr->label, e->name.len);
    memcpy(dr->name, e->name.data, e->name.len);
    dr->name[e->name.len] = '\0';
    dr->entries++;
    /* A bad time is refused before the entry is made. */
    struct timespec tbuf, *mtime = NULL;
    if (dr->keep_times && e->mtime) {
        if (pl_filetime_from_wire(e->mtime, &tbuf, recv_show(dr), err))
            return -1;
        mtime = &tbuf;
    }
    if (dr->ntimes > 0)
        leave_dirs(dr, dr->name);
    int type = e->type;
    if (type != PIPELINE__V1__ENTRY_TYPE__ENTRY_FILE &&
        type != PIPELINE__V1__ENTRY_TYPE__ENTRY_DIR &&
        type != PIPELINE__V1__ENTRY_TYPE__ENTRY_SYMLINK) {
        dr->skipped++;
        if (dr->warn) {
            char line[SHOW_MAX + 100];
            snprintf(line, sizeof line,
                     "%s: skipped by the sender: not a regular file, "
                     "directory or symbolic link",
                     recv_show(dr));
            dr->warn(dr->arg, line);
        }
        return 0;
    }
    /* The parent, beneath the target: a planted symlink cannot lead the
     * write elsewhere. Parents normally arrived as entries already. */
    char *slash = strrchr(dr->name, '/');
    const char *base = dr->name;
    int pfd;
    if (slash) {
        *slash = '\0';
        pfd = pl_mkdirs_beneath(dr->topfd, dr->name, 0755, 1, NULL);
        *slash = '/';
        base = slash + 1;
    } else {
        pfd = openat(dr->topfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (pfd < 0) {
        if (errno == EXDEV || errno == ELOOP)
            return pl_fail_status(
                err, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED,
                "%s: refusing to write through a symbolic link "
                "or outside the target directory",
                recv_show(dr));
        return pl_fail_io(err, errno, recv_show(dr));
    }
    int rc;
    if (type == PIPELINE__V1__ENTRY_TYPE__ENTRY_DIR) {
        rc = recv_dir(dr, pfd, base, e->mode, err);
        if (rc == 0 && mtime && wait_dir_time(dr, mtime))
            rc = pl_fail(err, PL_ERR_NOMEM, "out of memory");
    } else if (type == PIPELINE__V1__ENTRY_TYPE__ENTRY_SYMLINK) {
        rc = recv_symlink(dr, pfd, base, &e->link_target, mtime, err);
    } else {
        rc = recv_regular(dr, pfd, base, e->mode & 0777, mtime, err);
    }
    close(pfd);
    return rc;
}

static int status_error(const Pipeline__V1__Status *s, pl_error *err)
{
    pl_fail(err, PL_ERR_REMOTE, "%s",
            s->message && s->message[0] ? s->message
                                        : "the peer reported an error");
    if (err) {
        pl_escape_inplace(err->msg, sizeof err->msg);
        err->status = s->code;
    }
    return -1;
}

static int recv_tree(pl_dir_recv *dr, int *ended, pl_error *err)
{
    *ended = 0;
    if (!dr->name && !alloc_buffers(&dr->name, &dr->link, &dr->show))
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    for (;;) {
        pl_frame *f = NULL;
        if (pl_channel_recv(dr->st->ch, &f, err)) {
            pl_stream_channel_error(err);
            return -1;
        }
        int rc = 0;
        switch (f->body_case) {
        case PIPELINE__V1__FRAME__BODY_DIR_ENTRY:
            rc = recv_entry(dr, f->dir_entry, err);
            pl_frame_free(f);
            if (rc) {
                /* A Status inside a file ended the whole call. */
                if (err && err->code == PL_ERR_REMOTE)
                    *ended = 1;
                return -1;
            }
            continue;
        case PIPELINE__V1__FRAME__BODY_END:
            if (f->end->stream != DIR_STREAM) {
                rc = pl_fail(err, PL_ERR_PROTOCOL,
                             "end of stream %d outside a file",
                             (int)f->end->stream);
                break;
            }
            *ended = 1;
            if (f->end->total_length != dr->entries)
                rc = pl_fail_status(err, PIPELINE__V1__CODE__CODE_DATA_LOSS,
                                    "%s: incomplete transfer: %llu entries "
                                    "arrived, the sender announced %llu",
                                    dr->label, (unsigned long long)dr->entries,
                                    (unsigned long long)f->end->total_length);
            else {
                leave_dirs(dr, NULL);
                if (pl_dirmodes_apply(dr, dr->name)) {
                    int e = errno;
                    rc = pl_fail_io(err, e, recv_show(dr));
                }
            }
            break;
        case PIPELINE__V1__FRAME__BODY_STATUS:
            if (dr->st->accept_status) {
                *ended = 1;
                rc = status_error(f->status, err);
                break;
            }
            /* fall through */
        default:
            rc = pl_fail(err, PL_ERR_PROTOCOL,
                         "unexpected %s frame in a directory transfer",
                         pl_frame_name(f->body_case));
        }
        pl_frame_free(f);
        return rc;
    }
}

int pl_dir_recv_tree(pl_dir_recv *dr, int *ended, pl_error *err)
{
    int rc = recv_tree(dr, ended, err);
    if (rc) {
        dr->ntimes = 0; /* the call failed: times do not matter */
        pl_dirmodes_apply_quietly(dr);
    }
    return rc;
}

void pl_dir_recv_free(pl_dir_recv *dr)
{
    pl_dirmodes_untrack(dr);
    for (size_t i = 0; i < dr->ndelayed; i++)
        free(dr->delayed[i].name);
    free(dr->delayed);
    dr->delayed = NULL;
    dr->ndelayed = dr->cap = 0;
    free(dr->times);
    dr->times = NULL;
    dr->ntimes = dr->tcap = 0;
    free(dr->tpath);
    free(dr->name);
    dr->name = dr->link = dr->show = dr->tpath = NULL;
}
