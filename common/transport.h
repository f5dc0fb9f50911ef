/*
 * Byte-stream transports: vsock:CID:PORT, tcp:HOST:PORT, unix:PATH.
 * Every descriptor is close-on-exec and non-blocking once connected; the
 * layers above poll.
 */
#ifndef PIPELINE_TRANSPORT_H
#define PIPELINE_TRANSPORT_H

#include "error.h"

#include <stdint.h>

typedef enum pl_transport_kind {
    PL_TRANSPORT_VSOCK,
    PL_TRANSPORT_TCP,
    PL_TRANSPORT_UNIX,
} pl_transport_kind;

typedef struct pl_address {
    pl_transport_kind kind;
    uint32_t cid;   /* vsock */
    uint32_t port;  /* vsock, tcp */
    char host[256]; /* tcp */
    char path[108]; /* unix */
    char text[400]; /* as the user wrote it, for messages */
} pl_address;

/* Parses "vsock:CID:PORT" (CID "any" = VMADDR_CID_ANY, written back as
 * vsock:any:PORT), "tcp:HOST:PORT" ([v6] allowed) or "unix:PATH". */
int pl_address_parse(const char *s, pl_address *a, pl_error *err);
/* Fills a vsock address from --cid/--port values. */
void pl_address_vsock(pl_address *a, uint32_t cid, uint32_t port);

/* Connects within timeout_ms; errors name the address and the OS reason. */
int pl_transport_connect(const pl_address *a, int timeout_ms, pl_error *err);
/* Binds and listens. A unix socket file nobody answers on (a dead
 * server's) is replaced; one a live server listens on is an error. */
int pl_transport_listen(const pl_address *a, int backlog, pl_error *err);
/* Accepts one connection (CLOEXEC, non-blocking); writes a description of
 * the peer into peer. Returns the fd, or -1 with errno set. */
int pl_transport_accept(int lfd, char *peer, size_t peerlen);
/* True when a TCP address is a loopback one (policy: no authorized-keys
 * file means loopback only). */
int pl_address_is_loopback(const pl_address *a);

#endif
