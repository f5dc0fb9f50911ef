/*
 * Inside the client library. Programs see only include/pipeline/client.h,
 * where pl_client and pl_client_opts are opaque; this header defines them
 * and the helpers the call files (exec.c, files.c, dirs.c) share.
 */
#ifndef PIPELINE_CLIENT_H
#define PIPELINE_CLIENT_H

#include <pipeline/client.h>

#include "attest.h"
#include "channel.h"
#include "error.h"
#include "keys.h"
#include "transport.h"

#include <stdint.h>

/* Fields are named unlike the old public struct's (address, key) so code
 * still filling that struct by hand fails to compile: use the setters. */
struct pl_client_opts {
    int has_address;
    pl_address addr;
    int has_key; /* without one, each connection makes a fresh key */
    pl_keypair keys;
    int has_pin;
    uint8_t pin[32];     /* the server key to expect, when has_pin */
    char *known_servers; /* used when no pin; NULL: trust any key */
    int connect_timeout_ms;
    int io_timeout_ms; /* -1: wait forever for the server */
    /* Attestation: when attest is set (a PCR expected, or asked for), the
     * server must send a document that passes pl_attest_verify with expect
     * and its handshake key, checked before we reveal our key; it then
     * needs no known_servers entry (a pin is still checked). */
    int attest;
    pl_attest_expect expect; /* expect.root_der points at root_der */
    uint8_t *root_der;       /* owned copy; NULL: the built-in AWS root */
    /* The Noise suite: NOISE_CIPHER_CHACHAPOLY or NOISE_CIPHER_AESGCM asks
     * for exactly that one. 0 asks for PL_CLIENT_DEFAULT_CIPHER and, when
     * the server refuses it with its "error: " line, connects once more
     * with ChaChaPoly, the suite every server has. */
    int cipher;
    int attest_cache_set; /* attest_cache was chosen (NULL: none) */
    char *attest_cache;   /* else: next to known_servers */
};

/* AESGCM: with OpenSSL on AES-NI hardware it costs less CPU per byte than
 * ChaChaPoly (README "Performance" has the figures). */
#define PL_CLIENT_DEFAULT_CIPHER NOISE_CIPHER_AESGCM

struct pl_client {
    pl_channel ch;
    char server_software[128];
    uint8_t server_key[32];
    int recorded_key; /* first contact: the key went into known_servers */
    pl_attest_info *attestation; /* the verified document; NULL if none */
    int cipher;                  /* the suite in use (noise_cipher) */
    int server_times;            /* its Hello offers "mtime": -p can work */
};

/* Public entry points accept err == NULL; inside there is always one. */
#define PL_CLIENT_ERR(err)                                                     \
    pl_error err##_buf;                                                        \
    if (!(err))                                                                \
    (err) = &err##_buf

/* Turns a Status frame into an error (PL_ERR_REMOTE, or PL_ERR_AUTH for
 * authorization refusals). Always returns -1. */
int pl_client_status_error(const Pipeline__V1__Status *st, pl_error *err);
/* Receives the next frame; a Status ends the call as an error. */
int pl_client_expect(pl_client *c, int body_case, pl_frame **out,
                     pl_error *err);

#endif
