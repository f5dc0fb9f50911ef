/* PutDir and GetDir on the server. The entry stream lives in
 * common/dirstream.c, shared with the client. */
#include "beneath.h"
#include "dirstream.h"
#include "filetime.h"
#include "fspath.h"
#include "log.h"
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_STREAM PIPELINE__V1__STREAM_ID__STREAM_DIR

typedef struct dir_log {
    pl_session *s;
    const char *what;
} dir_log;

static void log_warning(void *arg, const char *msg)
{
    dir_log *l = arg;
    char shown[2048];
    pl_path_show((const uint8_t *)msg, strlen(msg), shown, sizeof shown);
    pl_log("%s: %s: %s", l->s->peer, l->what, shown);
}

static void log_done(pl_session *s, const char *what, const char *show,
                     uint64_t entries, uint64_t files, uint64_t bytes,
                     double t0)
{
    double dt = pl_srv_now() - t0;
    pl_log("%s: %s %s: %llu entries, %llu files, %llu bytes in %.3f s, "
           "client %s",
           s->peer, what, show, (unsigned long long)entries,
           (unsigned long long)files, (unsigned long long)bytes, dt,
           s->client_key);
}

int pl_handle_put_dir(pl_session *s, pl_frame *req)
{
    const Pipeline__V1__PutDirRequest *r = req->put_dir;
    double t0 = pl_srv_now();
    pl_srv_path p;
    pl_error err;
    pl_stream st = {0};
    dir_log lg = {s, "put-dir"};
    pl_dir_recv dr;
    memset(&dr, 0, sizeof dr);
    int topfd = -1, created = 0, ended = 0, rc;
    struct timespec mtime;
    if (pl_srv_path_open(s, &r->path, 1, &p, &err) ||
        (r->mtime && pl_filetime_from_wire(r->mtime, &mtime, p.show, &err)))
        goto failed;
    dr.label = p.show;
    /* Listed before anything is created: a server stopping mid-transfer
     * gives the directories made so far their modes (dirmodes.h). */
    if (pl_dir_recv_track(&dr, &err))
        goto failed;
    topfd = pl_mkdirs_beneath(p.rootfd, p.path, 0755, p.beneath, &created);
    if (topfd < 0) {
        pl_srv_errno(&p, errno, &err);
        goto failed;
    }
    dr.topfd = topfd;
    /* A new top directory gets its mode at the end, so a read-only mode
     * cannot stop its own entries; until then only we may use it. */
    if (created &&
        pl_dir_recv_hold_top(&dr, r->mode ? r->mode & 0777 : 0755, &err))
        goto failed;
    if (pl_stream_init(&st, &s->ch, &err))
        goto failed;
    dr.st = &st;
    dr.with_sha = r->checksum;
    dr.keep_times = 1; /* the entries that carry one (-p) */
    dr.warn = log_warning;
    dr.arg = &lg;
    if (pl_dir_recv_tree(&dr, &ended, &err))
        goto failed;
    /* Last, as for the directories inside: writing entries changed it. */
    if (r->mtime && futimens(topfd, (const struct timespec[2]){
                                        {.tv_nsec = UTIME_OMIT}, mtime}))
        pl_log("%s: put-dir %s: cannot set its modification time: %s", s->peer,
               p.show, strerror(errno));
    if (pl_dir_recv_release_top(&dr) || (created && pl_sync_dir(topfd))) {
        pl_srv_errno(&p, errno, &err);
        goto failed;
    }
    pl_dir_recv_free(&dr); /* before topfd is closed */
    close(topfd);
    log_done(s, "put-dir", p.show, dr.entries, dr.files, dr.bytes, t0);
    rc = pl_srv_send_result(s, dr.bytes, NULL, dr.files, dr.entries, NULL);
    pl_stream_free(&st);
    pl_srv_path_close(&p);
    pl_frame_free(req);
    return rc;

failed:
    /* A new top directory gets its mode on this path too: never left at
     * the 0700 it had while being filled. */
    if (pl_dir_recv_release_top(&dr))
        pl_log("%s: put-dir %s: cannot set its mode: %s", s->peer, p.show,
               strerror(errno));
    pl_dir_recv_free(&dr); /* before topfd is closed */
    if (topfd >= 0)
        close(topfd);
    pl_stream_free(&st);
    rc = pl_srv_end_failed(s, "put-dir", p.show, &err, DIR_STREAM, ended);
    pl_srv_path_close(&p);
    pl_frame_free(req);
    return rc;
}

int pl_handle_get_dir(pl_session *s, pl_frame *req)
{
    const Pipeline__V1__GetDirRequest *r = req->get_dir;
    double t0 = pl_srv_now();
    pl_srv_path p;
    pl_error err;
    pl_stream st = {0};
    dir_log lg = {s, "get-dir"};
    pl_dir_send ds;
    memset(&ds, 0, sizeof ds);
    int topfd = -1, rc;
    struct stat top;
    if (pl_srv_path_open(s, &r->path, 0, &p, &err))
        goto failed;
    topfd =
        pl_open_beneath(p.rootfd, p.path, O_RDONLY | O_DIRECTORY, 0, p.beneath);
    /* Its time before the walk: a client keeping times (-p) sets it. */
    if (topfd < 0 || fstat(topfd, &top)) {
        pl_srv_errno(&p, errno, &err);
        goto failed;
    }
    if (pl_stream_init(&st, &s->ch, &err))
        goto failed;
    st.source_timeout_ms = s->cfg->idle_timeout_ms;
    ds.st = &st;
    ds.with_sha = r->checksum;
    ds.send_times = 1;
    ds.skip_errors = 0;
    ds.warn = log_warning;
    ds.arg = &lg;
    ds.label = p.show;
    if (pl_dir_send_tree(&ds, topfd, &err))
        goto failed;
    close(topfd);
    pl_stream_free(&st);
    log_done(s, "get-dir", p.show, ds.entries, ds.files, ds.bytes, t0);
    rc = pl_srv_send_result(s, ds.bytes, NULL, ds.files, ds.entries,
                            &top.st_mtim);
    pl_srv_path_close(&p);
    pl_frame_free(req);
    return rc;

failed:
    if (topfd >= 0)
        close(topfd);
    pl_stream_free(&st);
    /* Mid-stream the Status is the call's terminal frame. */
    rc = pl_srv_end_failed(s, "get-dir", p.show, &err, 0, 1);
    pl_srv_path_close(&p);
    pl_frame_free(req);
    return rc;
}
