/*
 * The client library: what the CLI and test harnesses link. One function
 * per call; every failure fills a pl_error.
 */
#ifndef PIPELINE_CLIENT_H
#define PIPELINE_CLIENT_H

#include "channel.h"
#include "error.h"
#include "keys.h"
#include "transport.h"

#include <stdint.h>

typedef struct pl_client_opts {
    pl_address address;
    pl_keypair key; /* our static key */
    int has_pin;
    uint8_t pin[32];           /* the server key to expect, when has_pin */
    const char *known_servers; /* used when no pin; NULL: trust any key */
    int connect_timeout_ms;
    int io_timeout_ms; /* -1: wait forever for the server */
} pl_client_opts;

typedef struct pl_client {
    pl_channel ch;
    char server_software[128];
    uint8_t server_key[32];
    int recorded_key; /* first contact: the key went into known_servers */
} pl_client;

/* Connects, runs the handshake and checks the server's key. */
int pl_client_connect(pl_client **out, const pl_client_opts *o, pl_error *err);
void pl_client_close(pl_client *c);

typedef struct pl_ping_info {
    char software[128];
    uint64_t server_time_ns;
    double rtt_ms;
} pl_ping_info;

int pl_client_ping(pl_client *c, pl_ping_info *info, pl_error *err);

/* Turns a Status frame into an error (PL_ERR_REMOTE, or PL_ERR_AUTH for
 * authorization refusals). Always returns -1. */
int pl_client_status_error(const Pipeline__V1__Status *st, pl_error *err);
/* Receives the next frame; a Status ends the call as an error. */
int pl_client_expect(pl_client *c, int body_case, pl_frame **out,
                     pl_error *err);

#endif
