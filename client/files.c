/* PutFile and GetFile from the client. The byte stream itself lives in
 * common/filestream.c, shared with the server. */
#include "files.h"

#include "atomic_file.h"
#include "beneath.h"
#include "filestream.h"
#include "filetime.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_STREAM PIPELINE__V1__STREAM_ID__STREAM_FILE

static int local_fail(pl_error *err, int e, const char *label)
{
    return pl_fail_errno(err, PL_ERR_IO, e, "%s", label);
}

int pl_client_xfer_init(pl_client *c, pl_stream *st, const pl_transfer_opts *o,
                        pl_transfer_result *r, pl_error *err)
{
    memset(r, 0, sizeof *r);
    if (pl_stream_init(st, &c->ch, err))
        return -1;
    st->accept_status = 1;
    if (o) {
        st->progress = o->progress;
        st->progress_arg = o->arg;
    }
    return 0;
}

int pl_client_check_times(const pl_client *c, const pl_transfer_opts *o,
                          pl_error *err)
{
    if (!o || !o->keep_times || c->server_times)
        return 0;
    pl_fail(err, PL_ERR_REMOTE,
            "the server (%s) cannot keep modification times (it predates "
            "-p): update it, or copy without -p",
            c->server_software);
    err->status = PIPELINE__V1__CODE__CODE_UNIMPLEMENTED;
    return -1;
}

void pl_client_drop(pl_client *c)
{
    shutdown(c->ch.fd, SHUT_RDWR);
}

int pl_client_early_status(pl_client *c, pl_stream *st, int stream,
                           pl_error *err)
{
    pl_frame *f = NULL;
    if (pl_channel_recv(&c->ch, &f, err)) {
        pl_stream_channel_error(err);
        return -1;
    }
    if (f->body_case != PIPELINE__V1__FRAME__BODY_STATUS) {
        pl_fail(err, PL_ERR_PROTOCOL, "unexpected %s frame during an upload",
                pl_frame_name(f->body_case));
        pl_frame_free(f);
        return -1;
    }
    /* The server drops everything up to our EndOfStream; send it so the
     * connection can carry another call. */
    pl_error ignored;
    pl_stream_send_end(st, stream, st->done, NULL, &ignored);
    pl_client_status_error(f->status, err);
    pl_frame_free(f);
    return -1;
}

int pl_client_transfer_result(pl_client *c, pl_frame **out, pl_error *err)
{
    if (pl_client_expect(c, PIPELINE__V1__FRAME__BODY_TRANSFER_RESULT, out,
                         err)) {
        pl_stream_channel_error(err);
        return -1;
    }
    return 0;
}

static int send_request(pl_client *c, const pl_frame *f, pl_error *err)
{
    if (pl_channel_send(&c->ch, f, err)) {
        pl_stream_channel_error(err);
        return -1;
    }
    return 0;
}

/* mtime: the time the server gives the file, or NULL. */
static int put_stream(pl_client *c, int fd, const char *label, mode_t mode,
                      const struct timespec *mtime, uint64_t size_hint,
                      const char *remote, const pl_transfer_opts *o,
                      pl_transfer_result *r, pl_error *err)
{
    pl_stream st;
    if (pl_client_xfer_init(c, &st, o, r, err))
        return -1;
    int with_sha = o && o->checksum;
    st.watch_peer = 1;
    st.total = size_hint;
    snprintf(r->local, sizeof r->local, "%s", label);

    Pipeline__V1__PutFileRequest req = PIPELINE__V1__PUT_FILE_REQUEST__INIT;
    req.path.data = (uint8_t *)remote;
    req.path.len = strlen(remote);
    req.mode = mode & 07777;
    req.checksum = with_sha;
    Pipeline__V1__FileTime ft;
    if (mtime) {
        pl_filetime_to_wire(mtime, &ft);
        req.mtime = &ft;
    }
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_PUT_FILE;
    f.put_file = &req;
    uint8_t sha[32];
    uint64_t n = 0;
    pl_frame *res = NULL;
    int rc = send_request(c, &f, err);
    if (rc == 0)
        rc = pl_stream_send_file(&st, fd, label, with_sha, &n, sha, err);
    if (rc == PL_STREAM_PEER)
        rc = pl_client_early_status(c, &st, FILE_STREAM, err);
    else if (rc < 0 && err->code == PL_ERR_IO)
        pl_client_drop(c); /* our read failed: the stream cannot end */
    else if (rc == 0)
        rc = pl_client_transfer_result(c, &res, err);
    pl_stream_free(&st);
    if (rc)
        return -1;
    const Pipeline__V1__TransferResult *tr = res->transfer_result;
    if (tr->bytes != n)
        rc = pl_fail(err, PL_ERR_PROTOCOL,
                     "the server stored %llu bytes of %llu",
                     (unsigned long long)tr->bytes, (unsigned long long)n);
    else if (with_sha &&
             (tr->sha256.len != 32 || memcmp(tr->sha256.data, sha, 32) != 0))
        rc = pl_fail(err, PL_ERR_IO,
                     "%s: SHA-256 mismatch: the server's digest of the "
                     "stored file differs from ours",
                     remote);
    r->bytes = n;
    if (with_sha) {
        r->has_sha256 = 1;
        memcpy(r->sha256, sha, 32);
    }
    pl_frame_free(res);
    return rc;
}

