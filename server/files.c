/* PutFile and GetFile on the server. The byte stream itself lives in
 * common/filestream.c, shared with the client. */
#include "atomic_file.h"
#include "beneath.h"
#include "filestream.h"
#include "filetime.h"
#include "fspath.h"
#include "log.h"
#include "session.h"
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_STREAM PIPELINE__V1__STREAM_ID__STREAM_FILE

static void log_done(pl_session *s, const char *what, const char *show,
                     uint64_t bytes, const uint8_t *sha, double t0)
{
    double dt = pl_srv_now() - t0;
    char hex[65] = "-";
    if (sha)
        pl_sha256_hex(sha, hex);
    pl_log("%s: %s %s: %llu bytes in %.3f s (%.1f MB/s), sha256 %s, "
           "client %s",
           s->peer, what, show, (unsigned long long)bytes, dt,
           dt > 0 ? bytes / dt / 1e6 : 0.0, hex, s->client_key);
}

/* Where the file goes: the parent directory (created as needed) and the
 * last name, which must not be a directory. */
static int put_target(pl_srv_path *p, int *dfd, const char **base,
                      pl_error *err)
{
    if (pl_srv_open_parent(p, 1, dfd, base, err))
        return -1;
    struct stat st;
    if (fstatat(*dfd, *base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode)) {
        close(*dfd);
        return pl_srv_errno(p, EISDIR, err);
    }
    return 0;
}

int pl_handle_put_file(pl_session *s, pl_frame *req)
{
    const Pipeline__V1__PutFileRequest *r = req->put_file;
    double t0 = pl_srv_now();
    int with_sha = r->checksum;
    uint32_t mode = r->mode & 0777;
    pl_srv_path p;
    pl_error err;
    pl_stream st = {0};
    pl_atomic_file af;
    int dfd = -1, ended = 0, rc;
    const char *base;
    uint64_t n = 0;
    uint8_t sha[32];
    struct timespec mtime;
    /* A bad time is refused before anything is created. */
    if (pl_srv_path_open(s, &r->path, 1, &p, &err) ||
        (r->mtime && pl_filetime_from_wire(r->mtime, &mtime, p.show, &err)) ||
        put_target(&p, &dfd, &base, &err))
        goto failed;
    rc = pl_atomic_open(&af, dfd, base, p.show, &err);
    close(dfd);
    if (rc)
        goto failed;
    if (r->mtime)
        pl_atomic_set_mtime(&af, &mtime);
    if (pl_stream_init(&st, &s->ch, &err)) {
        pl_atomic_abort(&af);
        goto failed;
    }
    if (pl_stream_recv_file(&st, &af, with_sha, &n, sha, &ended, &err) ||
        pl_atomic_commit(&af, mode ? mode : 0644, &err)) {
        pl_atomic_abort(&af);
        goto failed;
    }
    pl_stream_free(&st);
    log_done(s, "put-file", p.show, n, with_sha ? sha : NULL, t0);
    pl_srv_path_close(&p);
    pl_frame_free(req);
    return pl_srv_send_result(s, n, with_sha ? sha : NULL, 0, 0, NULL);

failed:
    pl_stream_free(&st);
    rc = pl_srv_end_failed(s, "put-file", p.show, &err, FILE_STREAM, ended);
    pl_srv_path_close(&p);
    pl_frame_free(req);
    return rc;
}

static int send_header(pl_session *s, const struct stat *st, pl_error *err)
{
    Pipeline__V1__FileHeader h = PIPELINE__V1__FILE_HEADER__INIT;
    h.mode = st->st_mode & 07777;
    /* Only a hint for progress: /proc files say 0 and still have bytes. */
    h.size_hint = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
    /* Always: a client keeping times (-p) applies it, others ignore it. */
    Pipeline__V1__FileTime mtime;
    pl_filetime_to_wire(&st->st_mtim, &mtime);
    h.mtime = &mtime;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_FILE_HEADER;
    f.file_header = &h;
    if (pl_channel_send(&s->ch, &f, err)) {
        pl_stream_channel_error(err);
        return -1;
    }
    return 0;
}

static const char *type_name(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

static int refuse_type(pl_srv_path *p, mode_t m, pl_error *err)
{
    if (S_ISDIR(m))
        return pl_srv_errno(p, EISDIR, err);
    return pl_fail_status(err, PIPELINE__V1__CODE__CODE_FAILED_PRECONDITION,
                          "%s: %s; get-file serves regular files only", p->show,
                          type_name(m));
}

/* Opens the file to send. Only regular files are served (those of /proc
 * and /sys included): a FIFO, a terminal or a device such as /dev/ptmx can
 * block a reader for ever or has side effects on open, so the type is
 * checked on an O_PATH descriptor before anything is opened for reading,
 * and again on what was opened (the name may have been swapped). The
 * descriptor stays non-blocking: a regular file that blocks anyway (such
 * as /proc/kmsg) is then waited for with the peer watched. */
static int open_source(pl_srv_path *p, struct stat *st, pl_error *err)
{
    struct stat first;
    int pfd = pl_open_beneath(p->rootfd, p->path, O_PATH, 0, p->beneath);
    if (pfd < 0)
        return pl_srv_errno(p, errno, err);
    int rc = fstat(pfd, &first);
    int e = errno;
    close(pfd);
    if (rc)
        return pl_srv_errno(p, e, err);
    /* The fallback resolver opens a final symlink itself (O_PATH with
     * O_NOFOLLOW): it is refused like any symlink beneath the root. */
    if (S_ISLNK(first.st_mode))
        return pl_srv_errno(p, ELOOP, err);
    if (!S_ISREG(first.st_mode))
        return refuse_type(p, first.st_mode, err);
    int fd = pl_open_beneath(p->rootfd, p->path,
                             O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, p->beneath);
    if (fd < 0)
        return pl_srv_errno(p, errno, err);
    if (fstat(fd, st)) {
        e = errno;
        close(fd);
        return pl_srv_errno(p, e, err);
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return refuse_type(p, st->st_mode, err);
    }
    if (st->st_ino != first.st_ino || st->st_dev != first.st_dev) {
        close(fd);
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_ABORTED,
                              "%s: replaced while being opened; try again",
                              p->show);
    }
    return fd;
}

int pl_handle_get_file(pl_session *s, pl_frame *req)
{
    const Pipeline__V1__GetFileRequest *r = req->get_file;
    double t0 = pl_srv_now();
    int with_sha = r->checksum;
    pl_srv_path p;
    pl_error err;
    pl_stream st = {0};
    struct stat sb;
    uint64_t n = 0;
    uint8_t sha[32];
    int fd = -1, rc;
    if (pl_srv_path_open(s, &r->path, 0, &p, &err))
        goto failed;
    fd = open_source(&p, &sb, &err);
    if (fd < 0 || pl_stream_init(&st, &s->ch, &err))
        goto failed;
    st.source_timeout_ms = s->cfg->idle_timeout_ms;
    if (send_header(s, &sb, &err) ||
        pl_stream_send_file(&st, fd, p.show, with_sha, &n, sha, &err))
        goto failed;
    close(fd);
    pl_stream_free(&st);
    log_done(s, "get-file", p.show, n, with_sha ? sha : NULL, t0);
    pl_srv_path_close(&p);
    pl_frame_free(req);
    return 0;

failed:
    if (fd >= 0)
        close(fd);
    pl_stream_free(&st);
    /* A read error mid-stream still ends the call with a Status. */
    rc = pl_srv_end_failed(s, "get-file", p.show, &err, 0, 1);
    pl_srv_path_close(&p);
    pl_frame_free(req);
    return rc;
}
