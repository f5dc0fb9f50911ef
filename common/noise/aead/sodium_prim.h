/*
 * libsodium's two AEADs as one-off calls, shared by both backends: the
 * libsodium backend is built on them, and the OpenSSL backend uses them
 * where OpenSSL's start-up cost would dominate (see openssl.c).
 */
#ifndef PIPELINE_NOISE_SODIUM_PRIM_H
#define PIPELINE_NOISE_SODIUM_PRIM_H

#include <stddef.h>
#include <stdint.h>

/* 1 when libsodium runs cipher here (AES-GCM needs hardware AES). */
int noise_sodium_has(int cipher);
/* As noise_aead_seal / noise_aead_open with no context. */
int noise_sodium_seal(int cipher, const uint8_t key[32],
                      const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
                      const uint8_t *in, size_t inlen, uint8_t *out);
int noise_sodium_open(int cipher, const uint8_t key[32],
                      const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
                      const uint8_t *in, size_t inlen, uint8_t *out);

#endif
