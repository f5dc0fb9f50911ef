/* PutDir and GetDir from the client. The entry stream lives in
 * common/dirstream.c, shared with the server. */
#include "files.h"

#include "beneath.h"
#include "dirstream.h"
#include "filetime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_STREAM PIPELINE__V1__STREAM_ID__STREAM_DIR

static int send_request(pl_client *c, const pl_frame *f, pl_error *err)
{
    if (pl_channel_send(&c->ch, f, err)) {
        pl_stream_channel_error(err);
        return -1;
    }
    return 0;
}

/* The server's TransferResult must agree with what we counted. */
static int check_counts(const Pipeline__V1__TransferResult *tr,
                        uint64_t entries, uint64_t files, uint64_t bytes,
                        pl_error *err)
{
    if (tr->entries != entries || tr->files != files || tr->bytes != bytes)
        return pl_fail(
            err, PL_ERR_PROTOCOL,
            "the server counted %llu entries, %llu files, %llu "
            "bytes; we counted %llu, %llu, %llu",
            (unsigned long long)tr->entries, (unsigned long long)tr->files,
            (unsigned long long)tr->bytes, (unsigned long long)entries,
            (unsigned long long)files, (unsigned long long)bytes);
    return 0;
}

int pl_client_put_dir(pl_client *c, const char *localdir, const char *remotedir,
                      const pl_transfer_opts *o, pl_transfer_result *r,
                      pl_error *err)
{
    PL_CLIENT_ERR(err);
    pl_transfer_result local_r;
    if (!r)
        r = &local_r;
    memset(r, 0, sizeof *r);
    if (!remotedir[0])
        return pl_fail(err, PL_ERR_USAGE, "empty remote directory");
    if (pl_client_check_times(c, o, err))
        return -1;
    int dfd = open(localdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat sb;
    if (dfd < 0 || fstat(dfd, &sb)) {
        int e = errno;
        if (dfd >= 0)
            close(dfd);
        return pl_fail_errno(err, PL_ERR_IO, e, "%s", localdir);
    }
    pl_stream st;
    if (pl_client_xfer_init(c, &st, o, r, err)) {
        close(dfd);
        return -1;
    }
    snprintf(r->local, sizeof r->local, "%s", localdir);
    st.watch_peer = 1;
    pl_dir_send ds;
    memset(&ds, 0, sizeof ds);
    ds.st = &st;
    ds.with_sha = o && o->checksum;
    ds.send_times = o && o->keep_times;
    ds.skip_errors = 1;
    if (o) {
        ds.warn = o->warn;
        ds.file_done = o->file_done;
        ds.arg = o->arg;
    }
    ds.label = localdir;

    Pipeline__V1__PutDirRequest req = PIPELINE__V1__PUT_DIR_REQUEST__INIT;
    req.path.data = (uint8_t *)remotedir;
    req.path.len = strlen(remotedir);
    req.mode = sb.st_mode & 07777;
    req.checksum = ds.with_sha;
    Pipeline__V1__FileTime ft;
    if (ds.send_times) {
        pl_filetime_to_wire(&sb.st_mtim, &ft);
        req.mtime = &ft;
    }
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_PUT_DIR;
    f.put_dir = &req;
    pl_frame *res = NULL;
    int rc = send_request(c, &f, err);
    if (rc == 0)
        rc = pl_dir_send_tree(&ds, dfd, err);
    if (rc == PL_STREAM_PEER)
        rc = pl_client_early_status(c, &st, DIR_STREAM, err);
    else if (rc < 0 && err->code == PL_ERR_IO)
        pl_client_drop(c); /* a file broke off half way */
    else if (rc == 0)
        rc = pl_client_transfer_result(c, &res, err);
    close(dfd);
    pl_stream_free(&st);
    r->bytes = ds.bytes;
    r->files = ds.files;
    r->entries = ds.entries;
    r->skipped = ds.skipped;
    r->errors = ds.errors;
    if (rc)
        return -1;
    rc =
        check_counts(res->transfer_result, ds.entries, ds.files, ds.bytes, err);
    pl_frame_free(res);
    if (rc == 0 && ds.errors)
        rc =
            pl_fail(err, PL_ERR_IO,
                    "%llu entr%s of %s could not be read and %s skipped",
                    (unsigned long long)ds.errors, ds.errors == 1 ? "y" : "ies",
                    localdir, ds.errors == 1 ? "was" : "were");
    return rc;
}

/* The top directory's time, last: its entries changed it. A directory
 * that is not ours gets a warning, as those inside it do. */
static int set_top_time(int topfd, const Pipeline__V1__FileTime *ft,
                        pl_dir_recv *dr, const char *localdir, pl_error *err)
{
    struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}};
    if (pl_filetime_from_wire(ft, &ts[1], localdir, err)) {
        err->code = PL_ERR_PROTOCOL;
        return -1;
    }
    if (futimens(topfd, ts) && dr->warn) {
        char line[4200];
        snprintf(line, sizeof line, "%s: cannot set its modification time: %s",
                 localdir, strerror(errno));
        dr->warn(dr->arg, line);
    }
    return 0;
}

