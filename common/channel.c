#include "channel.h"

#include "escape.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void pl_channel_init(pl_channel *ch, int fd, int timeout_ms)
{
    memset(ch, 0, offsetof(pl_channel, in));
    ch->fd = fd;
    ch->timeout_ms = timeout_ms;
}

void pl_channel_close(pl_channel *ch)
{
    noise_cs_clear(&ch->tx);
    noise_cs_clear(&ch->rx);
    sodium_memzero(ch->in, ch->in_hi);
    sodium_memzero(ch->out, ch->out_hi);
    ch->in_hi = ch->out_hi = 0;
    if (ch->fd >= 0)
        close(ch->fd);
    ch->fd = -1;
}

int pl_wait_fd(int fd, short events, int timeout_ms, pl_error *err)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int rc = poll(&p, 1, timeout_ms);
        if (rc > 0)
            return 0;
        if (rc == 0)
            return pl_fail(err, PL_ERR_TIMEOUT, "peer sent nothing for %d ms",
                           timeout_ms);
        if (errno != EINTR)
            return pl_fail_errno(err, PL_ERR_IO, errno, "poll");
    }
}

ssize_t pl_fd_send(int fd, const void *buf, size_t len)
{
    /* MSG_NOSIGNAL: a library inside someone else's program must not kill
     * it with SIGPIPE when the peer goes away; EPIPE is reported instead.
     * Not every descriptor is a socket (tests use pipes): fall back to
     * write() there. */
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK)
        n = write(fd, buf, len);
    return n;
}

size_t pl_channel_pending(const pl_channel *ch)
{
    return ch->out_len - ch->out_off;
}

