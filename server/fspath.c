#include "fspath.h"

#include "filetime.h"
#include "status.h"

#include "atomic_file.h"
#include "beneath.h"
#include "filestream.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double pl_srv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int pl_srv_path_open(pl_session *s, const ProtobufCBinaryData *raw, int write,
                     pl_srv_path *p, pl_error *err)
{
    memset(p, 0, sizeof *p);
    p->rootfd = AT_FDCWD;
    pl_path_show(raw->data, raw->len, p->show, sizeof p->show);
    if (!s->cfg->allow_files)
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED,
                              "file transfers are disabled on this server "
                              "(server.allow_files)");
    if (write && s->cfg->read_only)
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED,
                              "%s: this server is read-only (server.read_only)",
                              p->show);
    if (raw->len == 0)
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                              "empty path");
    if (memchr(raw->data, '\0', raw->len))
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                              "%s: path contains a NUL byte", p->show);
    if (raw->len >= PATH_MAX)
        return pl_fail_status(
            err, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
            "path of %zu bytes is too long (at most %d): %.60s...", raw->len,
            PATH_MAX - 1, p->show);
    p->path = malloc(raw->len + 1);
    if (!p->path)
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    memcpy(p->path, raw->data, raw->len);
    p->path[raw->len] = '\0';
    const char *root = s->cfg->root;
    if (!root || !root[0])
        return 0;
    p->beneath = 1;
    /* Absolute request paths are taken relative to the root. */
    size_t skip = strspn(p->path, "/");
    memmove(p->path, p->path + skip, strlen(p->path + skip) + 1);
    if (pl_path_has_dotdot(p->path))
        return pl_fail_status(
            err, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED,
            "%s: \"..\" is not allowed beneath the server root", p->show);
    p->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (p->rootfd < 0) {
        int e = errno;
        pl_log("%s: server root %s: %s", s->peer, root, strerror(e));
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_FAILED_PRECONDITION,
                              "the server's root directory is unavailable: %s",
                              strerror(e));
    }
    return 0;
}

void pl_srv_path_close(pl_srv_path *p)
{
    if (p->rootfd >= 0)
        close(p->rootfd);
    p->rootfd = AT_FDCWD;
    free(p->path);
    p->path = NULL;
}

int pl_srv_errno(const pl_srv_path *p, int e, pl_error *err)
{
    if (p->beneath && e == EXDEV)
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED,
                              "%s: leads outside the server root", p->show);
    if (p->beneath && e == ELOOP && !pl_beneath_has_openat2())
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED,
                              "%s: symbolic links are not followed beneath the "
                              "server root",
                              p->show);
    return pl_fail_status(err, pl_code_for_errno(e), "%s: %s", p->show,
                          strerror(e));
}

int pl_srv_open_parent(pl_srv_path *p, int create, int *dirfd,
                       const char **base, pl_error *err)
{
    char *path = p->path;
    char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    if (!b[0] || strcmp(b, ".") == 0 || strcmp(b, "..") == 0)
        return pl_srv_errno(p, EISDIR, err);
    int fd;
    if (slash) {
        /* "/x" has the parent "/": keep the slash, cut after it. */
        char *cut = slash == path ? slash + 1 : slash;
        char saved = *cut;
        *cut = '\0';
        fd = create ? pl_mkdirs_beneath(p->rootfd, path, 0755, p->beneath, NULL)
                    : pl_open_beneath(p->rootfd, path, O_RDONLY | O_DIRECTORY,
                                      0, p->beneath);
        *cut = saved;
    } else {
        fd = pl_open_beneath(p->rootfd, ".", O_RDONLY | O_DIRECTORY, 0,
                             p->beneath);
    }
    if (fd < 0)
        return pl_srv_errno(p, errno, err);
    *dirfd = fd;
    *base = b;
    return 0;
}

