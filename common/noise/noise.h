/*
 * Noise_XX_25519_{ChaChaPoly,AESGCM}_SHA256: X25519 and SHA-256 from
 * libsodium, the AEAD from the backend chosen at build time (aead/).
 *
 * The objects follow the Noise specification (revision 34) section 5:
 * CipherState, SymmetricState, HandshakeState. Only the XX pattern is
 * built in because it is the one pattern the wire protocol uses; the
 * handshake state still walks a token table so another pattern is a
 * table away.
 */
#ifndef PIPELINE_NOISE_H
#define PIPELINE_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_KEYLEN 32
#define NOISE_HASHLEN 32
#define NOISE_TAGLEN 16
#define NOISE_MAX_MSG 65535
/* The suite every build supports (DESIGN: wire protocol 4). */
#define NOISE_PROTOCOL_NAME "Noise_XX_25519_ChaChaPoly_SHA256"
#define NOISE_PROTOCOL_NAME_AESGCM "Noise_XX_25519_AESGCM_SHA256"

/* Section 12.3 and 12.4. Zero is "none", so a zeroed state is unusable. */
typedef enum noise_cipher {
    NOISE_CIPHER_CHACHAPOLY = 1,
    NOISE_CIPHER_AESGCM = 2,
} noise_cipher;

/* "Noise_XX_25519_<cipher>_SHA256", or NULL for an unknown cipher. */
const char *noise_protocol_name(int cipher);
/* The cipher of a full protocol name we implement, or 0. */
int noise_cipher_of_protocol(const char *name, size_t len);
/* "ChaChaPoly" / "AESGCM" (the spec's names), or NULL. */
const char *noise_cipher_name(int cipher);
/* 1 when this build can run cipher here (libsodium's AES-GCM needs
 * hardware AES). */
int noise_cipher_available(int cipher);
/* "openssl" or "libsodium": the AEAD backend this program was built with. */
const char *noise_aead_backend_name(void);

struct noise_aead_ctx;

/* Section 5.1. */
typedef struct noise_cipherstate {
    uint8_t k[NOISE_KEYLEN];
    uint64_t n;
    int has_key;
    int cipher;                 /* noise_cipher */
    struct noise_aead_ctx *ctx; /* set by noise_cs_prepare; owned */
} noise_cipherstate;

/* Sets a key on a fresh or cleared state (one that holds no ctx). */
void noise_cs_init_key_cipher(noise_cipherstate *cs, int cipher,
                              const uint8_t k[NOISE_KEYLEN]);
/* The same for ChaChaPoly, the suite every build has. */
void noise_cs_init_key(noise_cipherstate *cs, const uint8_t k[NOISE_KEYLEN]);
/* For a long-lived transport direction: builds the backend state once so
 * no message needs an allocation or a key schedule. A prepared state must
 * not be copied; noise_cs_clear frees it. Returns 0 or -1. */
int noise_cs_prepare(noise_cipherstate *cs);
/* out may equal in (encrypt in place). out needs inlen + NOISE_TAGLEN bytes
 * when a key is set. Returns 0, or -1 when the nonce is exhausted. */
int noise_cs_encrypt(noise_cipherstate *cs, const uint8_t *ad, size_t adlen,
                     const uint8_t *in, size_t inlen, uint8_t *out,
                     size_t *outlen);
/* out may equal in. Returns 0, or -1 on authentication failure (the nonce is
 * not advanced then) or nonce exhaustion. */
int noise_cs_decrypt(noise_cipherstate *cs, const uint8_t *ad, size_t adlen,
                     const uint8_t *in, size_t inlen, uint8_t *out,
                     size_t *outlen);
void noise_cs_clear(noise_cipherstate *cs);

/* Section 5.2. */
typedef struct noise_symmetricstate {
    noise_cipherstate cs;
    int cipher; /* for the keys MixKey and Split set */
    uint8_t ck[NOISE_HASHLEN];
    uint8_t h[NOISE_HASHLEN];
} noise_symmetricstate;

void noise_ss_init(noise_symmetricstate *ss, const char *protocol_name,
                   int cipher);
void noise_ss_mix_key(noise_symmetricstate *ss, const uint8_t *ikm, size_t len);
void noise_ss_mix_hash(noise_symmetricstate *ss, const uint8_t *data,
                       size_t len);
int noise_ss_encrypt_and_hash(noise_symmetricstate *ss, const uint8_t *in,
                              size_t inlen, uint8_t *out, size_t *outlen);
int noise_ss_decrypt_and_hash(noise_symmetricstate *ss, const uint8_t *in,
                              size_t inlen, uint8_t *out, size_t *outlen);
void noise_ss_split(noise_symmetricstate *ss, noise_cipherstate *c1,
                    noise_cipherstate *c2);
void noise_ss_clear(noise_symmetricstate *ss);

/* Section 5.3, for the XX pattern. */
typedef struct noise_handshake {
    noise_symmetricstate ss;
    int initiator;
    int msg_index; /* next message of the pattern, 0..3 */
    uint8_t s_priv[32], s_pub[32];
    uint8_t e_priv[32], e_pub[32];
    int has_fixed_e; /* tests inject the ephemeral key */
    uint8_t rs[32], re[32];
    int has_rs, has_re;
} noise_handshake;

/* cipher picks Noise_XX_25519_<cipher>_SHA256. s_priv is this side's
 * static X25519 private key. fixed_e is NULL in real use (a fresh
 * ephemeral key is drawn from randombytes); test vectors pass theirs.
 * Returns 0 or -1 (also when cipher is unavailable here). */
int noise_hs_init(noise_handshake *hs, int cipher, int initiator,
                  const uint8_t *prologue, size_t prologue_len,
                  const uint8_t s_priv[32], const uint8_t *fixed_e);
/* Writes the next handshake message (payload may be NULL when plen is 0).
 * Returns 0, or -1 when it is not this side's turn, the buffer is too small
 * or a key operation fails. */
int noise_hs_write(noise_handshake *hs, const uint8_t *payload, size_t plen,
                   uint8_t *out, size_t outcap, size_t *outlen);
/* Reads the peer's next handshake message and decrypts its payload into
 * payload (capacity cap). Returns 0 or -1 (malformed, wrong length,
 * failed decryption, low-order point). */
int noise_hs_read(noise_handshake *hs, const uint8_t *msg, size_t len,
                  uint8_t *payload, size_t cap, size_t *plen);
int noise_hs_done(const noise_handshake *hs);
/* After the last message: send/recv cipher states for this side (the
 * initiator sends with c1, the responder with c2) and wipes the handshake. */
void noise_hs_split(noise_handshake *hs, noise_cipherstate *send,
                    noise_cipherstate *recv);
/* The peer's static public key, valid once it has been received. */
const uint8_t *noise_hs_remote_static(const noise_handshake *hs);
const uint8_t *noise_hs_hash(const noise_handshake *hs);
void noise_hs_clear(noise_handshake *hs);

#endif
