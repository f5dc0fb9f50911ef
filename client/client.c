#include "client.h"

#include "escape.h"
#include "handshake.h"
#include "noise.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct key_check {
    const pl_client_opts *o;
    int recorded;
    pl_attest_info *info; /* filled when the server is attested */
} key_check;

static int check_pin(const pl_client_opts *o, const uint8_t key[32],
                     pl_error *err)
{
    if (sodium_memcmp(key, o->pin, 32) == 0)
        return 0;
    char want[PL_KEY_B64_LEN + 1], got[PL_KEY_B64_LEN + 1];
    pl_key_to_base64(o->pin, want);
    pl_key_to_base64(key, got);
    return pl_fail(err, PL_ERR_AUTH,
                   "server key mismatch for %s: expected %s, received %s",
                   o->addr.text, want, got);
}

/* The document binds the handshake's static key to the enclave's
 * measurements; the Noise handshake has already proved the server holds
 * that key. */
static int check_attestation(key_check *kc, const uint8_t key[32],
                             const Pipeline__V1__Hello *hello, pl_error *err)
{
    const pl_client_opts *o = kc->o;
    if (!hello->attestation_document.len)
        return pl_fail(err, PL_ERR_AUTH,
                       "%s: attestation: the server sent no attestation "
                       "document (it is not an attested enclave, or runs "
                       "with server.attestation = false)",
                       o->addr.text);
    kc->info = calloc(1, sizeof *kc->info);
    pl_attest_expect *e = malloc(sizeof *e);
    if (!kc->info || !e) {
        free(e);
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    }
    /* Verified documents are remembered (docs/ATTESTATION.md, "Cache"):
     * a server presents one document for an hour, and the chain and
     * signature checks are five ECDSA P-384 verifications, about 5 ms, per
     * connection. The file: the one set with
     * pl_client_opts_set_attestation_cache, else next to known_servers
     * (the same user-owned trust). */
    *e = o->expect;
    char cache[4096];
    if (o->attest_cache_set)
        e->cache_path = o->attest_cache;
    else {
        const char *slash =
            o->known_servers ? strrchr(o->known_servers, '/') : NULL;
        int dir = slash ? (int)(slash - o->known_servers) + 1 : 0;
        if (o->known_servers &&
            snprintf(cache, sizeof cache, "%.*sattestation_cache", dir,
                     o->known_servers) < (int)sizeof cache)
            e->cache_path = cache;
    }
    int rc = pl_attest_verify(hello->attestation_document.data,
                              hello->attestation_document.len, e, key, kc->info,
                              err);
    free(e);
    if (rc) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        pl_fail(err, PL_ERR_AUTH, "%s: %s", o->addr.text, why);
        return -1;
    }
    return 0;
}

static int check_server_key(const uint8_t key[32],
                            const Pipeline__V1__Hello *hello, void *arg,
                            pl_error *err)
{
    key_check *kc = arg;
    const pl_client_opts *o = kc->o;
    if (o->attest && check_attestation(kc, key, hello, err))
        return -1;
    if (o->has_pin)
        return check_pin(o, key, err);
    /* An attested key is new after every enclave restart: known_servers
     * would only raise false alarms. */
    if (o->known_servers && !o->attest)
        return pl_known_servers_check(o->known_servers, o->addr.text, key,
                                      &kc->recorded, err);
    return 0;
}

/* One connection and handshake asking for cipher. */
static int connect_once(pl_client **out, const pl_client_opts *o, int cipher,
                        pl_error *err)
{
    PL_CLIENT_ERR(err);
    *out = NULL;
    if (!o->has_address)
        return pl_fail(err, PL_ERR_USAGE,
                       "no server address: set one (vsock:CID:PORT, "
                       "tcp:HOST:PORT or unix:PATH)");
    if (sodium_init() < 0)
        return pl_fail(err, PL_ERR_INTERNAL, "cannot initialise libsodium");
    pl_keypair kp = o->keys;
    if (!o->has_key)
        pl_key_generate(&kp);
    int fd = pl_transport_connect(&o->addr, o->connect_timeout_ms, err);
    if (fd < 0) {
        sodium_memzero(&kp, sizeof kp);
        return -1;
    }
    pl_client *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        sodium_memzero(&kp, sizeof kp);
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    }
    /* The handshake must not hang on a silent server. */
    pl_channel_init(&c->ch, fd, o->connect_timeout_ms);
    snprintf(c->ch.peer, sizeof c->ch.peer, "%s", o->addr.text);
    c->ch.cipher = cipher;
    key_check kc = {.o = o};
    Pipeline__V1__Hello *hello = NULL;
    int hrc = pl_handshake_client(&c->ch, kp.priv, check_server_key, &kc,
                                  &hello, err);
    sodium_memzero(&kp, sizeof kp);
    if (hrc) {
        *out = c; /* the caller looks at ch.refused, then closes */
        if (err->code == PL_ERR_TIMEOUT || err->code == PL_ERR_CLOSED) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            pl_fail(err, PL_ERR_HANDSHAKE,
                    "%s: no pipeline handshake from the server (%s)",
                    o->addr.text, why);
        }
        free(kc.info);
        return -1;
    }
    c->attestation = kc.info;
    pl_escape_str(hello->software, c->server_software,
                  sizeof c->server_software);
    for (size_t i = 0; i < hello->n_features; i++)
        if (strcmp(hello->features[i], "mtime") == 0)
            c->server_times = 1;
    pipeline__v1__hello__free_unpacked(hello, NULL);
    memcpy(c->server_key, c->ch.remote_key, 32);
    c->recorded_key = kc.recorded;
    c->cipher = c->ch.cipher;
    c->ch.timeout_ms = o->io_timeout_ms;
    *out = c;
    return 0;
}

