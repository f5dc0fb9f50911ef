#include "handshake.h"

#include "escape.h"

#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The calls, and "mtime": the file calls carry FileTime fields (-p). */
static const char *const features[] = {
    "ping", "exec", "put-file", "get-file", "put-dir", "get-dir", "mtime"};

/* Packs our Hello into buf; returns its length, 0 when it does not fit. */
static size_t pack_hello(uint8_t *buf, size_t cap, const uint8_t *attestation,
                         size_t attestation_len)
{
    Pipeline__V1__Hello h = PIPELINE__V1__HELLO__INIT;
    h.attestation_document.data = (uint8_t *)attestation;
    h.attestation_document.len = attestation ? attestation_len : 0;
    h.software = "pipeline " PIPELINE_VERSION;
    h.protocol_version = 1;
    h.n_features = sizeof features / sizeof features[0];
    h.features = (char **)features;
    size_t n = pipeline__v1__hello__get_packed_size(&h);
    if (n > cap)
        return 0;
    return pipeline__v1__hello__pack(&h, buf);
}

static int unpack_hello(const uint8_t *buf, size_t n,
                        Pipeline__V1__Hello **hello, pl_error *err)
{
    Pipeline__V1__Hello *h = pipeline__v1__hello__unpack(NULL, n, buf);
    if (!h)
        return pl_fail(err, PL_ERR_HANDSHAKE,
                       "the peer's Hello is not a valid message");
    if (hello)
        *hello = h;
    else
        pipeline__v1__hello__free_unpacked(h, NULL);
    return 0;
}

/* Buffers for one handshake, on the heap to keep thread stacks small.
 * Only the Noise state holds secrets: it alone is locked (kept out of swap
 * and core dumps) and wiped, on a page of its own so that unlocking it
 * never unlocks another allocation's page. The messages are ciphertext or
 * our public Hello; locking them as well cost every connection a
 * populate, fill and wipe of 33 pages (a `run -- true` noticed), and
 * guard pages (sodium_malloc) four more mprotect calls. */
#define HS_PAGE 4096
typedef struct hs_bufs {
    noise_handshake hs;
    _Alignas(HS_PAGE) uint8_t msg[NOISE_MAX_MSG];
    uint8_t payload[NOISE_MAX_MSG];
} hs_bufs;

static hs_bufs *alloc_bufs(void)
{
    hs_bufs *b = aligned_alloc(HS_PAGE, sizeof *b);
    if (b)
        (void)sodium_mlock(&b->hs, sizeof b->hs); /* best effort */
    return b;
}

static int finish(pl_channel *ch, hs_bufs *b, pl_error *err)
{
    memcpy(ch->remote_key, noise_hs_remote_static(&b->hs), 32);
    noise_hs_split(&b->hs, &ch->tx, &ch->rx);
    /* One backend context per direction for the connection's life. */
    if (noise_cs_prepare(&ch->tx) || noise_cs_prepare(&ch->rx))
        return pl_fail(err, PL_ERR_NOMEM, "cannot set up the %s cipher",
                       noise_cipher_name(ch->cipher));
    return 0;
}

