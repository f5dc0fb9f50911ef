/*
 * File and directory transfers: PutFile, GetFile, PutDir, GetDir (declared
 * in include/pipeline/client.h); what files.c and dirs.c share.
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

/* Shared by client/files.c and client/dirs.c. */
struct pl_stream;
int pl_client_xfer_init(pl_client *c, struct pl_stream *st,
                        const pl_transfer_opts *o, pl_transfer_result *r,
                        pl_error *err);
/* The server spoke while we were sending: read its Status, end our side
 * of the call with EndOfStream(stream) and fail with the Status. */
int pl_client_early_status(pl_client *c, struct pl_stream *st, int stream,
                           pl_error *err);
/* Fails, before anything is sent or created, when o asks to keep times
 * and the server would silently drop them (its Hello lacks "mtime"). */
int pl_client_check_times(const pl_client *c, const pl_transfer_opts *o,
                          pl_error *err);
/* Makes the connection unusable after a call broke off half way. */
void pl_client_drop(pl_client *c);
/* Waits for the TransferResult of a put call. */
int pl_client_transfer_result(pl_client *c, pl_frame **out, pl_error *err);

#endif
