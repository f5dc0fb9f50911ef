/*
 * File and directory transfers: PutFile, GetFile, PutDir, GetDir.
 *
 * Files are streamed in chunks with constant memory whatever their size.
 * A received file is written to ".NAME.XXXXXX.incomplete" beside its
 * destination and renamed over it only after the server's end-of-stream
 * frame arrived with the right length (and digest, with checksum), so a
 * failed transfer never truncates or replaces an existing file.
 *
 * When a call fails half way in a way that leaves frames in flight (a
 * local write error while receiving, a read error while sending), the
 * connection is shut down: later calls on it fail. A Status from the
 * server leaves the connection usable.
 */
#ifndef PIPELINE_CLIENT_FILES_H
#define PIPELINE_CLIENT_FILES_H

#include "client.h"

#include <stdint.h>
#include <sys/types.h>

typedef struct pl_transfer_opts {
    int checksum; /* SHA-256 on both ends, compared */
    /* Bytes so far and a size hint (0: unknown), after every chunk. */
    void (*progress)(void *arg, uint64_t done, uint64_t total);
    /* Entries skipped in a directory transfer. */
    void (*warn)(void *arg, const char *msg);
    /* Each file of a directory transfer, with its digest (NULL without
     * checksum); name is relative to the directory. */
    void (*file_done)(void *arg, const char *name, const uint8_t *sha);
    void *arg;
} pl_transfer_opts;

typedef struct pl_transfer_result {
    uint64_t bytes;   /* file bytes transferred */
    uint64_t files;   /* regular files (directories) */
    uint64_t entries; /* all entries (directories) */
    uint64_t skipped; /* special files left out (directories) */
    uint64_t errors;  /* local entries that could not be read (put-dir) */
    int has_sha256;
    uint8_t sha256[32];
    char local[4096]; /* the local file actually read or written */
} pl_transfer_result;

/* Copies local ("-": stdin) to remote on the server. A remote path ending
 * in '/' gets the local file's name appended. The local mode is kept. */
int pl_client_put_file(pl_client *c, const char *local, const char *remote,
                       const pl_transfer_opts *o, pl_transfer_result *r,
                       pl_error *err);
/* Copies what fd yields until EOF to remote with mode (0: the server's
 * default 0644); size_hint only feeds progress. */
int pl_client_put_fd(pl_client *c, int fd, mode_t mode, uint64_t size_hint,
                     const char *remote, const pl_transfer_opts *o,
                     pl_transfer_result *r, pl_error *err);

/* Copies remote to local ("-": stdout). An existing local directory, or a
 * local path ending in '/', receives the file under its remote name.
 * Missing parent directories are created. */
int pl_client_get_file(pl_client *c, const char *remote, const char *local,
                       const pl_transfer_opts *o, pl_transfer_result *r,
                       pl_error *err);
/* Writes remote's bytes to fd as they come (no temporary file). */
int pl_client_get_fd(pl_client *c, const char *remote, int fd,
                     const pl_transfer_opts *o, pl_transfer_result *r,
                     pl_error *err);

/* Copies the tree under localdir into remotedir (created as needed).
 * Symlinks are sent as links; special files are skipped with a warning;
 * unreadable entries are skipped with a warning and make the call fail
 * (PL_ERR_IO) after the rest was transferred. */
int pl_client_put_dir(pl_client *c, const char *localdir, const char *remotedir,
                      const pl_transfer_opts *o, pl_transfer_result *r,
                      pl_error *err);
/* Copies the tree under remotedir into localdir (created as needed). */
int pl_client_get_dir(pl_client *c, const char *remotedir, const char *localdir,
                      const pl_transfer_opts *o, pl_transfer_result *r,
                      pl_error *err);

/* Shared by client/files.c and client/dirs.c. */
struct pl_stream;
int pl_client_xfer_init(pl_client *c, struct pl_stream *st,
                        const pl_transfer_opts *o, pl_transfer_result *r,
                        pl_error *err);
/* The server spoke while we were sending: read its Status, end our side
 * of the call with EndOfStream(stream) and fail with the Status. */
int pl_client_early_status(pl_client *c, struct pl_stream *st, int stream,
                           pl_error *err);
/* Makes the connection unusable after a call broke off half way. */
void pl_client_drop(pl_client *c);
/* Waits for the TransferResult of a put call. */
int pl_client_transfer_result(pl_client *c, pl_frame **out, pl_error *err);

#endif
