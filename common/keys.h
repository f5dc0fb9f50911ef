/*
 * Static X25519 keys and the two trust files.
 *
 * Key files hold one base64 private key (WireGuard style) and are created
 * with mode 0600 on first use. known_servers holds "ADDRESS KEY" lines
 * (ssh known_hosts in spirit); authorized_keys holds one client key per
 * line. Both allow '#' comments and blank lines.
 */
#ifndef PIPELINE_KEYS_H
#define PIPELINE_KEYS_H

#include "error.h"

#include <stdint.h>

#define PL_KEY_B64_LEN 44 /* base64 of 32 bytes, with padding */

typedef struct pl_keypair {
    uint8_t priv[32];
    uint8_t pub[32];
} pl_keypair;

void pl_key_generate(pl_keypair *kp);
void pl_key_public(const uint8_t priv[32], uint8_t pub[32]);
/* out must hold PL_KEY_B64_LEN + 1 bytes. */
void pl_key_to_base64(const uint8_t key[32], char *out);
int pl_key_from_base64(const char *s, uint8_t key[32], pl_error *err);

/* Loads the private key at path; creates it (0600, parent directory 0700)
 * when create is set and the file does not exist. */
int pl_key_load(const char *path, int create, pl_keypair *kp, pl_error *err);
int pl_key_save(const char *path, const pl_keypair *kp, pl_error *err);

/* 1 when key is listed, 0 when not, -1 when the file cannot be read. */
int pl_authorized_keys_contains(const char *path, const uint8_t key[32],
                                pl_error *err);

/* Looks address up in known_servers. When absent, records key and returns
 * 0 (first contact). When present and equal, 0. When different, -1 with
 * PL_ERR_AUTH and a message giving both keys. */
int pl_known_servers_check(const char *path, const char *address,
                           const uint8_t key[32], int *recorded, pl_error *err);

#endif
