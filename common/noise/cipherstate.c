/*
 * CipherState (Noise spec section 5.1) with ChaChaPoly (section 12.3).
 */
#include "noise.h"

#include <string.h>

#include <sodium.h>

/* Section 5.1: the all-ones nonce is reserved (Rekey uses it), so a counter
 * that has reached it means the key is used up. */
#define NONCE_RESERVED UINT64_MAX
#define NONCE_LEN crypto_aead_chacha20poly1305_ietf_NPUBBYTES

/* Section 12.3: 32 bits of zeros, then the counter little-endian. */
static void make_nonce(uint8_t nonce[NONCE_LEN], uint64_t n)
{
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] = (uint8_t)(n >> (8 * i));
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

void noise_cs_init_key(noise_cipherstate *cs, const uint8_t k[NOISE_KEYLEN])
{
    memcpy(cs->k, k, NOISE_KEYLEN);
    cs->n = 0;
    cs->has_key = 1;
}

int noise_cs_encrypt(noise_cipherstate *cs, const uint8_t *ad, size_t adlen,
                     const uint8_t *in, size_t inlen, uint8_t *out,
                     size_t *outlen)
{
    uint8_t nonce[NONCE_LEN];
    unsigned long long clen = 0;

    if (!cs->has_key) {
        copy_through(in, inlen, out, outlen);
        return 0;
    }
    /* Section 3: no Noise message exceeds 65535 bytes, tag included. */
    if (cs->n == NONCE_RESERVED || inlen > NOISE_MAX_MSG - NOISE_TAGLEN)
        return -1;
    make_nonce(nonce, cs->n);
    /* libsodium's combined mode tolerates out == in: it XORs the stream
     * in place and then MACs the ciphertext it just wrote. */
    crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, in, inlen, ad, adlen,
                                              NULL, nonce, cs->k);
    cs->n++;
    *outlen = (size_t)clen;
    return 0;
}

int noise_cs_decrypt(noise_cipherstate *cs, const uint8_t *ad, size_t adlen,
                     const uint8_t *in, size_t inlen, uint8_t *out,
                     size_t *outlen)
{
    uint8_t nonce[NONCE_LEN];
    unsigned long long mlen = 0;

    if (!cs->has_key) {
        copy_through(in, inlen, out, outlen);
        return 0;
    }
    if (cs->n == NONCE_RESERVED || inlen < NOISE_TAGLEN ||
        inlen > NOISE_MAX_MSG)
        return -1;
    make_nonce(nonce, cs->n);
    /* The tag is checked before anything is written, so out == in works;
     * on failure libsodium zeroes out, and n stays put (section 5.1) so an
     * injected bad packet cannot desynchronise the two sides. */
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, in, inlen,
                                                  ad, adlen, nonce, cs->k) != 0)
        return -1;
    cs->n++;
    *outlen = (size_t)mlen;
    return 0;
}

void noise_cs_clear(noise_cipherstate *cs)
{
    sodium_memzero(cs, sizeof(*cs));
}