/* The negotiation line for a cipher: "pipeline/1 Noise_XX_..." */
static size_t negotiation_line(int cipher, char *line, size_t cap)
{
    int n = snprintf(line, cap, "%s%s", PL_PROTOCOL_PREFIX,
                     noise_protocol_name(cipher));
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The suite a client's line asks for, when we offer it; else 0. */
static int negotiated_cipher(const char *line, size_t n)
{
    size_t plen = strlen(PL_PROTOCOL_PREFIX);
    if (n <= plen || memcmp(line, PL_PROTOCOL_PREFIX, plen) != 0)
        return 0;
    int cipher = noise_cipher_of_protocol(line + plen, n - plen);
    return noise_cipher_available(cipher) ? cipher : 0;
}

static void free_bufs(hs_bufs *b)
{
    noise_hs_clear(&b->hs);
    sodium_munlock(&b->hs, sizeof b->hs); /* wipes it too */
    free(b);
}

int pl_handshake_client(pl_channel *ch, const uint8_t s_priv[32],
                        pl_server_key_check check, void *arg,
                        Pipeline__V1__Hello **hello, pl_error *err)
{
    char line[128];
    if (!ch->cipher)
        ch->cipher = NOISE_CIPHER_CHACHAPOLY;
    size_t linelen = negotiation_line(ch->cipher, line, sizeof line), n, plen;
    if (!linelen || !noise_cipher_available(ch->cipher))
        return pl_fail(
            err, PL_ERR_USAGE, "the %s cipher is not available in this build",
            noise_cipher_name(ch->cipher) ? noise_cipher_name(ch->cipher)
                                          : "requested");
    hs_bufs *b = alloc_bufs();
    if (!b)
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    int rc = -1;
    if (pl_channel_write_raw(ch, (const uint8_t *)line, linelen, err))
        goto out;
    if (noise_hs_init(&b->hs, ch->cipher, 1, (const uint8_t *)line, linelen,
                      s_priv, NULL)) {
        pl_fail(err, PL_ERR_HANDSHAKE, "cannot start the Noise handshake");
        goto out;
    }
    if (noise_hs_write(&b->hs, NULL, 0, b->msg, sizeof b->msg, &n))
        goto out;
    /* A server refusing our line may close before message 1 arrives; its
     * error line can still be waiting to be read, and says more. */
    pl_error werr;
    int wrc = pl_channel_write_raw(ch, b->msg, n, &werr);
    if (pl_channel_read_raw(ch, b->msg, sizeof b->msg, &n, err)) {
        if (wrc && err)
            *err = werr;
        goto out;
    }
    if (wrc && !(n >= 7 && memcmp(b->msg, "error: ", 7) == 0)) {
        if (err)
            *err = werr;
        goto out;
    }
    if (n >= 7 && memcmp(b->msg, "error: ", 7) == 0) {
        /* Cleartext from anyone on the path: the bytes that arrived and
         * nothing past them, escaped (escape.h), cut to about 300. */
        char why[310];
        pl_escape(b->msg + 7, n - 7, why, sizeof why);
        pl_fail(err, PL_ERR_HANDSHAKE, "server refused the connection: %s",
                why);
        ch->refused = 1;
        goto out;
    }
    if (noise_hs_read(&b->hs, b->msg, n, b->payload, sizeof b->payload,
                      &plen)) {
        pl_fail(err, PL_ERR_HANDSHAKE,
                "the server's handshake message failed to decrypt (not a "
                "pipeline server, or a tampered connection)");
        goto out;
    }
    Pipeline__V1__Hello *theirs = NULL;
    if (unpack_hello(b->payload, plen, &theirs, err))
        goto out;
    /* Check the server's identity before revealing ours. */
    if (check && check(noise_hs_remote_static(&b->hs), theirs, arg, err)) {
        pipeline__v1__hello__free_unpacked(theirs, NULL);
        goto out;
    }
    if (hello)
        *hello = theirs;
    else
        pipeline__v1__hello__free_unpacked(theirs, NULL);
    plen = pack_hello(b->payload, sizeof b->payload, NULL, 0);
    if (noise_hs_write(&b->hs, b->payload, plen, b->msg, sizeof b->msg, &n) ||
        pl_channel_write_raw(ch, b->msg, n, err)) {
        if (hello && *hello) {
            pipeline__v1__hello__free_unpacked(*hello, NULL);
            *hello = NULL;
        }
        if (err && err->code == PL_OK)
            pl_fail(err, PL_ERR_HANDSHAKE, "cannot write handshake message");
        goto out;
    }
    if (finish(ch, b, err))
        goto out;
    rc = 0;
out:
    free_bufs(b);
    return rc;
}

/* The client sends message 1 right behind its line. Closing a TCP socket
 * with it unread sends a reset, which can destroy our error line before
 * the client reads it; so end our side first and swallow what is already
 * on the way (briefly: this is no place to wait on a slow client). */
static void linger_for_refusal(int fd)
{
    uint8_t junk[4096];
    shutdown(fd, SHUT_WR);
    for (int i = 0; i < 17; i++) {
        if (pl_wait_fd(fd, POLLIN, 100, NULL))
            return;
        if (read(fd, junk, sizeof junk) <= 0)
            return;
    }
}

/* The error line for an unsupported request: names every suite we offer,
 * so a person (or a client) can see what to ask for. */
static size_t refusal(char *ans, size_t cap)
{
    int n = snprintf(ans, cap,
                     "error: unsupported protocol; this server "
                     "speaks");
    const char *sep = " ";
    for (int c = NOISE_CIPHER_CHACHAPOLY; c <= NOISE_CIPHER_AESGCM; c++) {
        if (!noise_cipher_available(c) || n < 0 || (size_t)n >= cap)
            continue;
        n += snprintf(ans + n, cap - (size_t)n, "%s\"%s%s\"", sep,
                      PL_PROTOCOL_PREFIX, noise_protocol_name(c));
        sep = " or ";
    }
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

int pl_handshake_server(pl_channel *ch, const uint8_t s_priv[32],
                        Pipeline__V1__Hello **hello, pl_error *err)
{
    return pl_handshake_server_attested(ch, s_priv, NULL, 0, hello, err);
}

int pl_handshake_server_attested(pl_channel *ch, const uint8_t s_priv[32],
                                 const uint8_t *attestation,
                                 size_t attestation_len,
                                 Pipeline__V1__Hello **hello, pl_error *err)
{
    size_t n, plen;
    hs_bufs *b = alloc_bufs();
    if (!b)
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    int rc = -1;
    char line[256];
    if (pl_channel_read_raw(ch, b->msg, sizeof line - 1, &n, err))
        goto out;
    memcpy(line, b->msg, n);
    line[n] = '\0';
    ch->cipher = negotiated_cipher(line, n);
    if (!ch->cipher) {
        char ans[512];
        size_t m = refusal(ans, sizeof ans);
        pl_error ignored;
        if (pl_channel_write_raw(ch, (const uint8_t *)ans, m, &ignored) == 0)
            linger_for_refusal(ch->fd);
        pl_fail(err, PL_ERR_HANDSHAKE,
                "client asked for an unsupported "
                "protocol");
        goto out;
    }
    if (noise_hs_init(&b->hs, ch->cipher, 0, (const uint8_t *)line, n, s_priv,
                      NULL)) {
        pl_fail(err, PL_ERR_HANDSHAKE, "cannot start the Noise handshake");
        goto out;
    }
    if (pl_channel_read_raw(ch, b->msg, sizeof b->msg, &n, err))
        goto out;
    if (noise_hs_read(&b->hs, b->msg, n, b->payload, sizeof b->payload,
                      &plen)) {
        pl_fail(err, PL_ERR_HANDSHAKE, "malformed first handshake message");
        goto out;
    }
    /* Message 2 carries the payload plus 32 + 16 + 16 bytes (e, encrypted
     * s, tag), all under the 65535-byte frame limit. */
    plen = pack_hello(b->payload, NOISE_MAX_MSG - 64 - 16, attestation,
                      attestation_len);
    if (plen == 0 ||
        noise_hs_write(&b->hs, b->payload, plen, b->msg, sizeof b->msg, &n)) {
        pl_fail(err, PL_ERR_HANDSHAKE, "cannot write handshake message");
        goto out;
    }
    if (pl_channel_write_raw(ch, b->msg, n, err))
        goto out;
    if (pl_channel_read_raw(ch, b->msg, sizeof b->msg, &n, err))
        goto out;
    if (noise_hs_read(&b->hs, b->msg, n, b->payload, sizeof b->payload,
                      &plen)) {
        pl_fail(err, PL_ERR_HANDSHAKE,
                "the client's last handshake message failed to decrypt");
        goto out;
    }
    if (unpack_hello(b->payload, plen, hello, err))
        goto out;
    if (finish(ch, b, err))
        goto out;
    rc = 0;
out:
    free_bufs(b);
    return rc;
}