int pl_channel_flush(pl_channel *ch, pl_error *err)
{
    while (ch->out_off < ch->out_len) {
        ssize_t n = pl_fd_send(ch->fd, ch->out_base + ch->out_off,
                               ch->out_len - ch->out_off);
        if (n > 0) {
            ch->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            return pl_fail(err, PL_ERR_CLOSED, "connection closed by peer");
        return pl_fail_errno(err, PL_ERR_IO, n < 0 ? errno : EIO,
                             "write to peer");
    }
    ch->out_off = ch->out_len = 0;
    return 1;
}

int pl_channel_drain(pl_channel *ch, pl_error *err)
{
    for (;;) {
        int rc = pl_channel_flush(ch, err);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
        if (pl_wait_fd(ch->fd, POLLOUT, ch->timeout_ms, err))
            return pl_fail(err, PL_ERR_TIMEOUT,
                           "peer stopped reading for %d ms", ch->timeout_ms);
    }
}

static void put_len(uint8_t *p, size_t n)
{
    p[0] = (uint8_t)(n >> 8);
    p[1] = (uint8_t)n;
}

/* Records that out[0..n) may now hold plaintext, for close to wipe. */
static void note_out(pl_channel *ch, size_t n)
{
    if (n > ch->out_hi)
        ch->out_hi = n > sizeof ch->out ? sizeof ch->out : n;
}

int pl_channel_write_raw(pl_channel *ch, const uint8_t *msg, size_t len,
                         pl_error *err)
{
    if (pl_channel_drain(ch, err))
        return -1;
    if (len == 0 || len > NOISE_MAX_MSG)
        return pl_fail(err, PL_ERR_INTERNAL, "message length %zu", len);
    note_out(ch, len + 2);
    put_len(ch->out, len);
    memcpy(ch->out + 2, msg, len);
    ch->out_base = ch->out;
    ch->out_off = 0;
    ch->out_len = len + 2;
    return pl_channel_drain(ch, err);
}

/* Reads towards a complete message in ch->in. 1 when complete. */
static int read_message(pl_channel *ch, pl_error *err)
{
    for (;;) {
        size_t want = 2;
        if (ch->in_have >= 2) {
            size_t n = ((size_t)ch->in[0] << 8) | ch->in[1];
            if (n == 0)
                return pl_fail(err, PL_ERR_PROTOCOL,
                               "peer sent a zero-length message");
            want = 2 + n;
        }
        if (ch->in_have == want && want > 2)
            return 1;
        if (want > ch->in_hi)
            ch->in_hi = want;
        ssize_t r = read(ch->fd, ch->in + ch->in_have, want - ch->in_have);
        if (r > 0) {
            ch->in_have += (size_t)r;
            continue;
        }
        if (r == 0) {
            if (ch->in_have)
                return pl_fail(err, PL_ERR_CLOSED,
                               "peer closed the connection in the middle "
                               "of a message");
            return pl_fail(err, PL_ERR_CLOSED, "connection closed by peer");
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == ECONNRESET)
            return pl_fail(err, PL_ERR_CLOSED, "connection reset by peer");
        return pl_fail_errno(err, PL_ERR_IO, errno, "read from peer");
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pl_channel_set_deadline(pl_channel *ch, int ms)
{
    ch->deadline_ms = now_ms() + ms;
}

int pl_channel_read_raw(pl_channel *ch, uint8_t *msg, size_t cap, size_t *len,
                        pl_error *err)
{
    for (;;) {
        int rc = read_message(ch, err);
        if (rc < 0)
            return -1;
        if (rc == 1)
            break;
        int wait = ch->timeout_ms;
        if (ch->deadline_ms) {
            long long left = ch->deadline_ms - now_ms();
            if (left <= 0)
                return pl_fail(err, PL_ERR_TIMEOUT,
                               "the handshake did not finish in time");
            if (wait < 0 || left < wait)
                wait = (int)left;
        }
        if (pl_wait_fd(ch->fd, POLLIN, wait, err))
            return -1;
    }
    size_t n = ch->in_have - 2;
    ch->in_have = 0;
    if (n > cap)
        return pl_fail(err, PL_ERR_PROTOCOL,
                       "handshake message of %zu bytes is too long", n);
    memcpy(msg, ch->in + 2, n);
    *len = n;
    return 0;
}

int pl_channel_queue(pl_channel *ch, const pl_frame *f, pl_error *err)
{
    if (pl_channel_pending(ch))
        return pl_fail(err, PL_ERR_INTERNAL, "channel output busy");
    size_t n = pipeline__v1__frame__get_packed_size(f);
    if (n > PL_FRAME_MAX)
        return pl_fail(err, PL_ERR_INTERNAL,
                       "frame of %zu bytes exceeds the %d-byte limit", n,
                       PL_FRAME_MAX);
    note_out(ch, 2 + n + NOISE_TAGLEN);
    pipeline__v1__frame__pack(f, ch->out + 2);
    size_t clen;
    if (noise_cs_encrypt(&ch->tx, NULL, 0, ch->out + 2, n, ch->out + 2, &clen))
        return pl_fail(err, PL_ERR_PROTOCOL, "send nonce exhausted");
    put_len(ch->out, clen);
    ch->out_base = ch->out;
    ch->out_off = 0;
    ch->out_len = clen + 2;
    return pl_channel_flush(ch, err) < 0 ? -1 : 0;
}

/* ---- Data frames without copies ----
 * Data frames carry nearly all the bytes, so they skip protobuf-c: the
 * payload is read into place once, the few header bytes are written in
 * front of it, and the AEAD runs in place. The encoding is exactly what
 * protobuf-c would produce (fields in order, zero values left out), and a
 * unit test holds the two to the same bytes. */

#define TAG_FRAME_DATA 0x12  /* Frame field 2 (data), length-delimited */
#define TAG_DATA_STREAM 0x08 /* Data field 1 (stream), varint */
#define TAG_DATA_BYTES 0x12  /* Data field 2 (data), length-delimited */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* The payload sits at a fixed place: after the length prefix and room for
 * the largest header. */
uint8_t *pl_channel_room(pl_channel *ch)
{
    return ch->out + 2 + PL_DATA_HDR_MAX;
}

int pl_channel_queue_room(pl_channel *ch, int stream, size_t len, pl_error *err)
{
    if (pl_channel_pending(ch))
        return pl_fail(err, PL_ERR_INTERNAL, "channel output busy");
    if (len > PL_CHUNK_MAX || stream < 0 || stream > 127)
        return pl_fail(err, PL_ERR_INTERNAL, "bad Data frame (%zu bytes)", len);
    /* What the caller put in the room; bytes it read there and never sent
     * (an error path) are not wiped at close, like any other buffer. */
    note_out(ch, 2 + PL_DATA_HDR_MAX + len + NOISE_TAGLEN);
    size_t data_len = (stream ? 2 : 0) + (len ? 1 + varint_len(len) + len : 0);
    size_t hdr = 1 + varint_len(data_len) + data_len - len;
    uint8_t *payload = pl_channel_room(ch);
    uint8_t *msg = payload - hdr, *p = msg;
    *p++ = TAG_FRAME_DATA;
    p = put_varint(p, data_len);
    if (stream) {
        *p++ = TAG_DATA_STREAM;
        *p++ = (uint8_t)stream;
    }
    if (len) {
        *p++ = TAG_DATA_BYTES;
        p = put_varint(p, len);
    }
    size_t clen;
    if (noise_cs_encrypt(&ch->tx, NULL, 0, msg, hdr + len, msg, &clen))
        return pl_fail(err, PL_ERR_PROTOCOL, "send nonce exhausted");
    ch->out_base = msg - 2;
    put_len(ch->out_base, clen);
    ch->out_off = 0;
    ch->out_len = clen + 2;
    return pl_channel_flush(ch, err) < 0 ? -1 : 0;
}

int pl_channel_queue_data(pl_channel *ch, int stream, const uint8_t *buf,
                          size_t len, pl_error *err)
{
    if (pl_channel_pending(ch))
        return pl_fail(err, PL_ERR_INTERNAL, "channel output busy");
    if (len > PL_CHUNK_MAX)
        return pl_fail(err, PL_ERR_INTERNAL, "bad Data frame (%zu bytes)", len);
    if (len && buf != pl_channel_room(ch))
        memmove(pl_channel_room(ch), buf, len);
    return pl_channel_queue_room(ch, stream, len, err);
}

/* A received frame that points into ch->in carries this mark, so
 * pl_frame_free knows there is nothing to free. */
static ProtobufCMessageUnknownField borrowed_mark;

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* Parses buf as a Frame holding only a Data (the shape senders produce)
 * into ch->view without copying the payload. 0 when buf has any other
 * shape: protobuf-c then decides what it is. */
static int data_view(pl_channel *ch, uint8_t *buf, size_t len, pl_frame **out)
{
    const uint8_t *p = buf, *end = buf + len;
    uint64_t n, stream = 0;
    if (p == end || *p++ != TAG_FRAME_DATA || get_varint(&p, end, &n) ||
        n != (uint64_t)(end - p))
        return 0;
    if (p < end && *p == TAG_DATA_STREAM) {
        p++;
        if (get_varint(&p, end, &stream) || stream > INT32_MAX)
            return 0;
    }
    uint8_t *data = NULL;
    size_t dlen = 0;
    if (p < end) {
        if (*p++ != TAG_DATA_BYTES || get_varint(&p, end, &n) ||
            n != (uint64_t)(end - p) || n == 0)
            return 0;
        data = buf + (p - buf);
        dlen = (size_t)n;
    }
    Pipeline__V1__Data d = PIPELINE__V1__DATA__INIT;
    ch->view_data = d;
    ch->view_data.stream = (Pipeline__V1__StreamId)stream;
    ch->view_data.data.data = data;
    ch->view_data.data.len = dlen;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    ch->view = f;
    ch->view.base.unknown_fields = &borrowed_mark;
    ch->view.body_case = PIPELINE__V1__FRAME__BODY_DATA;
    ch->view.data = &ch->view_data;
    *out = &ch->view;
    return 1;
}

int pl_channel_read_step(pl_channel *ch, pl_frame **out, pl_error *err)
{
    int rc = read_message(ch, err);
    if (rc <= 0)
        return rc;
    size_t n = ch->in_have - 2, plen;
    ch->in_have = 0;
    if (noise_cs_decrypt(&ch->rx, NULL, 0, ch->in + 2, n, ch->in + 2, &plen))
        return pl_fail(err, PL_ERR_PROTOCOL,
                       "a message from the peer failed authentication");
    if (data_view(ch, ch->in + 2, plen, out))
        return 1;
    pl_frame *f = pipeline__v1__frame__unpack(NULL, plen, ch->in + 2);
    if (!f)
        return pl_fail(err, PL_ERR_PROTOCOL,
                       "a message from the peer is not a valid Frame");
    if (f->body_case == PIPELINE__V1__FRAME__BODY__NOT_SET) {
        pl_frame_free(f);
        return pl_fail(err, PL_ERR_PROTOCOL, "the peer sent an empty Frame");
    }
    *out = f;
    return 1;
}

int pl_channel_send(pl_channel *ch, const pl_frame *f, pl_error *err)
{
    if (pl_channel_drain(ch, err) || pl_channel_queue(ch, f, err))
        return -1;
    return pl_channel_drain(ch, err);
}

int pl_channel_send_data(pl_channel *ch, int stream, const uint8_t *buf,
                         size_t len, pl_error *err)
{
    if (pl_channel_drain(ch, err) ||
        pl_channel_queue_data(ch, stream, buf, len, err))
        return -1;
    return 0;
}

int pl_channel_recv(pl_channel *ch, pl_frame **out, pl_error *err)
{
    if (pl_channel_drain(ch, err))
        return -1;
    for (;;) {
        int rc = pl_channel_read_step(ch, out, err);
        if (rc)
            return rc < 0 ? -1 : 0;
        if (pl_wait_fd(ch->fd, POLLIN, ch->timeout_ms, err))
            return -1;
    }
}

void pl_frame_free(pl_frame *f)
{
    if (f && f->base.unknown_fields != &borrowed_mark)
        pipeline__v1__frame__free_unpacked(f, NULL);
}

int pl_channel_send_status(pl_channel *ch, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Status.message is a proto3 string: strict decoders reject a frame
     * whose string is not UTF-8, and messages often quote peer bytes. */
    pl_escape_inplace(msg, sizeof msg);
    Pipeline__V1__Status st = PIPELINE__V1__STATUS__INIT;
    st.code = code;
    st.message = msg;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_STATUS;
    f.status = &st;
    pl_error e;
    return pl_channel_send(ch, &f, &e);
}

const char *pl_frame_name(int body_case)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(
            &pipeline__v1__frame__descriptor, (unsigned)body_case);
    return fd ? fd->name : "nothing";
}
