/*
 * Server side of the file calls: policy (server.allow_files,
 * server.read_only), request paths resolved beneath server.root, and how
 * a failed call ends.
 *
 * With a root, a request path is taken relative to it: leading slashes
 * are dropped ("/etc/passwd" means ROOT/etc/passwd), ".." components are
 * refused outright, and resolution never leaves the root (beneath.h).
 * Without a root, paths are used as given: the server runs as the
 * enclave's operator.
 */
#ifndef PIPELINE_FSPATH_H
#define PIPELINE_FSPATH_H

#include "session.h"

#include <time.h>

typedef struct pl_srv_path {
    int rootfd;     /* the root, or AT_FDCWD */
    int beneath;    /* a root is configured */
    char *path;     /* the request path; relative to rootfd */
    char show[320]; /* the path as the client sent it, printable */
} pl_srv_path;

/* Checks policy (write: the call writes files) and the request path.
 * Errors are PL_ERR_IO with err->status set. */
int pl_srv_path_open(pl_session *s, const ProtobufCBinaryData *raw, int write,
                     pl_srv_path *p, pl_error *err);
void pl_srv_path_close(pl_srv_path *p);

/* Opens the parent directory of the path (creating it, mkdir -p, when
 * create) and points *base at the last component. */
int pl_srv_open_parent(pl_srv_path *p, int create, int *dirfd,
                       const char **base, pl_error *err);

/* An error for errno e on the request path; escapes from the root get a
 * message saying so. Returns -1. */
int pl_srv_errno(const pl_srv_path *p, int e, pl_error *err);

/* Sends err as the call's terminal Status (message made valid UTF-8).
 * Returns 0, or -1 when the connection failed. */
int pl_srv_reply_error(pl_session *s, const pl_error *err);

/* After an error Status in a put call: reads and drops the rest of the
 * call up to and including EndOfStream(stream). 0 when the connection can
 * carry another call, -1 when it must close. */
int pl_srv_discard(pl_session *s, int stream);

/* Ends a failed call according to err (see filestream.h): replies with a
 * Status when the connection is in step, drains the rest of a put call
 * when its stream is still open (drain_stream != 0 and !ended), and
 * returns the handler's result. what/show name the call in the log. */
int pl_srv_end_failed(pl_session *s, const char *what, const char *show,
                      const pl_error *err, int drain_stream, int ended);

/* Monotonic seconds, for durations in the log. */
double pl_srv_now(void);

/* Sends the TransferResult that ends a successful call (sha and mtime,
 * GetDir's top directory time, may be NULL). -1 (logged) when the
 * connection failed. */
int pl_srv_send_result(pl_session *s, uint64_t bytes, const uint8_t *sha,
                       uint64_t files, uint64_t entries,
                       const struct timespec *mtime);

#endif
