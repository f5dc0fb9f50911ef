/*
 * CipherState (Noise spec section 5.1) with ChaChaPoly (section 12.3) or
 * AESGCM (section 12.4); the AEAD itself comes from aead/.
 */
#include "aead/aead.h"
#include "noise.h"

#include <string.h>

#include <sodium.h>

/* Section 5.1: the all-ones nonce is reserved (Rekey uses it), so a counter
 * that has reached it means the key is used up. */
#define NONCE_RESERVED UINT64_MAX

static const struct {
    int cipher;
    const char *name, *protocol;
} suites[] = {
    {NOISE_CIPHER_CHACHAPOLY, "ChaChaPoly", NOISE_PROTOCOL_NAME},
    {NOISE_CIPHER_AESGCM, "AESGCM", NOISE_PROTOCOL_NAME_AESGCM},
};
#define N_SUITES (sizeof suites / sizeof suites[0])

const char *noise_protocol_name(int cipher)
{
    for (size_t i = 0; i < N_SUITES; i++)
        if (suites[i].cipher == cipher)
            return suites[i].protocol;
    return NULL;
}

const char *noise_cipher_name(int cipher)
{
    for (size_t i = 0; i < N_SUITES; i++)
        if (suites[i].cipher == cipher)
            return suites[i].name;
    return NULL;
}

int noise_cipher_of_protocol(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SUITES; i++)
        if (strlen(suites[i].protocol) == len &&
            memcmp(suites[i].protocol, name, len) == 0)
            return suites[i].cipher;
    return 0;
}

int noise_cipher_available(int cipher)
{
    return noise_cipher_name(cipher) != NULL && noise_aead_available(cipher);
}

const char *noise_aead_backend_name(void)
{
    return noise_aead_backend();
}

/* Section 12.3: 32 bits of zeros, then the counter little-endian.
 * Section 12.4: the same, but big-endian. */
static void make_nonce(int cipher, uint8_t nonce[NOISE_AEAD_NONCELEN],
                       uint64_t n)
{
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++) {
        int shift = cipher == NOISE_CIPHER_AESGCM ? 56 - 8 * i : 8 * i;
        nonce[4 + i] = (uint8_t)(n >> shift);
    }
}

/* Without a key the "cipher" is the identity (section 5.1); the buffers
 * may be the same or overlap, hence memmove. */
static void copy_through(const uint8_t *in, size_t inlen, uint8_t *out,
                         size_t *outlen)
{
    if (inlen > 0 && out != in)
        memmove(out, in, inlen);
    *outlen = inlen;
}

void noise_cs_init_key_cipher(noise_cipherstate *cs, int cipher,
                              const uint8_t k[NOISE_KEYLEN])
{
    memcpy(cs->k, k, NOISE_KEYLEN);
    cs->n = 0;
    cs->has_key = 1;
    cs->cipher = cipher;
    cs->ctx = NULL;
}

void noise_cs_init_key(noise_cipherstate *cs, const uint8_t k[NOISE_KEYLEN])
{
    noise_cs_init_key_cipher(cs, NOISE_CIPHER_CHACHAPOLY, k);
}

int noise_cs_prepare(noise_cipherstate *cs)
{
    if (!cs->has_key || cs->ctx)
        return cs->has_key ? 0 : -1;
    cs->ctx = noise_aead_new(cs->cipher, cs->k);
    return cs->ctx ? 0 : -1;
}

int noise_cs_encrypt(noise_cipherstate *cs, const uint8_t *ad, size_t adlen,
                     const uint8_t *in, size_t inlen, uint8_t *out,
                     size_t *outlen)
{
    uint8_t nonce[NOISE_AEAD_NONCELEN];

    if (!cs->has_key) {
        copy_through(in, inlen, out, outlen);
        return 0;
    }
    /* Section 3: no Noise message exceeds 65535 bytes, tag included. */
    if (cs->n == NONCE_RESERVED || inlen > NOISE_MAX_MSG - NOISE_TAGLEN)
        return -1;
    make_nonce(cs->cipher, nonce, cs->n);
    if (noise_aead_seal(cs->ctx, cs->cipher, cs->k, nonce, ad, adlen, in, inlen,
                        out) != 0)
        return -1;
    cs->n++;
    *outlen = inlen + NOISE_TAGLEN;
    return 0;
}

int noise_cs_decrypt(noise_cipherstate *cs, const uint8_t *ad, size_t adlen,
                     const uint8_t *in, size_t inlen, uint8_t *out,
                     size_t *outlen)
{
    uint8_t nonce[NOISE_AEAD_NONCELEN];

    if (!cs->has_key) {
        copy_through(in, inlen, out, outlen);
        return 0;
    }
    if (cs->n == NONCE_RESERVED || inlen < NOISE_TAGLEN ||
        inlen > NOISE_MAX_MSG)
        return -1;
    make_nonce(cs->cipher, nonce, cs->n);
    /* On failure n stays put (section 5.1) so an injected bad packet cannot
     * desynchronise the two sides. */
    if (noise_aead_open(cs->ctx, cs->cipher, cs->k, nonce, ad, adlen, in, inlen,
                        out) != 0)
        return -1;
    cs->n++;
    *outlen = inlen - NOISE_TAGLEN;
    return 0;
}

void noise_cs_clear(noise_cipherstate *cs)
{
    noise_aead_free(cs->ctx);
    sodium_memzero(cs, sizeof(*cs));
}
