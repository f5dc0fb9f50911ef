/*
 * Pipeline client library: static X25519 keys, WireGuard style.
 *
 * A key is 32 raw bytes; written down it is 44 characters of base64 (as
 * `pipeline keygen` and `pipeline pubkey` print it). A key file holds one
 * base64 private key and is created with mode 0600.
 */
#ifndef PIPELINE_PUBLIC_KEYS_H
#define PIPELINE_PUBLIC_KEYS_H

#include <pipeline/error.h>

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PL_KEY_B64_LEN 44 /* base64 of 32 bytes, with padding */

typedef struct pl_keypair {
    uint8_t priv[32];
    uint8_t pub[32];
} pl_keypair;

/* A new random private key and its public key. */
PL_EXPORT void pl_key_generate(pl_keypair *kp);
/* The public key of a private key. */
PL_EXPORT void pl_key_public(const uint8_t priv[32], uint8_t pub[32]);
/* out must hold PL_KEY_B64_LEN + 1 bytes; it is NUL-terminated. */
PL_EXPORT void pl_key_to_base64(const uint8_t key[32], char *out);
/* Leading blanks and a trailing newline are allowed. */
PL_EXPORT int pl_key_from_base64(const char *s, uint8_t key[32], pl_error *err);

/* Loads the private key at path; when create is set and the file does not
 * exist, makes a new key there (0600, missing parent directories 0700). */
PL_EXPORT int pl_key_load(const char *path, int create, pl_keypair *kp,
                          pl_error *err);
/* Writes a new key file (0600); never overwrites an existing file. */
PL_EXPORT int pl_key_save(const char *path, const pl_keypair *kp,
                          pl_error *err);

/* Removes the key recorded for address ("vsock:16:5000", as messages
 * write it) from a known-servers file, rewriting it atomically, so the
 * next connection records the server's new key (like ssh-keygen -R).
 * *removed: how many lines went; a missing file removes nothing. */
PL_EXPORT int pl_known_servers_forget(const char *path, const char *address,
                                      int *removed, pl_error *err);

#ifdef __cplusplus
}
#endif

#endif
