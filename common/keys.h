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

#include <pipeline/keys.h>

#include <stdint.h>

/* 1 when key is listed, 0 when not, -1 when the file cannot be read. */
int pl_authorized_keys_contains(const char *path, const uint8_t key[32],
                                pl_error *err);

/* Looks address up in known_servers. When absent, records key and returns
 * 0 (first contact). When present and equal, 0. When different, -1 with
 * PL_ERR_AUTH and a message giving both keys. */
int pl_known_servers_check(const char *path, const char *address,
                           const uint8_t key[32], int *recorded, pl_error *err);

#endif
