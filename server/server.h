/* The server: accept loop, one thread per connection, call dispatch. */
#ifndef PIPELINE_SERVER_H
#define PIPELINE_SERVER_H

#include "attestation.h"
#include "config.h"
#include "keys.h"
#include "transport.h"

#include <pthread.h>
#include <sys/types.h>

typedef struct pl_server {
    pl_address address;
    pl_keypair key;
    const pl_config *cfg;
    int listen_fd;
    pthread_mutex_t lock;
    int connections;             /* live connection threads */
    int execs;                   /* running commands */
    unsigned long accepted;      /* connections so far, to name them in logs */
    pl_attestation *attestation; /* NULL: not attested */
    dev_t sock_dev;              /* the unix socket file we made, to remove */
    ino_t sock_ino;              /* only that one at exit */
} pl_server;

/* Binds the listening socket; fails on a non-loopback TCP address when no
 * authorized-keys file is configured. */
int pl_server_open(pl_server *s, const pl_address *a, const pl_keypair *key,
                   const pl_config *cfg, pl_error *err);
/* Serves until SIGINT or SIGTERM arrives (or SIGHUP when there is no log
 * file: the terminal went away). With server.log_file, SIGHUP reopens it
 * (logrotate). At the stop, calls still running are logged as aborted,
 * temporaries of unfinished uploads removed, commands terminated. */
int pl_server_run(pl_server *s, pl_error *err);
/* Blocks the stop signals in the calling thread (and the threads it starts
 * later): call it first thing, so one sent during start-up stops the
 * server cleanly once pl_server_run waits (exit 0, socket removed) rather
 * than killing it half-started. */
void pl_server_block_signals(void);
void pl_server_close(pl_server *s);

/* Removes temporaries left by a dead receiver beneath root (stale.c says
 * exactly which); nothing without a root. */
void pl_server_remove_stale(const char *root);

/* Counted slots for limits; 0 when taken, -1 when the limit is reached. */
int pl_server_take_exec(pl_server *s);
void pl_server_put_exec(pl_server *s);

#endif
