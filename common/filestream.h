/*
 * A file's bytes on the wire, shared by both ends: the sender reads until
 * EOF (never trusting a size from metadata) and emits Data(STREAM_FILE)
 * frames filled to PL_CHUNK_MAX, then EndOfStream(STREAM_FILE) with the
 * total length and, when asked, the SHA-256; the receiver writes the Data
 * into a pl_atomic_file and accepts the file only when the EndOfStream
 * matches what arrived. No per-chunk acknowledgement; one heap buffer.
 *
 * Error convention of this module and of dirstream.h:
 *   PL_ERR_IO        the call failed but the connection is still in step
 *                    (local file error, refused entry, verification
 *                    failure); err->status holds the wire Code to report.
 *   PL_ERR_REMOTE    the peer ended the call with a Status.
 *   PL_ERR_PROTOCOL  the peer broke the protocol: close the connection.
 *   PL_ERR_CLOSED, PL_ERR_TIMEOUT  the connection is gone.
 */
#ifndef PIPELINE_FILESTREAM_H
#define PIPELINE_FILESTREAM_H

#include "atomic_file.h"
#include "channel.h"
#include "escape.h"

#include <stdint.h>

typedef struct pl_stream {
    pl_channel *ch;
    uint8_t *buf; /* PL_CHUNK_MAX bytes */
    /* Sender: look for a frame from the peer (an early Status) every few
     * chunks, and stop when there is one. */
    int watch_peer;
    /* Receiver: a Status from the peer ends the call (client side); on the
     * server a Status from the client is a protocol error. */
    int accept_status;
    /* Progress over the whole call: bytes so far and a size hint. */
    void (*progress)(void *arg, uint64_t done, uint64_t total);
    void *progress_arg;
    uint64_t done, total;
    unsigned chunks; /* since the last look at the peer */
    /* Sender: how long a silent source (pipe, blocking special file) may
     * stay silent before the call fails; 0: no limit. The peer is watched
     * meanwhile either way. */
    int source_timeout_ms;
} pl_stream;

/* Returned by senders when watch_peer found a frame waiting: nothing more
 * was sent, the caller reads the frame. */
#define PL_STREAM_PEER 1

int pl_stream_init(pl_stream *st, pl_channel *ch, pl_error *err);
void pl_stream_free(pl_stream *st);

/* Sends fd's bytes and the EndOfStream. label names the file in errors.
 * Returns 0, PL_STREAM_PEER, or -1; a read error (PL_ERR_IO) leaves the
 * stream unfinished, so the caller must end the call another way (a
 * Status on the server, closing the connection on the client). */
int pl_stream_send_file(pl_stream *st, int fd, const char *label, int with_sha,
                        uint64_t *total, uint8_t sha[32], pl_error *err);

/* Receives Data(STREAM_FILE)* and the EndOfStream into af, verifying the
 * total length and (with_sha) the digest. On success af is ready for
 * pl_atomic_commit, and *total and *sha hold what arrived. *ended tells
 * whether the stream's last frame (EndOfStream, or a Status) was consumed;
 * when a local write fails it was not, and the caller decides whether to
 * drain the rest or drop the connection. af is never committed or aborted
 * here. */
int pl_stream_recv_file(pl_stream *st, pl_atomic_file *af, int with_sha,
                        uint64_t *total, uint8_t sha[32], int *ended,
                        pl_error *err);

/* Sends EndOfStream(stream, total, sha when not NULL). */
int pl_stream_send_end(pl_stream *st, int stream, uint64_t total,
                       const uint8_t *sha, pl_error *err);

/* True when the peer has bytes waiting (poll with no timeout). */
int pl_stream_peer_spoke(pl_stream *st);

/* A channel failure reported as a connection failure: the channel uses
 * PL_ERR_IO for some socket errors, which here means a local file. */
void pl_stream_channel_error(pl_error *err);

/* A byte path from the wire made printable for messages and logs: the
 * project's one escaping rule (escape.h). */
static inline char *pl_path_show(const uint8_t *p, size_t len, char *out,
                                 size_t cap)
{
    return pl_escape(p, len, out, cap);
}

/* Lower-case hex of a SHA-256 into out[65]. */
void pl_sha256_hex(const uint8_t sha[32], char out[65]);

#endif
