/*
 * The secure channel: 2-byte big-endian length + Noise transport message,
 * each decrypting to one pipeline.v1.Frame.
 *
 * The socket is non-blocking. Callers either use the blocking helpers
 * (pl_channel_send / pl_channel_recv, which poll with a timeout) or drive
 * the channel from their own poll loop (pl_channel_queue / flush /
 * read_step), so a call streaming both ways never blocks in write while the
 * peer is blocked in write too.
 */
#ifndef PIPELINE_CHANNEL_H
#define PIPELINE_CHANNEL_H

#include "error.h"
#include "noise.h"
#include "pipeline.pb-c.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef Pipeline__V1__Frame pl_frame;

/* Largest Frame plaintext: a Noise message is at most 65535 bytes with a
 * 16-byte tag. */
#define PL_FRAME_MAX (NOISE_MAX_MSG - NOISE_TAGLEN)
/* Largest Data payload that always fits a frame with its headers. */
#define PL_CHUNK_MAX (PL_FRAME_MAX - 32)
/* Most bytes the Frame and Data headers in front of a payload take:
 * Frame.data tag + length (1 + 3), Data.stream tag + value (1 + 1),
 * Data.data tag + length (1 + 3). */
#define PL_DATA_HDR_MAX 10

typedef struct pl_channel {
    int fd;
    noise_cipherstate tx, rx;
    uint8_t remote_key[32];
    size_t in_have;
    uint8_t *out_base;
    size_t out_len, out_off;
    /* a Data frame parsed in place in `in` (see pl_channel_read_step) */
    pl_frame view;
    Pipeline__V1__Data view_data;
    int timeout_ms; /* blocking helpers give up after this long without progress
                     */
    long long deadline_ms; /* CLOCK_MONOTONIC ms; 0 = none. Bounds raw reads
                            * in total, so a slow drip cannot hold a slot */
    char peer[400];
    /* The Noise cipher: the client sets the one to ask for before the
     * handshake (0: ChaChaPoly); the server's handshake records the one
     * the client chose. */
    int cipher;
    int refused; /* client: the server answered the "error: " line */
    /* How far into in and out anything was ever written: init leaves the
     * buffers untouched and close wipes only this much, so a short
     * connection (a `run -- true`) does not fault in and clear 128 KiB. */
    size_t in_hi, out_hi;
    /* The buffers come last: init zeroes everything before them. */
    /* incoming: header then body of the frame being read */
    uint8_t in[2 + NOISE_MAX_MSG];
    /* outgoing: one sealed message waiting to be written, at out_base (a
     * Data frame sealed in place may start a few bytes into out) */
    uint8_t out[2 + NOISE_MAX_MSG];
} pl_channel;

void pl_channel_init(pl_channel *ch, int fd, int timeout_ms);
/* Wipes keys and closes the descriptor. */
void pl_channel_close(pl_channel *ch);

/* Cleartext messages, used by the negotiation line and the handshake. */
int pl_channel_write_raw(pl_channel *ch, const uint8_t *msg, size_t len,
                         pl_error *err);
/* Reads one message of at most cap bytes. */
int pl_channel_read_raw(pl_channel *ch, uint8_t *msg, size_t cap, size_t *len,
                        pl_error *err);

/* Seals a frame into the output buffer and tries to write it. The buffer
 * must be empty (pl_channel_pending() == 0). */
int pl_channel_queue(pl_channel *ch, const pl_frame *f, pl_error *err);
/* Seals a Data frame for stream from buf (len <= PL_CHUNK_MAX). */
int pl_channel_queue_data(pl_channel *ch, int stream, const uint8_t *buf,
                          size_t len, pl_error *err);
/* Zero-copy sending: where a Data payload of up to PL_CHUNK_MAX bytes can
 * be read straight into the output buffer (only while the buffer is
 * empty); pl_channel_queue_room then writes the headers in front of it,
 * seals it in place and tries to write it, like pl_channel_queue_data. */
uint8_t *pl_channel_room(pl_channel *ch);
int pl_channel_queue_room(pl_channel *ch, int stream, size_t len,
                          pl_error *err);
/* Writes what it can: 1 when the buffer is empty, 0 when the socket is
 * full, -1 on error. */
int pl_channel_flush(pl_channel *ch, pl_error *err);
size_t pl_channel_pending(const pl_channel *ch);
/* Reads what is available: 1 and *out when a whole frame arrived (free it
 * with pl_frame_free), 0 when more bytes are needed, -1 on error or when
 * the peer closed (PL_ERR_CLOSED). A Data frame may point into the
 * channel's input buffer rather than into a copy: it stays valid until the
 * next read on this channel. */
int pl_channel_read_step(pl_channel *ch, pl_frame **out, pl_error *err);

/* Blocking helpers. */
int pl_channel_send(pl_channel *ch, const pl_frame *f, pl_error *err);
int pl_channel_send_data(pl_channel *ch, int stream, const uint8_t *buf,
                         size_t len, pl_error *err);
int pl_channel_drain(pl_channel *ch, pl_error *err);
int pl_channel_recv(pl_channel *ch, pl_frame **out, pl_error *err);
/* Waits until fd is ready for events; -1 with PL_ERR_TIMEOUT after
 * timeout_ms (negative: forever). */
int pl_wait_fd(int fd, short events, int timeout_ms, pl_error *err);
/* Writes like write(2) but never raises SIGPIPE on a socket (EPIPE
 * instead), so programs linking the library need not ignore it. */
ssize_t pl_fd_send(int fd, const void *buf, size_t len);
/* Sets ch->deadline_ms to now + ms. */
void pl_channel_set_deadline(pl_channel *ch, int ms);

/* Frame helpers. */
void pl_frame_free(pl_frame *f);
int pl_channel_send_status(pl_channel *ch, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *pl_frame_name(int body_case);

#endif
