/*
 * Receiving a file so that the destination name only ever holds a complete
 * file: the bytes go to ".NAME.XXXXXX.incomplete" in the destination's
 * directory (created O_EXCL, mode 0600), which is fsynced and renamed over
 * NAME only when the transfer has been verified; any failure removes it.
 *
 * All-zero chunks become holes (the file is extended by ftruncate at the
 * end), so sparse files stay sparse on the receiver.
 *
 * A "plain" atomic file writes to an existing descriptor instead (stdout):
 * no temporary, no holes, nothing to undo.
 */
#ifndef PIPELINE_ATOMIC_FILE_H
#define PIPELINE_ATOMIC_FILE_H

#include "error.h"

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define PL_INCOMPLETE_SUFFIX ".incomplete"

typedef struct pl_atomic_file {
    int fd;        /* the temporary file, or the plain descriptor */
    int dirfd;     /* its directory (our own descriptor) */
    int plain;     /* writing to a caller's descriptor */
    int open;      /* a temporary exists and must be renamed or removed */
    uint64_t size; /* bytes accepted so far */
    uint64_t end;  /* bytes actually written (the rest is a hole) */
    int has_mtime; /* commit sets mtime (pl_atomic_set_mtime) */
    struct timespec mtime;
    char name[NAME_MAX + 1];
    char tmp[NAME_MAX + 1];
    char label[320]; /* the destination as shown in messages */
    struct pl_atomic_file *next, *prev; /* the list of open temporaries */
} pl_atomic_file;

/* The temporary is ".NAME.XXXXXX.incomplete": NAME (shortened to fit
 * NAME_MAX), six letters or digits chosen at random, the suffix. While it
 * is written its descriptor holds an exclusive flock(2), so a cleaner can
 * tell a live temporary from one left by a dead process. */

/* 1 when name has exactly that form. */
int pl_atomic_is_temp_name(const char *name);

/* Creates the temporary for NAME in dirfd (dirfd is duplicated; the caller
 * keeps its own). label names the destination in error messages. Errors
 * are PL_ERR_IO with err->status set to a wire Code. */
int pl_atomic_open(pl_atomic_file *af, int dirfd, const char *name,
                   const char *label, pl_error *err);
/* Writes to fd as is (stdout); commit and abort do nothing to it. */
void pl_atomic_plain(pl_atomic_file *af, int fd, const char *label);
int pl_atomic_write(pl_atomic_file *af, const uint8_t *buf, size_t len,
                    pl_error *err);
/* The modification time commit gives the file (after its last write, so
 * the destination never shows another time). Without it the file keeps
 * the time it was written. Does nothing to a plain descriptor. */
void pl_atomic_set_mtime(pl_atomic_file *af, const struct timespec *mtime);
/* Sets the size (holes at the end), applies mode (& 0777) and the time
 * when one was set, fsyncs, renames over the destination and fsyncs the
 * directory. Removes the temporary on failure. */
int pl_atomic_commit(pl_atomic_file *af, mode_t mode, pl_error *err);
/* Removes the temporary (if any) and releases everything. */
void pl_atomic_abort(pl_atomic_file *af);

/* Replaces NAME in dirfd by a symlink to target, through a temporary name
 * and rename, so an existing entry is replaced and never followed. */
int pl_atomic_symlink(int dirfd, const char *name, const char *target,
                      const char *label, pl_error *err);

/* Removes every temporary still being written (a server that stops mid
 * transfer), calling report for each with its destination's label and the
 * bytes received so far. Their transfers then fail, and so does any
 * later pl_atomic_open (CODE_UNAVAILABLE): the process is stopping. */
void pl_atomic_remove_all(void (*report)(const char *label, uint64_t bytes));

#endif
