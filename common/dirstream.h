/*
 * A directory tree on the wire, shared by both ends (PutDir from the
 * client, GetDir from the server): DirEntry frames, parents before
 * children, each ENTRY_FILE followed by its file stream (filestream.h),
 * then EndOfStream(STREAM_DIR) whose total_length counts the entries.
 *
 * The sender never follows a symbolic link (it sends the link itself), so
 * loops are harmless; files other than regular files, directories and
 * symlinks are announced as ENTRY_UNSPECIFIED and skipped. The receiver
 * refuses absolute names and names with empty, "." or ".." components,
 * and resolves every name beneath the target directory's descriptor
 * (beneath.h), so a symlink inside the target can never redirect a write.
 * Files are received atomically (atomic_file.h); symlinks are created
 * under a temporary name and renamed.
 *
 * Errors follow the convention in filestream.h.
 */
#ifndef PIPELINE_DIRSTREAM_H
#define PIPELINE_DIRSTREAM_H

#include "filestream.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Deeper trees are refused. */
#define PL_DIR_MAX_DEPTH 256
/* A sender keeps at most this many directory levels open at once (one
 * descriptor and one readdir buffer each); deeper levels are closed while
 * their subtree is sent and reopened by name beneath the top after. */
#define PL_DIR_OPEN_LEVELS 8
/* Directories whose mode lacks u+wx get it only at the end of a transfer;
 * a receiver remembers at most this many (each name costs memory). */
#define PL_DIR_MAX_DELAYED 4096

typedef struct pl_dir_send {
    pl_stream *st;
    int with_sha;
    /* Every entry carries its modification time (the server always; the
     * client with -p). */
    int send_times;
    /* Client: an unreadable entry is reported through warn and skipped
     * (counted in errors). Server: it ends the call with an error. */
    int skip_errors;
    void (*warn)(void *arg, const char *msg);
    /* After each regular file; sha is NULL without with_sha. */
    void (*file_done)(void *arg, const char *name, const uint8_t *sha);
    void *arg;
    const char *label; /* the top directory, for messages */
    uint64_t entries, files, bytes, skipped, errors;
    /* Working buffers (heap: the walk recurses on a small stack). */
    char *name, *link, *show;
    int top; /* the caller's dirfd, to reopen deep levels beneath it */
} pl_dir_send;

/* Sends the entries beneath dirfd (which stays the caller's) and the
 * EndOfStream(STREAM_DIR). Returns 0, PL_STREAM_PEER (a frame from the
 * peer is waiting; nothing more was sent) or -1. */
int pl_dir_send_tree(pl_dir_send *ds, int dirfd, pl_error *err);

typedef struct pl_dir_mode {
    char *name;
    uint32_t mode;
} pl_dir_mode;

/* A directory whose time is set once the stream has left it: its name
 * is the first len bytes of pl_dir_recv.tpath. */
typedef struct pl_dir_time {
    size_t len;
    struct timespec mtime;
} pl_dir_time;

typedef struct pl_dir_recv {
    pl_stream *st;
    int topfd; /* the target directory; the caller's */
    /* A new top directory held at 0700 until the end (server PutDir):
     * see pl_dir_recv_hold_top. */
    int top_held;
    uint32_t top_mode;
    /* Listed for pl_dir_recv_stop_all (pl_dir_recv_track). */
    int tracked;
    struct pl_dir_recv *next_tracked, *prev_tracked;
    int with_sha;
    /* Entries that carry a modification time get it (files before their
     * rename, symlinks after, directories once their last entry arrived);
     * without it everything gets the time it was written. A directory's
     * time that cannot be set (one owned by someone else) is a warning. */
    int keep_times;
    void (*warn)(void *arg, const char *msg);
    void (*file_done)(void *arg, const char *name, const uint8_t *sha);
    void *arg;
    const char *label; /* the target directory, for messages */
    uint64_t entries, files, bytes, skipped;
    /* Directories that must stay writable until the end (their own mode
     * lacks u+wx): their mode is applied last. */
    pl_dir_mode *delayed;
    size_t ndelayed, cap;
    /* Directories still open in the stream, each an ancestor of the next
     * (senders go depth first), waiting for their times; tpath holds the
     * deepest one's name, the others' are prefixes of it. */
    pl_dir_time *times;
    size_t ntimes, tcap;
    char *name, *link, *show, *tpath; /* working buffers */
} pl_dir_recv;

/* Receives entries until EndOfStream(STREAM_DIR), sets the directories'
 * times (keep_times) and applies the delayed directory modes, on failure too
 * (the directories made so far keep the sender's modes, none is left at 0700).
 * *ended tells whether the EndOfStream (or a Status) was consumed: after a
 * failed entry it was not, and the caller drains the rest (server) or drops the
 * connection (client). */
int pl_dir_recv_tree(pl_dir_recv *dr, int *ended, pl_error *err);
/* Releases everything, and the listing of pl_dir_recv_track: call it
 * before closing topfd. */
void pl_dir_recv_free(pl_dir_recv *dr);

/* For a server, which may stop while transfers are in flight.
 *
 * pl_dir_recv_track lists dr (before it creates anything) so that
 * pl_dir_recv_stop_all can apply the modes it still owes; it fails with
 * CODE_UNAVAILABLE once the server is stopping.
 *
 * pl_dir_recv_hold_top: the caller created dr->topfd; it stays at 0700
 * (so a read-only mode cannot stop its own entries) until
 * pl_dir_recv_release_top gives it mode. Once the server is stopping it
 * gets mode at once and -1 is returned (CODE_UNAVAILABLE in err).
 * pl_dir_recv_release_top returns -1 with errno when fchmod fails; it does
 * nothing (0) when the top is not held, or no longer (given its mode by
 * pl_dir_recv_stop_all).
 *
 * pl_dir_recv_stop_all gives the directories every listed transfer
 * created their modes (deepest first, then the top), as a failed transfer
 * does, and reports each transfer's label and count. Afterwards no
 * directory is put at 0700 again: creating one fails (CODE_UNAVAILABLE). */
int pl_dir_recv_track(pl_dir_recv *dr, pl_error *err);
int pl_dir_recv_hold_top(pl_dir_recv *dr, uint32_t mode, pl_error *err);
int pl_dir_recv_release_top(pl_dir_recv *dr);
void pl_dir_recv_stop_all(void (*report)(const char *label, size_t dirs));

#endif
