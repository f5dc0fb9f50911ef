/*
 * Refusing connections over server.max_connections without ever blocking
 * the accept loop. A refused peer is sent the cleartext "error: server
 * busy" line, then what it sends is read and dropped for a short, bounded
 * time (closing with its hello unread would reset the connection before
 * it reads ours). The accept loop polls these sockets along with the
 * listening one, so a peer that keeps dripping bytes costs it nothing.
 */
#ifndef PIPELINE_BUSY_H
#define PIPELINE_BUSY_H

#include <poll.h>
#include <stddef.h>

/* Refused peers being read at once; more are closed at once. */
#define PL_BUSY_MAX 32
/* The longest a refused peer is read, and the most bytes taken from it. */
#define PL_BUSY_MS 1000
#define PL_BUSY_BYTES 16384

typedef struct pl_busy_peer {
    int fd;
    long long deadline_ms;
    size_t got;
} pl_busy_peer;

typedef struct pl_busy_set {
    pl_busy_peer peer[PL_BUSY_MAX];
    int n;
} pl_busy_set;

/* Sends the busy line on fd and takes it over. */
void pl_busy_add(pl_busy_set *b, int fd);
/* Fills p with one entry per refused peer; returns how many. */
int pl_busy_pollfds(const pl_busy_set *b, struct pollfd *p);
/* The poll timeout to use: at most max_ms, less when a deadline is near. */
int pl_busy_timeout(const pl_busy_set *b, int max_ms);
/* After poll: reads what is ready (p as filled by pl_busy_pollfds) and
 * closes the peers that hung up, sent too much or ran out of time. */
void pl_busy_service(pl_busy_set *b, const struct pollfd *p, int np);
/* Closes every refused peer. */
void pl_busy_clear(pl_busy_set *b);

#endif