int pl_client_connect(pl_client **out, const pl_client_opts *o, pl_error *err)
{
    PL_CLIENT_ERR(err);
    int cipher = o->cipher;
    if (!cipher)
        cipher = noise_cipher_available(PL_CLIENT_DEFAULT_CIPHER)
                     ? PL_CLIENT_DEFAULT_CIPHER
                     : NOISE_CIPHER_CHACHAPOLY;
    pl_client *c = NULL;
    int rc = connect_once(&c, o, cipher, err);
    /* A server without our default suite (an older build, or libsodium
     * without hardware AES) names what it has in its error line; the
     * suite every build supports is the one to try. Only for the default:
     * a suite the user chose is not silently replaced. The error line is
     * cleartext, so an attacker could force this retry, but it only
     * changes which of two strong ciphers is used. */
    if (rc && !o->cipher && c && c->ch.refused &&
        cipher != NOISE_CIPHER_CHACHAPOLY) {
        pl_client_close(c);
        rc = connect_once(&c, o, NOISE_CIPHER_CHACHAPOLY, err);
    }
    if (rc) {
        pl_client_close(c);
        *out = NULL;
        return -1;
    }
    *out = c;
    return 0;
}

void pl_client_close(pl_client *c)
{
    if (!c)
        return;
    pl_channel_close(&c->ch);
    free(c->attestation);
    free(c);
}

const char *pl_client_version(void)
{
    return PIPELINE_VERSION;
}

const char *pl_client_address(const pl_client *c)
{
    return c->ch.peer;
}

const char *pl_client_protocol(const pl_client *c)
{
    return noise_protocol_name(c->cipher);
}

void pl_client_server_key(const pl_client *c, uint8_t pub[32])
{
    memcpy(pub, c->server_key, 32);
}

const char *pl_client_cipher(const pl_client *c)
{
    return noise_cipher_name(c->cipher);
}

const char *pl_client_server_software(const pl_client *c)
{
    return c->server_software;
}

int pl_client_recorded_server_key(const pl_client *c)
{
    return c->recorded_key;
}

int pl_client_attestation(const pl_client *c, pl_attestation_info *info)
{
    if (!c || !c->attestation)
        return -1;
    if (!info)
        return 0;
    const pl_attest_info *a = c->attestation;
    memset(info, 0, sizeof *info);
    memcpy(info->module_id, a->module_id, sizeof info->module_id);
    memcpy(info->digest, a->digest, sizeof info->digest);
    info->timestamp_ms = a->timestamp_ms;
    info->pcr_mask = a->pcr_mask;
    memcpy(info->pcr, a->pcr, sizeof info->pcr);
    info->debug = a->debug;
    memcpy(info->public_key, a->public_key, 32);
    info->user_data_len = a->user_data_len;
    memcpy(info->user_data, a->user_data, a->user_data_len);
    info->nonce_len = a->nonce_len;
    memcpy(info->nonce, a->nonce, a->nonce_len);
    return 0;
}

int pl_client_status_error(const Pipeline__V1__Status *st, pl_error *err)
{
    pl_code code = PL_ERR_REMOTE;
    if (st->code == PIPELINE__V1__CODE__CODE_UNAUTHENTICATED)
        code = PL_ERR_AUTH;
    pl_fail(err, code, "%s",
            st->message && st->message[0] ? st->message
                                          : "the server reported an error");
    if (err) {
        /* A server's words reach a terminal: no escapes, no controls. */
        pl_escape_inplace(err->msg, sizeof err->msg);
        err->status = st->code;
    }
    return -1;
}

int pl_client_expect(pl_client *c, int body_case, pl_frame **out, pl_error *err)
{
    pl_frame *f = NULL;
    if (pl_channel_recv(&c->ch, &f, err)) {
        if (err->code == PL_ERR_CLOSED)
            pl_fail(err, PL_ERR_CLOSED,
                    "the server closed the connection without an answer");
        return -1;
    }
    if (f->body_case == PIPELINE__V1__FRAME__BODY_STATUS &&
        body_case != PIPELINE__V1__FRAME__BODY_STATUS) {
        pl_client_status_error(f->status, err);
        pl_frame_free(f);
        return -1;
    }
    if (f->body_case != (unsigned)body_case) {
        pl_fail(err, PL_ERR_PROTOCOL, "expected a %s frame, got %s",
                pl_frame_name(body_case), pl_frame_name(f->body_case));
        pl_frame_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int pl_client_ping(pl_client *c, pl_ping_info *info, pl_error *err)
{
    PL_CLIENT_ERR(err);
    uint8_t nonce[16];
    randombytes_buf(nonce, sizeof nonce);
    Pipeline__V1__PingRequest p = PIPELINE__V1__PING_REQUEST__INIT;
    p.payload.data = nonce;
    p.payload.len = sizeof nonce;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_PING;
    f.ping = &p;
    double t0 = now_ms();
    if (pl_channel_send(&c->ch, &f, err))
        return -1;
    pl_frame *r;
    if (pl_client_expect(c, PIPELINE__V1__FRAME__BODY_PING_RESULT, &r, err))
        return -1;
    int rc = 0;
    if (r->ping_result->payload.len != sizeof nonce ||
        memcmp(r->ping_result->payload.data, nonce, sizeof nonce) != 0)
        rc = pl_fail(err, PL_ERR_PROTOCOL,
                     "ping answer does not echo the "
                     "request");
    if (info) {
        info->rtt_ms = now_ms() - t0;
        pl_escape_str(r->ping_result->software, info->software,
                      sizeof info->software);
        info->server_time_ns = r->ping_result->server_time_unix_ns;
    }
    pl_frame_free(r);
    return rc;
}
