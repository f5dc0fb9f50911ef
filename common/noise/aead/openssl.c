/*
 * AEAD backend on OpenSSL 3 EVP: ChaCha20-Poly1305 and AES-256-GCM. On
 * these machines EVP runs both 2-3x faster than libsodium 1.0.18 (which
 * has no AVX-512 code), and the data path is mostly AEAD time.
 *
 * A prepared context holds the key schedule; each message only sets the
 * nonce, so a direction costs one EVP_CIPHER_CTX and no allocation per
 * message.
 *
 * OpenSSL's first use in a process costs about a millisecond (library and
 * provider set-up), as much as a whole `pipeline run -- true`. libsodium
 * gives the same bytes with no set-up, so the handshake and the first
 * first 256 KiB of each direction go through libsodium, and a direction
 * moves to EVP only once it carries bulk data. Where libsodium lacks the
 * cipher (AES-GCM without hardware AES) EVP is used from the start.
 */
#include "aead.h"
#include "noise.h"
#include "ossl.h"
#include "sodium_prim.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Bytes a direction carries through libsodium before it moves to EVP. */
static size_t evp_after = 256 * 1024;

void noise_aead_set_warmup(size_t bytes)
{
    evp_after = bytes;
}

struct noise_aead_ctx {
    EVP_CIPHER_CTX *evp; /* NULL until the direction is warm */
    int cipher;
    uint8_t key[32];
    uint64_t bytes; /* carried so far through libsodium */
};

/* libcrypto is opened on first use (ossl.h): only here, once a direction
 * is warm, or at once for a cipher libsodium lacks. */
static const EVP_CIPHER *evp_cipher(int cipher)
{
    if (pl_ossl_load())
        return NULL;
    switch (cipher) {
    case NOISE_CIPHER_CHACHAPOLY:
        return EVP_chacha20_poly1305();
    case NOISE_CIPHER_AESGCM:
        return EVP_aes_256_gcm();
    default:
        return NULL;
    }
}

const char *noise_aead_backend(void)
{
    return "openssl";
}

int noise_aead_available(int cipher)
{
    return noise_sodium_has(cipher) || evp_cipher(cipher) != NULL;
}

/* Both ciphers take a 12-byte nonce, OpenSSL's default IV length, so no
 * IV-length control is needed. The direction is set per message: during
 * the handshake one state both encrypts and decrypts. */
static EVP_CIPHER_CTX *evp_new(int cipher, const uint8_t key[32])
{
    const EVP_CIPHER *c = evp_cipher(cipher);
    EVP_CIPHER_CTX *evp = c ? EVP_CIPHER_CTX_new() : NULL;
    if (!evp)
        return NULL;
    if (EVP_CipherInit_ex(evp, c, NULL, key, NULL, 1) != 1) {
        EVP_CIPHER_CTX_free(evp);
        return NULL;
    }
    return evp;
}

noise_aead_ctx *noise_aead_new(int cipher, const uint8_t key[32])
{
    if (!noise_aead_available(cipher))
        return NULL;
    noise_aead_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->cipher = cipher;
    memcpy(ctx->key, key, 32);
    if (!noise_sodium_has(cipher) || evp_after == 0) {
        ctx->evp = evp_new(cipher, key);
        if (!ctx->evp) {
            free(ctx);
            return NULL;
        }
    }
    return ctx;
}

void noise_aead_free(noise_aead_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->evp)                      /* never opened libcrypto otherwise */
        EVP_CIPHER_CTX_free(ctx->evp); /* wipes the key schedule */
    sodium_memzero(ctx, sizeof *ctx);
    free(ctx);
}

/* The EVP context once the direction is warm; NULL while libsodium should
 * still carry it (or on allocation failure, when libsodium goes on). */
static EVP_CIPHER_CTX *warm_evp(noise_aead_ctx *ctx, size_t inlen)
{
    if (!ctx->evp && ctx->bytes >= evp_after)
        ctx->evp = evp_new(ctx->cipher, ctx->key);
    if (!ctx->evp)
        ctx->bytes += inlen;
    return ctx->evp;
}

