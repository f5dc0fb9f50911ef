#include "sodium_prim.h"
#include "noise.h"

#include <sodium.h>

int noise_sodium_has(int cipher)
{
    if (cipher == NOISE_CIPHER_CHACHAPOLY)
        return 1;
    if (cipher == NOISE_CIPHER_AESGCM)
        return sodium_init() >= 0 && crypto_aead_aes256gcm_is_available();
    return 0;
}

int noise_sodium_seal(int cipher, const uint8_t key[32],
                      const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
                      const uint8_t *in, size_t inlen, uint8_t *out)
{
    unsigned long long clen;
    /* Both combined modes accept out == in. */
    if (cipher == NOISE_CIPHER_CHACHAPOLY)
        return crypto_aead_chacha20poly1305_ietf_encrypt(
            out, &clen, in, inlen, ad, adlen, NULL, nonce, key);
    if (!noise_sodium_has(cipher))
        return -1;
    return crypto_aead_aes256gcm_encrypt(out, &clen, in, inlen, ad, adlen, NULL,
                                         nonce, key);
}

int noise_sodium_open(int cipher, const uint8_t key[32],
                      const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
                      const uint8_t *in, size_t inlen, uint8_t *out)
{
    unsigned long long mlen;
    /* On failure libsodium writes nothing or wipes what it wrote. */
    if (cipher == NOISE_CIPHER_CHACHAPOLY)
        return crypto_aead_chacha20poly1305_ietf_decrypt(
                   out, &mlen, NULL, in, inlen, ad, adlen, nonce, key) == 0
                   ? 0
                   : -1;
    if (!noise_sodium_has(cipher))
        return -1;
    return crypto_aead_aes256gcm_decrypt(out, &mlen, NULL, in, inlen, ad, adlen,
                                         nonce, key) == 0
               ? 0
               : -1;
}
