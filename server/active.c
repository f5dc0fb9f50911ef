#include "active.h"

#include "filestream.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pl_active *head;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void describe(const pl_frame *req, char *out, size_t n)
{
    const ProtobufCBinaryData *path = NULL;
    const char *name = pl_frame_name(req->body_case);
    switch (req->body_case) {
    case PIPELINE__V1__FRAME__BODY_PUT_FILE:
        name = "put-file";
        path = &req->put_file->path;
        break;
    case PIPELINE__V1__FRAME__BODY_GET_FILE:
        name = "get-file";
        path = &req->get_file->path;
        break;
    case PIPELINE__V1__FRAME__BODY_PUT_DIR:
        name = "put-dir";
        path = &req->put_dir->path;
        break;
    case PIPELINE__V1__FRAME__BODY_GET_DIR:
        name = "get-dir";
        path = &req->get_dir->path;
        break;
    case PIPELINE__V1__FRAME__BODY_EXEC:
        name = "exec";
        path = req->exec->n_argv ? &req->exec->argv[0] : &req->exec->command;
        break;
    default:
        break;
    }
    char shown[320] = "";
    if (path)
        pl_path_show(path->data, path->len, shown, sizeof shown);
    snprintf(out, n, "%s%s%s", name, path ? " " : "", shown);
}

void pl_active_begin(pl_active *a, const char *peer, const pl_frame *req)
{
    memset(a, 0, sizeof *a);
    snprintf(a->peer, sizeof a->peer, "%s", peer);
    describe(req, a->what, sizeof a->what);
    a->t0 = now_s();
    pthread_mutex_lock(&lock);
    a->next = head;
    if (head)
        head->prev = a;
    head = a;
    pthread_mutex_unlock(&lock);
}

void pl_active_end(pl_active *a)
{
    pthread_mutex_lock(&lock);
    if (a->prev)
        a->prev->next = a->next;
    else if (head == a)
        head = a->next;
    if (a->next)
        a->next->prev = a->prev;
    pthread_mutex_unlock(&lock);
}

void pl_active_log_aborted(void)
{
    pthread_mutex_lock(&lock);
    double t = now_s();
    for (pl_active *a = head; a; a = a->next)
        pl_log("stopping: aborted %s for %s after %.1f s", a->what, a->peer,
               t - a->t0);
    pthread_mutex_unlock(&lock);
}