int pl_srv_reply_error(pl_session *s, const pl_error *err)
{
    int code;
    switch (err->code) {
    case PL_ERR_IO:
    case PL_ERR_REMOTE:
        code = err->status ? err->status : PIPELINE__V1__CODE__CODE_UNKNOWN;
        break;
    case PL_ERR_PROTOCOL:
        code = PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT;
        break;
    case PL_ERR_NOMEM:
        code = PIPELINE__V1__CODE__CODE_RESOURCE_EXHAUSTED;
        break;
    default:
        code = PIPELINE__V1__CODE__CODE_INTERNAL;
    }
    /* Status.message is a proto3 string: it must be valid UTF-8, and
     * entry names from the wire need not be. */
    char msg[sizeof err->msg * 4];
    pl_path_show((const uint8_t *)err->msg, strlen(err->msg), msg, sizeof msg);
    return pl_channel_send_status(&s->ch, code, "%s", msg);
}

int pl_srv_discard(pl_session *s, int stream)
{
    for (;;) {
        pl_frame *f = NULL;
        pl_error err;
        if (pl_channel_recv(&s->ch, &f, &err)) {
            if (err.code != PL_ERR_CLOSED)
                pl_log("%s: closing: %s", s->peer, err.msg);
            return -1;
        }
        int body = (int)f->body_case;
        int done = body == PIPELINE__V1__FRAME__BODY_END &&
                   (int)f->end->stream == stream;
        pl_frame_free(f);
        if (done)
            return 0;
        if (body != PIPELINE__V1__FRAME__BODY_DATA &&
            body != PIPELINE__V1__FRAME__BODY_END &&
            body != PIPELINE__V1__FRAME__BODY_DIR_ENTRY) {
            pl_log("%s: closing: a %s frame while waiting for the end of "
                   "a failed call",
                   s->peer, pl_frame_name(body));
            pl_channel_send_status(&s->ch,
                                   PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                                   "unexpected %s frame after the call "
                                   "failed",
                                   pl_frame_name(body));
            return -1;
        }
    }
}

int pl_srv_end_failed(pl_session *s, const char *what, const char *show,
                      const pl_error *err, int drain_stream, int ended)
{
    char msg[sizeof err->msg * 4];
    pl_path_show((const uint8_t *)err->msg, strlen(err->msg), msg, sizeof msg);
    switch (err->code) {
    case PL_ERR_IO:
    case PL_ERR_NOMEM:
        pl_log("%s: %s %s failed: %s (client %s)", s->peer, what, show, msg,
               s->client_key);
        if (pl_srv_reply_error(s, err))
            return -1;
        if (drain_stream && !ended)
            return pl_srv_discard(s, drain_stream);
        return 0;
    case PL_ERR_PROTOCOL:
        pl_log("%s: %s %s: closing: %s (client %s)", s->peer, what, show, msg,
               s->client_key);
        pl_srv_reply_error(s, err);
        return -1;
    default:
        pl_log("%s: %s %s aborted: %s (client %s)", s->peer, what, show, msg,
               s->client_key);
        return -1;
    }
}

int pl_srv_send_result(pl_session *s, uint64_t bytes, const uint8_t *sha,
                       uint64_t files, uint64_t entries,
                       const struct timespec *mtime)
{
    Pipeline__V1__TransferResult r = PIPELINE__V1__TRANSFER_RESULT__INIT;
    r.bytes = bytes;
    if (sha) {
        r.sha256.data = (uint8_t *)sha;
        r.sha256.len = 32;
    }
    r.files = files;
    r.entries = entries;
    Pipeline__V1__FileTime ft;
    if (mtime) {
        pl_filetime_to_wire(mtime, &ft);
        r.mtime = &ft;
    }
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_TRANSFER_RESULT;
    f.transfer_result = &r;
    pl_error err;
    if (pl_channel_send(&s->ch, &f, &err)) {
        pl_log("%s: closing: %s", s->peer, err.msg);
        return -1;
    }
    return 0;
}