int pl_client_put_fd(pl_client *c, int fd, mode_t mode, uint64_t size_hint,
                     const char *remote, const pl_transfer_opts *o,
                     pl_transfer_result *r, pl_error *err)
{
    PL_CLIENT_ERR(err);
    pl_transfer_result local_r;
    return put_stream(c, fd, "-", mode, NULL, size_hint, remote, o,
                      r ? r : &local_r, err);
}

/* dir + "/" + the last component of name, into out. */
static int join_base(char *out, size_t cap, const char *dir, const char *name,
                     pl_error *err)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", name);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    const char *base = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
    if (!base[0] || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return pl_fail(err, PL_ERR_USAGE,
                       "%s: cannot tell which file name to use; give a "
                       "full destination path",
                       name);
    size_t dl = strlen(dir);
    const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
    if ((size_t)snprintf(out, cap, "%s%s%s", dir, sep, base) >= cap)
        return local_fail(err, ENAMETOOLONG, dir);
    return 0;
}

int pl_client_put_file(pl_client *c, const char *local, const char *remote,
                       const pl_transfer_opts *o, pl_transfer_result *r,
                       pl_error *err)
{
    PL_CLIENT_ERR(err);
    pl_transfer_result local_r;
    if (!r)
        r = &local_r;
    memset(r, 0, sizeof *r);
    char target[PATH_MAX];
    size_t rl = strlen(remote);
    int is_stdin = strcmp(local, "-") == 0;
    if (rl == 0)
        return pl_fail(err, PL_ERR_USAGE, "empty remote path");
    if (!is_stdin && pl_client_check_times(c, o, err))
        return -1;
    if (remote[rl - 1] == '/') {
        if (is_stdin)
            return pl_fail(err, PL_ERR_USAGE,
                           "%s: give a file name for data from stdin", remote);
        if (join_base(target, sizeof target, remote, local, err))
            return -1;
        remote = target;
    }
    if (is_stdin)
        return put_stream(c, STDIN_FILENO, "-", 0, NULL, 0, remote, o, r, err);
    int fd = open(local, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return local_fail(err, errno, local);
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return local_fail(err, e, local);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return local_fail(err, EISDIR, local);
    }
    int rc = put_stream(c, fd, local, st.st_mode & 07777,
                        o && o->keep_times ? &st.st_mtim : NULL,
                        S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0, remote,
                        o, r, err);
    close(fd);
    return rc;
}

