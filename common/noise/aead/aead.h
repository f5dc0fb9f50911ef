/*
 * The AEAD under CipherState, behind one small interface so the backend
 * (OpenSSL EVP or libsodium) is a build-time choice: -DPIPELINE_AEAD=...
 * Both produce the same bytes; only speed differs.
 *
 * Exactly one backend file is linked into a program. Both define the same
 * symbols, so a test binary can take the other one (see CMakeLists.txt).
 */
#ifndef PIPELINE_NOISE_AEAD_H
#define PIPELINE_NOISE_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_AEAD_NONCELEN 12

typedef struct noise_aead_ctx noise_aead_ctx;

/* "openssl" or "libsodium". */
const char *noise_aead_backend(void);
/* 1 when this backend can run cipher (a noise_cipher) on this machine. */
int noise_aead_available(int cipher);
/* Bytes a prepared direction carries before it switches to the backend's
 * bulk path (OpenSSL: EVP after a libsodium start, see openssl.c; no
 * effect on libsodium). Tests set 0 to run the bulk path from the first
 * message. */
void noise_aead_set_warmup(size_t bytes);
/* Per-key state for a long-lived direction (key schedule done once).
 * NULL when out of memory or the cipher is unavailable. */
noise_aead_ctx *noise_aead_new(int cipher, const uint8_t key[32]);
void noise_aead_free(noise_aead_ctx *ctx);
/* Writes inlen + 16 bytes to out (out may equal in). ctx NULL: a one-off
 * call with key. Returns 0 or -1. */
int noise_aead_seal(noise_aead_ctx *ctx, int cipher, const uint8_t key[32],
                    const uint8_t nonce[NOISE_AEAD_NONCELEN], const uint8_t *ad,
                    size_t adlen, const uint8_t *in, size_t inlen,
                    uint8_t *out);
/* inlen >= 16; writes inlen - 16 bytes to out (out may equal in) only
 * when the tag checks out, else returns -1 and leaves no plaintext. */
int noise_aead_open(noise_aead_ctx *ctx, int cipher, const uint8_t key[32],
                    const uint8_t nonce[NOISE_AEAD_NONCELEN], const uint8_t *ad,
                    size_t adlen, const uint8_t *in, size_t inlen,
                    uint8_t *out);

#endif
