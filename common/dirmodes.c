#include "dirmodes.h"

#include "beneath.h"
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One lock for every transfer: it is taken only around a few system calls
 * on directories whose mode is delayed (rare) and on the top. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pl_dir_recv *tracked_head;
static int stopping; /* set by pl_dir_recv_stop_all, never cleared */

static int fail_stopping(pl_error *err, const char *label)
{
    return pl_fail_status(err, PIPELINE__V1__CODE__CODE_UNAVAILABLE,
                          "%s: the server is stopping", label);
}

int pl_dir_recv_track(pl_dir_recv *dr, pl_error *err)
{
    pthread_mutex_lock(&lock);
    int ok = !stopping;
    if (ok) {
        dr->prev_tracked = NULL;
        dr->next_tracked = tracked_head;
        if (tracked_head)
            tracked_head->prev_tracked = dr;
        tracked_head = dr;
        dr->tracked = 1;
    }
    pthread_mutex_unlock(&lock);
    return ok ? 0 : fail_stopping(err, dr->label ? dr->label : "put-dir");
}

/* Called from pl_dir_recv_free. */
void pl_dirmodes_untrack(pl_dir_recv *dr)
{
    if (!dr->tracked)
        return;
    pthread_mutex_lock(&lock);
    if (dr->prev_tracked)
        dr->prev_tracked->next_tracked = dr->next_tracked;
    else if (tracked_head == dr)
        tracked_head = dr->next_tracked;
    if (dr->next_tracked)
        dr->next_tracked->prev_tracked = dr->prev_tracked;
    dr->next_tracked = dr->prev_tracked = NULL;
    dr->tracked = 0;
    pthread_mutex_unlock(&lock);
}

int pl_dir_recv_hold_top(pl_dir_recv *dr, uint32_t mode, pl_error *err)
{
    pthread_mutex_lock(&lock);
    if (stopping) {
        pthread_mutex_unlock(&lock);
        fchmod(dr->topfd, mode & 0777);
        return fail_stopping(err, dr->label);
    }
    int e = fchmod(dr->topfd, 0700) ? errno : 0;
    if (!e) {
        dr->top_held = 1;
        dr->top_mode = mode & 0777;
    }
    pthread_mutex_unlock(&lock);
    return e ? pl_fail_io(err, e, dr->label) : 0;
}

int pl_dir_recv_release_top(pl_dir_recv *dr)
{
    pthread_mutex_lock(&lock);
    int rc = 0;
    if (dr->top_held) {
        rc = fchmod(dr->topfd, dr->top_mode);
        dr->top_held = 0;
    }
    int e = errno;
    pthread_mutex_unlock(&lock);
    errno = e;
    return rc;
}

int pl_dirmodes_mkdir(pl_dir_recv *dr, int pfd, const char *base, uint32_t mode,
                      const char *show, pl_error *err)
{
    pthread_mutex_lock(&lock);
    int rc;
    if (stopping) {
        rc = fail_stopping(err, show);
    } else if (mkdirat(pfd, base, 0700)) {
        rc = errno == EEXIST ? 0 : pl_fail_io(err, errno, show);
    } else if (dr->ndelayed >= PL_DIR_MAX_DELAYED) {
        unlinkat(pfd, base, AT_REMOVEDIR); /* just made, still empty */
        rc = pl_fail_status(err, PIPELINE__V1__CODE__CODE_RESOURCE_EXHAUSTED,
                            "%s: more than %d directories without write "
                            "permission in one transfer",
                            show, PL_DIR_MAX_DELAYED);
    } else {
        rc = 1;
        if (dr->ndelayed == dr->cap) {
            size_t cap = dr->cap ? dr->cap * 2 : 16;
            pl_dir_mode *m = realloc(dr->delayed, cap * sizeof *m);
            if (m) {
                dr->delayed = m;
                dr->cap = cap;
            }
        }
        char *copy = dr->ndelayed < dr->cap ? strdup(dr->name) : NULL;
        if (copy) {
            dr->delayed[dr->ndelayed].name = copy;
            dr->delayed[dr->ndelayed].mode = mode;
            dr->ndelayed++;
        } else {
            fchmodat(pfd, base, mode, AT_SYMLINK_NOFOLLOW);
            rc = pl_fail(err, PL_ERR_NOMEM, "out of memory");
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* Takes the deepest delayed directory off the list and gives it its mode,
 * under the lock. Returns its descriptor (to sync and close) or -1 with
 * errno; *name is the entry's name, the caller's to free. 0 entries left:
 * -1 and *name NULL. */
static int apply_last(pl_dir_recv *dr, char **name)
{
    *name = NULL;
    if (dr->ndelayed == 0)
        return -1;
    pl_dir_mode *m = &dr->delayed[--dr->ndelayed];
    *name = m->name;
    int fd = pl_open_beneath(dr->topfd, m->name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, 1);
    if (fd >= 0 && fchmod(fd, m->mode & 0777)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int pl_dirmodes_apply(pl_dir_recv *dr, char *name)
{
    for (;;) {
        char *done;
        pthread_mutex_lock(&lock);
        int fd = apply_last(dr, &done);
        int e = errno;
        pthread_mutex_unlock(&lock);
        if (!done)
            return 0;
        /* Synced outside the lock: the mode is what a stop needs. */
        if (fd >= 0 && pl_sync_dir(fd))
            e = errno;
        else if (fd >= 0)
            e = 0;
        if (fd >= 0)
            close(fd);
        if (e) {
            snprintf(name, PATH_MAX + 1, "%s", done);
            free(done);
            errno = e;
            return -1;
        }
        free(done);
    }
}

void pl_dirmodes_apply_quietly(pl_dir_recv *dr)
{
    for (;;) {
        char *done;
        pthread_mutex_lock(&lock);
        int fd = apply_last(dr, &done);
        pthread_mutex_unlock(&lock);
        if (!done)
            return;
        /* Nothing more to say on failure: the call failed already. */
        if (fd >= 0) {
            pl_sync_dir(fd);
            close(fd);
        }
        free(done);
    }
}

void pl_dir_recv_stop_all(void (*report)(const char *label, size_t dirs))
{
    pthread_mutex_lock(&lock);
    stopping = 1;
    for (pl_dir_recv *dr = tracked_head; dr; dr = dr->next_tracked) {
        size_t n = 0;
        char *done;
        for (;;) {
            int fd = apply_last(dr, &done);
            if (!done)
                break;
            if (fd >= 0) {
                pl_sync_dir(fd);
                close(fd);
                n++;
            }
            free(done);
        }
        if (dr->top_held) {
            if (fchmod(dr->topfd, dr->top_mode) == 0) {
                pl_sync_dir(dr->topfd);
                n++;
            }
            dr->top_held = 0;
        }
        if (n && report)
            report(dr->label, n);
    }
    pthread_mutex_unlock(&lock);
}