/* Receives after the request: FileHeader, then the stream into af. */
static int get_stream(pl_client *c, const char *remote, pl_atomic_file *af,
                      const pl_transfer_opts *o, pl_transfer_result *r,
                      pl_error *err)
{
    pl_stream st;
    if (pl_client_xfer_init(c, &st, o, r, err))
        return -1;
    snprintf(r->local, sizeof r->local, "%s", af->label);
    int with_sha = o && o->checksum;
    Pipeline__V1__GetFileRequest req = PIPELINE__V1__GET_FILE_REQUEST__INIT;
    req.path.data = (uint8_t *)remote;
    req.path.len = strlen(remote);
    req.checksum = with_sha;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_GET_FILE;
    f.get_file = &req;
    pl_frame *hdr = NULL;
    uint8_t sha[32];
    uint64_t n = 0;
    int ended = 1, rc = send_request(c, &f, err);
    if (rc == 0 &&
        pl_client_expect(c, PIPELINE__V1__FRAME__BODY_FILE_HEADER, &hdr, err)) {
        pl_stream_channel_error(err);
        rc = -1;
    }
    uint32_t mode = 0;
    if (rc == 0) {
        const Pipeline__V1__FileHeader *h = hdr->file_header;
        mode = h->mode & 0777;
        st.total = h->size_hint;
        /* An older server sends no time: the file keeps its own. */
        struct timespec mtime;
        if (o && o->keep_times && h->mtime && !af->plain) {
            /* The rest of the file is still coming: drop the connection
             * (below) after a bad time. */
            if (pl_filetime_from_wire(h->mtime, &mtime, remote, err)) {
                err->code = PL_ERR_PROTOCOL;
                ended = 0;
                rc = -1;
            } else {
                pl_atomic_set_mtime(af, &mtime);
            }
        }
        pl_frame_free(hdr);
        if (rc == 0)
            rc = pl_stream_recv_file(&st, af, with_sha, &n, sha, &ended, err);
    }
    if (rc == 0)
        rc = pl_atomic_commit(af, mode ? mode : 0644, err);
    if (rc) {
        pl_atomic_abort(af);
        if (!ended)
            pl_client_drop(c); /* the rest of the file is still coming */
    }
    pl_stream_free(&st);
    if (rc)
        return -1;
    r->bytes = n;
    if (with_sha) {
        r->has_sha256 = 1;
        memcpy(r->sha256, sha, 32);
    }
    return 0;
}

int pl_client_get_fd(pl_client *c, const char *remote, int fd,
                     const pl_transfer_opts *o, pl_transfer_result *r,
                     pl_error *err)
{
    PL_CLIENT_ERR(err);
    pl_transfer_result local_r;
    pl_atomic_file af;
    pl_atomic_plain(&af, fd, "-");
    return get_stream(c, remote, &af, o, r ? r : &local_r, err);
}

int pl_client_get_file(pl_client *c, const char *remote, const char *local,
                       const pl_transfer_opts *o, pl_transfer_result *r,
                       pl_error *err)
{
    PL_CLIENT_ERR(err);
    pl_transfer_result local_r;
    if (!r)
        r = &local_r;
    memset(r, 0, sizeof *r);
    if (!remote[0])
        return pl_fail(err, PL_ERR_USAGE, "empty remote path");
    if (strcmp(local, "-") == 0)
        return pl_client_get_fd(c, remote, STDOUT_FILENO, o, r, err);
    if (!local[0])
        return pl_fail(err, PL_ERR_USAGE, "empty local path");
    if (pl_client_check_times(c, o, err))
        return -1;
    char path[PATH_MAX];
    struct stat sb;
    size_t ll = strlen(local);
    if (local[ll - 1] == '/' ||
        (stat(local, &sb) == 0 && S_ISDIR(sb.st_mode))) {
        if (join_base(path, sizeof path, local, remote, err))
            return -1;
    } else if ((size_t)snprintf(path, sizeof path, "%s", local) >=
               sizeof path) {
        return local_fail(err, ENAMETOOLONG, local);
    }
    /* Parent directories are created; the file goes in beside its
     * destination so the final rename stays on one file system. */
    char dir[PATH_MAX], base[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(base, sizeof base, "%s", path);
    const char *d = dirname(dir), *b = basename(base);
    int dfd = pl_mkdirs_beneath(AT_FDCWD, d, 0777, 0, NULL);
    if (dfd < 0)
        return local_fail(err, errno, d);
    if (fstatat(dfd, b, &sb, 0) == 0 && S_ISDIR(sb.st_mode)) {
        close(dfd);
        return local_fail(err, EISDIR, path);
    }
    pl_atomic_file af;
    int rc = pl_atomic_open(&af, dfd, b, path, err);
    close(dfd);
    if (rc)
        return -1;
    rc = get_stream(c, remote, &af, o, r, err);
    snprintf(r->local, sizeof r->local, "%s", path); /* not cut short */
    return rc;
}
