/*
 * libFuzzer target: the Noise XX handshake and the server's negotiation.
 *
 * The first input byte picks a path; the rest is the data:
 *   0  message 1 (-> e) read by a responder, which then answers and reads
 *      the rest of the input as message 3
 *   1  message 2 (<- e, ee, s, es) read by an initiator that sent a real
 *      message 1: authentication must fail unless the input is genuine
 *   2  a genuine handshake whose message 2 and 3 payloads are the input,
 *      which must arrive intact and is then parsed as a Hello
 *   3  a genuine message 2 with input bytes XORed in: if anything changed,
 *      the initiator must refuse it
 *   4  the input as the whole byte stream a server reads
 *      (pl_handshake_server): negotiation line, framing, messages 1 and 3
 *   5  like 4 after a valid negotiation line, so the fuzzer starts at
 *      message 1
 */
#include "channel.h"
#include "handshake.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE PL_NEGOTIATION_LINE

/* Fixed static and ephemeral keys: runs are reproducible. */
static const uint8_t resp_s[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                   23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t init_s[32] = {33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
                                   44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54,
                                   55, 56, 57, 58, 59, 60, 61, 62, 63, 64};
static const uint8_t init_e[32] = {65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75,
                                   76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86,
                                   87, 88, 89, 90, 91, 92, 93, 94, 95, 96};
static const uint8_t resp_e[32] = {97,  98,  99,  100, 101, 102, 103, 104,
                                   105, 106, 107, 108, 109, 110, 111, 112,
                                   113, 114, 115, 116, 117, 118, 119, 120,
                                   121, 122, 123, 124, 125, 126, 127, 128};

static noise_handshake ini, resp;
static uint8_t msg[NOISE_MAX_MSG], payload[NOISE_MAX_MSG];
static uint8_t stream[2 * NOISE_MAX_MSG + 512];
static pl_channel ch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void start(void)
{
    const uint8_t *p = (const uint8_t *)LINE;
    if (noise_hs_init(&ini, NOISE_CIPHER_CHACHAPOLY, 1, p, strlen(LINE), init_s,
                      init_e) ||
        noise_hs_init(&resp, NOISE_CIPHER_CHACHAPOLY, 0, p, strlen(LINE),
                      resp_s, resp_e))
        abort();
}

static void finish(void)
{
    noise_hs_clear(&ini);
    noise_hs_clear(&resp);
}

/* Genuine message 1 from ini to resp. */
static void step1(void)
{
    size_t n, plen;
    if (noise_hs_write(&ini, NULL, 0, msg, sizeof msg, &n) ||
        noise_hs_read(&resp, msg, n, payload, sizeof payload, &plen) ||
        plen != 0)
        abort();
}

static void responder_reads(const uint8_t *d, size_t size)
{
    size_t n, plen;
    /* Split: the first byte says how much of the rest is message 1. */
    size_t m1 = size ? d[0] : 0;
    if (size) {
        d++;
        size--;
    }
    if (m1 > size)
        m1 = size;
    if (noise_hs_read(&resp, d, m1, payload, sizeof payload, &plen) != 0)
        return;
    if (m1 < 32)
        abort(); /* message 1 carries at least e */
    /* A low-order e (all zeros, say) is caught here, at the first DH. */
    if (noise_hs_write(&resp, NULL, 0, msg, sizeof msg, &n))
        return;
    /* The rest as message 3: only a real initiator could produce it. */
    if (noise_hs_read(&resp, d + m1, size - m1, payload, sizeof payload,
                      &plen) == 0)
        abort();
}

static void initiator_reads(const uint8_t *d, size_t size)
{
    size_t n, plen;
    if (noise_hs_write(&ini, NULL, 0, msg, sizeof msg, &n))
        abort();
    if (noise_hs_read(&ini, d, size, payload, sizeof payload, &plen) == 0)
        abort(); /* forged message 2 accepted */
}

static void genuine(const uint8_t *d, size_t size)
{
    size_t n, plen;
    /* Largest payload that fits message 2: 65535 - e - s+tag - tag. */
    size_t cap = NOISE_MAX_MSG - 32 - 48 - 16;
    if (size > cap)
        size = cap;
    step1();
    if (noise_hs_write(&resp, d, size, msg, sizeof msg, &n) ||
        noise_hs_read(&ini, msg, n, payload, sizeof payload, &plen) ||
        plen != size || memcmp(payload, d, size) != 0 ||
        memcmp(noise_hs_remote_static(&ini), resp.s_pub, 32) != 0)
        abort();
    Pipeline__V1__Hello *h = pipeline__v1__hello__unpack(NULL, plen, payload);
    if (h)
        pipeline__v1__hello__free_unpacked(h, NULL);
    if (size > NOISE_MAX_MSG - 48 - 16)
        size = NOISE_MAX_MSG - 48 - 16;
    if (noise_hs_write(&ini, d, size, msg, sizeof msg, &n) ||
        noise_hs_read(&resp, msg, n, payload, sizeof payload, &plen) ||
        plen != size || memcmp(payload, d, size) != 0 ||
        memcmp(noise_hs_remote_static(&resp), ini.s_pub, 32) != 0)
        abort();
    /* Both ends derive the same transport keys. */
    noise_cipherstate a_tx, a_rx, b_tx, b_rx;
    noise_hs_split(&ini, &a_tx, &a_rx);
    noise_hs_split(&resp, &b_tx, &b_rx);
    if (memcmp(a_tx.k, b_rx.k, 32) || memcmp(a_rx.k, b_tx.k, 32))
        abort();
    noise_cs_clear(&a_tx);
    noise_cs_clear(&a_rx);
    noise_cs_clear(&b_tx);
    noise_cs_clear(&b_rx);
}

static void tampered(const uint8_t *d, size_t size)
{
    size_t n, plen;
    step1();
    if (noise_hs_write(&resp, NULL, 0, msg, sizeof msg, &n))
        abort();
    int changed = 0;
    for (size_t i = 0; i < size && i < n; i++) {
        msg[i] ^= d[i];
        changed |= d[i];
    }
    /* Extra input bytes make it longer, which changes it too. */
    size_t extra = size > n ? size - n : 0;
    if (extra > sizeof msg - n)
        extra = sizeof msg - n;
    for (size_t i = 0; i < extra; i++)
        msg[n + i] = d[n + i];
    changed |= extra != 0;
    int rc =
        noise_hs_read(&ini, msg, n + extra, payload, sizeof payload, &plen);
    if (changed && rc == 0)
        abort(); /* a modified message 2 was accepted */
    if (!changed && rc != 0)
        abort();
}

/* Feeds bytes to pl_handshake_server over a socketpair. */
static void server_stream(const uint8_t *d, size_t size, int with_line)
{
    size_t len = 0;
    if (with_line) {
        size_t l = strlen(LINE);
        stream[0] = 0;
        stream[1] = (uint8_t)l;
        memcpy(stream + 2, LINE, l);
        len = l + 2;
    }
    if (size > sizeof stream - len)
        size = sizeof stream - len;
    memcpy(stream + len, d, size);
    len += size;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        abort();
    int big = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
    /* Everything is written before the server reads: it never waits
     * (timeout 0) and sees the end of the stream after the input. */
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(sv[1], stream + off, len - off);
        if (w <= 0)
            break; /* buffer full: the rest is cut, still a valid case */
        off += (size_t)w;
    }
    shutdown(sv[1], SHUT_WR);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    pl_channel_init(&ch, sv[0], 0);
    Pipeline__V1__Hello *h = NULL;
    pl_error err;
    if (pl_handshake_server(&ch, resp_s, &h, &err) == 0)
        abort(); /* no real initiator behind these bytes */
    if (!err.msg[0])
        abort();
    if (h)
        abort();
    pl_channel_close(&ch);
    close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int mode = data[0] % 6;
    data++;
    size--;
    start();
    switch (mode) {
    case 0:
        responder_reads(data, size);
        break;
    case 1:
        initiator_reads(data, size);
        break;
    case 2:
        genuine(data, size);
        break;
    case 3:
        tampered(data, size);
        break;
    default:
        server_stream(data, size, mode == 5);
        break;
    }
    finish();
    return 0;
}
