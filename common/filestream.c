#include "filestream.h"
#include "status.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_STREAM PIPELINE__V1__STREAM_ID__STREAM_FILE
/* Look for an early Status every this many chunks (about 512 KiB). */
#define WATCH_EVERY 8

int pl_stream_init(pl_stream *st, pl_channel *ch, pl_error *err)
{
    memset(st, 0, sizeof *st);
    st->ch = ch;
    /* On the heap: connection threads have small stacks. */
    st->buf = malloc(PL_CHUNK_MAX);
    if (!st->buf)
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    return 0;
}

void pl_stream_free(pl_stream *st)
{
    free(st->buf);
    st->buf = NULL;
}

void pl_stream_channel_error(pl_error *err)
{
    if (err && err->code == PL_ERR_IO) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        pl_fail(err, PL_ERR_CLOSED, "connection lost: %s", msg);
    }
}

int pl_stream_peer_spoke(pl_stream *st)
{
    struct pollfd p = {.fd = st->ch->fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

int pl_stream_send_end(pl_stream *st, int stream, uint64_t total,
                       const uint8_t *sha, pl_error *err)
{
    Pipeline__V1__EndOfStream e = PIPELINE__V1__END_OF_STREAM__INIT;
    e.stream = stream;
    e.total_length = total;
    if (sha) {
        e.sha256.data = (uint8_t *)sha;
        e.sha256.len = 32;
    }
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_END;
    f.end = &e;
    if (pl_channel_send(st->ch, &f, err)) {
        pl_stream_channel_error(err);
        return -1;
    }
    return 0;
}

/* Waits until the source fd has bytes, watching the peer too: a source
 * that stays silent (a pipe, a terminal, a blocking /proc file) must not
 * keep us from noticing that the peer left or spoke. 0 when fd is ready;
 * PL_STREAM_PEER when the peer has something (watch_peer); else -1 with
 * err set. */
static int wait_source(pl_stream *st, int fd, const char *label, pl_error *err)
{
    int ms = st->source_timeout_ms > 0 ? st->source_timeout_ms : -1;
    for (;;) {
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                              {.fd = st->ch->fd, .events = POLLIN}};
        int rc = poll(p, 2, ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return pl_fail_errno(err, PL_ERR_IO, errno, "poll");
        if (rc == 0)
            return pl_fail_status(err,
                                  PIPELINE__V1__CODE__CODE_DEADLINE_EXCEEDED,
                                  "%s: no data for %d s", label, ms / 1000);
        if (p[1].revents) {
            if (st->watch_peer)
                return PL_STREAM_PEER;
            char c;
            ssize_t r = recv(st->ch->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
            if (r > 0)
                return pl_fail(err, PL_ERR_PROTOCOL,
                               "peer sent a frame in the middle of a file "
                               "stream");
            return pl_fail(err, PL_ERR_CLOSED,
                           "connection closed by peer while waiting for %s",
                           label);
        }
        if (p[0].revents)
            return 0;
    }
}

/* fill()'s results besides a byte count and -1 (read error). */
#define FILL_FAILED (-2)
#define FILL_PEER (-3)

/* Fills buf (the channel's output room) up to cap bytes: pipes and terminals
 * return short reads, and every frame should carry a full chunk. *eof when the
 * source ended. Sources that can stay silent (anything but a regular file, or a
 * read that would block) are waited for with wait_source. Returns the byte
 * count, or a negative wait_source result, or -1 with errno for a read
 * error. */
static ssize_t fill(pl_stream *st, int fd, int pollable, const char *label,
                    uint8_t *buf, size_t cap, int *eof, pl_error *err)
{
    size_t got = 0;
    *eof = 0;
    while (got < cap) {
        if (pollable) {
            int w = wait_source(st, fd, label, err);
            if (w)
                return w == PL_STREAM_PEER ? FILL_PEER : FILL_FAILED;
        }
        ssize_t r = read(fd, buf + got, cap - got);
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r == 0) {
            *eof = 1;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            pollable = 1;
            continue;
        }
        return -1;
    }
    return (ssize_t)got;
}

int pl_stream_send_file(pl_stream *st, int fd, const char *label, int with_sha,
                        uint64_t *total, uint8_t sha[32], pl_error *err)
{
    crypto_hash_sha256_state hs;
    if (with_sha)
        crypto_hash_sha256_init(&hs);
    uint64_t n = 0;
    int eof = 0;
    struct stat sb;
    int pollable = fstat(fd, &sb) == 0 && !S_ISREG(sb.st_mode);
    while (!eof) {
        /* The file is read straight into the channel's output buffer and
         * sealed there: no copy between the file and the socket. */
        if (pl_channel_drain(st->ch, err)) {
            pl_stream_channel_error(err);
            return -1;
        }
        uint8_t *room = pl_channel_room(st->ch);
        ssize_t got =
            fill(st, fd, pollable, label, room, PL_CHUNK_MAX, &eof, err);
        if (got == FILL_PEER)
            return PL_STREAM_PEER;
        if (got == FILL_FAILED)
            return -1;
        if (got < 0)
            return pl_fail_io(err, errno, label);
        if (got == 0)
            break;
        if (with_sha)
            crypto_hash_sha256_update(&hs, room, (size_t)got);
        if (pl_channel_queue_room(st->ch, FILE_STREAM, (size_t)got, err)) {
            pl_stream_channel_error(err);
            return -1;
        }
        n += (uint64_t)got;
        st->done += (uint64_t)got;
        if (st->progress)
            st->progress(st->progress_arg, st->done, st->total);
        if (st->watch_peer && ++st->chunks >= WATCH_EVERY) {
            st->chunks = 0;
            if (pl_stream_peer_spoke(st))
                return PL_STREAM_PEER;
        }
    }
    if (with_sha)
        crypto_hash_sha256_final(&hs, sha);
    if (total)
        *total = n;
    return pl_stream_send_end(st, FILE_STREAM, n, with_sha ? sha : NULL, err);
}

static int status_error(const Pipeline__V1__Status *s, pl_error *err)
{
    pl_fail(err, PL_ERR_REMOTE, "%s",
            s->message && s->message[0] ? s->message
                                        : "the peer reported an error");
    if (err) {
        pl_escape_inplace(err->msg, sizeof err->msg);
        err->status = s->code;
    }
    return -1;
}

static int end_of_file(pl_stream *st, const Pipeline__V1__EndOfStream *e,
                       pl_atomic_file *af, crypto_hash_sha256_state *hs,
                       int with_sha, uint64_t n, uint8_t sha[32], pl_error *err)
{
    (void)st;
    if (e->stream != FILE_STREAM)
        return pl_fail(err, PL_ERR_PROTOCOL, "end of stream %d inside a file",
                       (int)e->stream);
    if (e->sha256.len != 0 && e->sha256.len != 32)
        return pl_fail(err, PL_ERR_PROTOCOL,
                       "a SHA-256 of %zu bytes in EndOfStream", e->sha256.len);
    if (e->total_length != n)
        return pl_fail_status(
            err, PIPELINE__V1__CODE__CODE_DATA_LOSS,
            "%s: incomplete transfer: %llu bytes arrived, the "
            "sender announced %llu",
            af->label, (unsigned long long)n,
            (unsigned long long)e->total_length);
    if (!with_sha)
        return 0;
    crypto_hash_sha256_final(hs, sha);
    if (e->sha256.len != 32)
        return pl_fail_status(
            err, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
            "%s: a checksum was requested but the sender sent "
            "none",
            af->label);
    if (sodium_memcmp(sha, e->sha256.data, 32) != 0) {
        char mine[65], theirs[65];
        pl_sha256_hex(sha, mine);
        pl_sha256_hex(e->sha256.data, theirs);
        return pl_fail_status(
            err, PIPELINE__V1__CODE__CODE_DATA_LOSS,
            "%s: SHA-256 mismatch: received data hashes to %s, "
            "the sender computed %s",
            af->label, mine, theirs);
    }
    return 0;
}

int pl_stream_recv_file(pl_stream *st, pl_atomic_file *af, int with_sha,
                        uint64_t *total, uint8_t sha[32], int *ended,
                        pl_error *err)
{
    crypto_hash_sha256_state hs;
    if (with_sha)
        crypto_hash_sha256_init(&hs);
    uint64_t n = 0;
    *ended = 0;
    for (;;) {
        pl_frame *f = NULL;
        if (pl_channel_recv(st->ch, &f, err)) {
            pl_stream_channel_error(err);
            return -1;
        }
        int rc;
        switch (f->body_case) {
        case PIPELINE__V1__FRAME__BODY_DATA:
            if (f->data->stream != FILE_STREAM) {
                rc = pl_fail(err, PL_ERR_PROTOCOL,
                             "data for stream %d inside a file",
                             (int)f->data->stream);
                break;
            }
            rc =
                pl_atomic_write(af, f->data->data.data, f->data->data.len, err);
            if (rc)
                break;
            if (with_sha)
                crypto_hash_sha256_update(&hs, f->data->data.data,
                                          f->data->data.len);
            n += f->data->data.len;
            st->done += f->data->data.len;
            if (st->progress)
                st->progress(st->progress_arg, st->done, st->total);
            pl_frame_free(f);
            continue;
        case PIPELINE__V1__FRAME__BODY_END:
            *ended = 1;
            rc = end_of_file(st, f->end, af, &hs, with_sha, n, sha, err);
            if (rc == 0 && total)
                *total = n;
            break;
        case PIPELINE__V1__FRAME__BODY_STATUS:
            if (st->accept_status) {
                *ended = 1;
                rc = status_error(f->status, err);
                break;
            }
            /* fall through */
        default:
            rc = pl_fail(err, PL_ERR_PROTOCOL,
                         "unexpected %s frame inside a file",
                         pl_frame_name(f->body_case));
        }
        pl_frame_free(f);
        return rc;
    }
}

void pl_sha256_hex(const uint8_t sha[32], char out[65])
{
    sodium_bin2hex(out, 65, sha, 32);
}
