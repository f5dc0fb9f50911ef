/*
 * AEAD backend on libsodium: the portable fallback. ChaCha20-Poly1305
 * everywhere; AES-256-GCM only where libsodium has a hardware AES path
 * (crypto_aead_aes256gcm_is_available), since it ships no software AES.
 */
#include "aead.h"
#include "noise.h"
#include "sodium_prim.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct noise_aead_ctx {
    crypto_aead_aes256gcm_state gcm; /* first: needs 16-byte alignment */
    int cipher;
    uint8_t key[32];
};

const char *noise_aead_backend(void)
{
    return "libsodium";
}

void noise_aead_set_warmup(size_t bytes)
{
    (void)bytes; /* one path only */
}

int noise_aead_available(int cipher)
{
    return noise_sodium_has(cipher);
}

noise_aead_ctx *noise_aead_new(int cipher, const uint8_t key[32])
{
    if (!noise_aead_available(cipher))
        return NULL;
    noise_aead_ctx *ctx = aligned_alloc(16, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->cipher = cipher;
    memcpy(ctx->key, key, 32);
    if (cipher == NOISE_CIPHER_AESGCM)
        crypto_aead_aes256gcm_beforenm(&ctx->gcm, key);
    return ctx;
}

void noise_aead_free(noise_aead_ctx *ctx)
{
    if (!ctx)
        return;
    sodium_memzero(ctx, sizeof *ctx);
    free(ctx);
}

int noise_aead_seal(noise_aead_ctx *ctx, int cipher, const uint8_t key[32],
                    const uint8_t nonce[NOISE_AEAD_NONCELEN], const uint8_t *ad,
                    size_t adlen, const uint8_t *in, size_t inlen, uint8_t *out)
{
    unsigned long long clen;
    if (ctx && cipher == NOISE_CIPHER_AESGCM)
        return crypto_aead_aes256gcm_encrypt_afternm(
            out, &clen, in, inlen, ad, adlen, NULL, nonce, &ctx->gcm);
    return noise_sodium_seal(cipher, ctx ? ctx->key : key, nonce, ad, adlen, in,
                             inlen, out);
}

int noise_aead_open(noise_aead_ctx *ctx, int cipher, const uint8_t key[32],
                    const uint8_t nonce[NOISE_AEAD_NONCELEN], const uint8_t *ad,
                    size_t adlen, const uint8_t *in, size_t inlen, uint8_t *out)
{
    unsigned long long mlen;
    if (inlen < NOISE_TAGLEN)
        return -1;
    if (ctx && cipher == NOISE_CIPHER_AESGCM)
        return crypto_aead_aes256gcm_decrypt_afternm(out, &mlen, NULL, in,
                                                     inlen, ad, adlen, nonce,
                                                     &ctx->gcm) == 0
                   ? 0
                   : -1;
    return noise_sodium_open(cipher, ctx ? ctx->key : key, nonce, ad, adlen, in,
                             inlen, out);
}