int pl_client_get_dir(pl_client *c, const char *remotedir, const char *localdir,
                      const pl_transfer_opts *o, pl_transfer_result *r,
                      pl_error *err)
{
    PL_CLIENT_ERR(err);
    pl_transfer_result local_r;
    if (!r)
        r = &local_r;
    memset(r, 0, sizeof *r);
    if (!remotedir[0] || !localdir[0])
        return pl_fail(err, PL_ERR_USAGE, "empty directory name");
    if (pl_client_check_times(c, o, err))
        return -1;
    int created = 0;
    int topfd = pl_mkdirs_beneath(AT_FDCWD, localdir, 0777, 0, &created);
    if (topfd < 0)
        return pl_fail_errno(err, PL_ERR_IO, errno, "%s", localdir);
    pl_stream st;
    if (pl_client_xfer_init(c, &st, o, r, err)) {
        close(topfd);
        return -1;
    }
    snprintf(r->local, sizeof r->local, "%s", localdir);
    pl_dir_recv dr;
    memset(&dr, 0, sizeof dr);
    dr.st = &st;
    dr.topfd = topfd;
    dr.with_sha = o && o->checksum;
    dr.keep_times = o && o->keep_times;
    if (o) {
        dr.warn = o->warn;
        dr.file_done = o->file_done;
        dr.arg = o->arg;
    }
    dr.label = localdir;
    /* Listed, so that a stop signal gives what it holds at 0700 its mode
     * (pl_client_cleanup_on_signals). */
    if (pl_dir_recv_track(&dr, err)) {
        close(topfd);
        pl_stream_free(&st);
        return -1;
    }

    Pipeline__V1__GetDirRequest req = PIPELINE__V1__GET_DIR_REQUEST__INIT;
    req.path.data = (uint8_t *)remotedir;
    req.path.len = strlen(remotedir);
    req.checksum = dr.with_sha;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_GET_DIR;
    f.get_dir = &req;
    pl_frame *res = NULL;
    int ended = 1;
    int rc = send_request(c, &f, err);
    if (rc == 0)
        rc = pl_dir_recv_tree(&dr, &ended, err);
    if (rc && !ended)
        pl_client_drop(c); /* the rest of the tree is still coming */
    if (rc == 0)
        rc = pl_client_transfer_result(c, &res, err);
    if (rc == 0 && dr.keep_times && res->transfer_result->mtime &&
        set_top_time(topfd, res->transfer_result->mtime, &dr, localdir, err)) {
        pl_frame_free(res);
        rc = -1;
    }
    r->bytes = dr.bytes;
    r->files = dr.files;
    r->entries = dr.entries;
    r->skipped = dr.skipped;
    pl_dir_recv_free(&dr); /* off the stop list while topfd is still open */
    close(topfd);
    pl_stream_free(&st);
    if (rc) {
        /* Nothing arrived (say, no such remote directory): leave no empty
         * directory behind. */
        if (created && dr.entries == 0)
            rmdir(localdir);
        return -1;
    }
    rc =
        check_counts(res->transfer_result, dr.entries, dr.files, dr.bytes, err);
    pl_frame_free(res);
    return rc;
}