static int seal(EVP_CIPHER_CTX *evp, const uint8_t *nonce, const uint8_t *ad,
                size_t adlen, const uint8_t *in, size_t inlen, uint8_t *out)
{
    int n = 0, fin = 0;
    if (EVP_CipherInit_ex(evp, NULL, NULL, NULL, nonce, 1) != 1)
        return -1;
    if (adlen && EVP_CipherUpdate(evp, NULL, &n, ad, (int)adlen) != 1)
        return -1;
    if (inlen && EVP_CipherUpdate(evp, out, &n, in, (int)inlen) != 1)
        return -1;
    if (EVP_CipherFinal_ex(evp, out + n, &fin) != 1)
        return -1;
    return EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_GET_TAG, NOISE_TAGLEN,
                               out + inlen) == 1
               ? 0
               : -1;
}

static int open_(EVP_CIPHER_CTX *evp, const uint8_t *nonce, const uint8_t *ad,
                 size_t adlen, const uint8_t *in, size_t inlen, uint8_t *out)
{
    size_t mlen = inlen - NOISE_TAGLEN;
    uint8_t tag[NOISE_TAGLEN];
    int n = 0, fin = 0, ok;
    /* Copied first: with out == in the tag bytes stay put, but a copy
     * keeps that true for any overlap. */
    memcpy(tag, in + mlen, NOISE_TAGLEN);
    ok = EVP_CipherInit_ex(evp, NULL, NULL, NULL, nonce, 0) == 1 &&
         EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_SET_TAG, NOISE_TAGLEN, tag) ==
             1 &&
         (!adlen || EVP_CipherUpdate(evp, NULL, &n, ad, (int)adlen) == 1) &&
         (!mlen || EVP_CipherUpdate(evp, out, &n, in, (int)mlen) == 1) &&
         EVP_CipherFinal_ex(evp, out + (mlen ? (size_t)n : 0), &fin) == 1;
    if (!ok) {
        /* EVP decrypts before it checks: never leave unauthenticated
         * plaintext behind. */
        sodium_memzero(out, mlen);
        return -1;
    }
    return 0;
}

int noise_aead_seal(noise_aead_ctx *ctx, int cipher, const uint8_t key[32],
                    const uint8_t nonce[NOISE_AEAD_NONCELEN], const uint8_t *ad,
                    size_t adlen, const uint8_t *in, size_t inlen, uint8_t *out)
{
    if (ctx && warm_evp(ctx, inlen))
        return seal(ctx->evp, nonce, ad, adlen, in, inlen, out);
    if (noise_sodium_has(cipher))
        return noise_sodium_seal(cipher, ctx ? ctx->key : key, nonce, ad, adlen,
                                 in, inlen, out);
    EVP_CIPHER_CTX *evp = evp_new(cipher, key);
    if (!evp)
        return -1;
    int rc = seal(evp, nonce, ad, adlen, in, inlen, out);
    EVP_CIPHER_CTX_free(evp);
    return rc;
}

int noise_aead_open(noise_aead_ctx *ctx, int cipher, const uint8_t key[32],
                    const uint8_t nonce[NOISE_AEAD_NONCELEN], const uint8_t *ad,
                    size_t adlen, const uint8_t *in, size_t inlen, uint8_t *out)
{
    if (inlen < NOISE_TAGLEN)
        return -1;
    if (ctx && warm_evp(ctx, inlen))
        return open_(ctx->evp, nonce, ad, adlen, in, inlen, out);
    if (noise_sodium_has(cipher))
        return noise_sodium_open(cipher, ctx ? ctx->key : key, nonce, ad, adlen,
                                 in, inlen, out);
    EVP_CIPHER_CTX *evp = evp_new(cipher, key);
    if (!evp)
        return -1;
    int rc = open_(evp, nonce, ad, adlen, in, inlen, out);
    EVP_CIPHER_CTX_free(evp);
    return rc;
}
