/*
 * SymmetricState (Noise spec section 5.2) with SHA256 (section 12.5) and
 * HKDF (section 4.3).
 */
#include "noise.h"

#include <string.h>

#include <sodium.h>

static void hmac(const uint8_t key[NOISE_HASHLEN], const uint8_t *a,
                 size_t alen, const uint8_t *b, size_t blen,
                 uint8_t out[NOISE_HASHLEN])
{
    crypto_auth_hmacsha256_state st;

    crypto_auth_hmacsha256_init(&st, key, NOISE_HASHLEN);
    crypto_auth_hmacsha256_update(&st, a, alen);
    crypto_auth_hmacsha256_update(&st, b, blen);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

/* Section 4.3 with two outputs, the only count XX needs (no psk token):
 *   temp = HMAC(ck, ikm); o1 = HMAC(temp, 0x01); o2 = HMAC(temp, o1 || 0x02)
 * ck is always HASHLEN bytes here, so it is a valid HMAC key as is. */
static void hkdf2(const uint8_t ck[NOISE_HASHLEN], const uint8_t *ikm,
                  size_t ikmlen, uint8_t o1[NOISE_HASHLEN],
                  uint8_t o2[NOISE_HASHLEN])
{
    static const uint8_t one = 0x01, two = 0x02;
    uint8_t temp[NOISE_HASHLEN];

    hmac(ck, ikm, ikmlen, NULL, 0, temp);
    hmac(temp, &one, 1, NULL, 0, o1);
    hmac(temp, o1, NOISE_HASHLEN, &two, 1, o2);
    sodium_memzero(temp, sizeof(temp));
}

/* h' = HASH(h || data), written to out (which may be h itself). */
static void hash_with(const uint8_t h[NOISE_HASHLEN], const uint8_t *data,
                      size_t len, uint8_t out[NOISE_HASHLEN])
{
    crypto_hash_sha256_state st;

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, h, NOISE_HASHLEN);
    crypto_hash_sha256_update(&st, data, len);
    crypto_hash_sha256_final(&st, out);
}

void noise_ss_init(noise_symmetricstate *ss, const char *protocol_name,
                   int cipher)
{
    size_t len = strlen(protocol_name);

    sodium_memzero(ss, sizeof(*ss));
    /* Section 5.2: short names are zero-padded, long ones hashed, so h
     * always starts HASHLEN bytes long. */
    if (len <= NOISE_HASHLEN)
        memcpy(ss->h, protocol_name, len);
    else
        crypto_hash_sha256(ss->h, (const uint8_t *)protocol_name, len);
    memcpy(ss->ck, ss->h, NOISE_HASHLEN);
    ss->cipher = cipher;
    /* cs starts empty (has_key = 0) from the memzero above. */
}

void noise_ss_mix_key(noise_symmetricstate *ss, const uint8_t *ikm, size_t len)
{
    uint8_t temp_k[NOISE_HASHLEN];

    /* HASHLEN == 32 == key size, so no truncation of temp_k is needed. */
    hkdf2(ss->ck, ikm, len, ss->ck, temp_k);
    noise_cs_clear(&ss->cs); /* frees a prepared state, should there be one */
    noise_cs_init_key_cipher(&ss->cs, ss->cipher, temp_k);
    sodium_memzero(temp_k, sizeof(temp_k));
}

void noise_ss_mix_hash(noise_symmetricstate *ss, const uint8_t *data,
                       size_t len)
{
    hash_with(ss->h, data, len, ss->h);
}

int noise_ss_encrypt_and_hash(noise_symmetricstate *ss, const uint8_t *in,
                              size_t inlen, uint8_t *out, size_t *outlen)
{
    if (noise_cs_encrypt(&ss->cs, ss->h, NOISE_HASHLEN, in, inlen, out,
                         outlen) != 0)
        return -1;
    noise_ss_mix_hash(ss, out, *outlen);
    return 0;
}

int noise_ss_decrypt_and_hash(noise_symmetricstate *ss, const uint8_t *in,
                              size_t inlen, uint8_t *out, size_t *outlen)
{
    uint8_t next_h[NOISE_HASHLEN];

    /* h must absorb the ciphertext, which an in-place decrypt overwrites,
     * so hash it first and commit only if the tag checks out. */
    hash_with(ss->h, in, inlen, next_h);
    if (noise_cs_decrypt(&ss->cs, ss->h, NOISE_HASHLEN, in, inlen, out,
                         outlen) != 0)
        return -1;
    memcpy(ss->h, next_h, NOISE_HASHLEN);
    return 0;
}

void noise_ss_split(noise_symmetricstate *ss, noise_cipherstate *c1,
                    noise_cipherstate *c2)
{
    uint8_t k1[NOISE_HASHLEN], k2[NOISE_HASHLEN];

    /* Section 5.2: HKDF(ck, zero-length input). */
    hkdf2(ss->ck, NULL, 0, k1, k2);
    noise_cs_init_key_cipher(c1, ss->cipher, k1);
    noise_cs_init_key_cipher(c2, ss->cipher, k2);
    sodium_memzero(k1, sizeof(k1));
    sodium_memzero(k2, sizeof(k2));
}

void noise_ss_clear(noise_symmetricstate *ss)
{
    noise_cs_clear(&ss->cs);
    sodium_memzero(ss, sizeof(*ss));
}
