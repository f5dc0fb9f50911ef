/*
 * The server's current attestation document: fetched from the NSM at
 * start, refreshed in the background well before its certificates expire
 * (they live about three hours), and handed to each handshake without
 * touching the NSM on the connection path.
 */
#ifndef PIPELINE_ATTESTATION_H
#define PIPELINE_ATTESTATION_H

#include "error.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Default refresh period: a third of the certificates' lifetime. */
#define PL_ATTEST_REFRESH_S 3600
/* After a failed refresh, try again this soon. */
#define PL_ATTEST_RETRY_S 60

/* One document, shared by the handshakes that use it (reference counted,
 * so a refresh never frees a document a handshake is sending). */
typedef struct pl_attest_doc {
    int refs; /* under pl_attestation.lock */
    size_t len;
    uint8_t data[];
} pl_attest_doc;

typedef struct pl_attestation {
    char device[4096];
    uint8_t public_key[32];
    int refresh_s;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pl_attest_doc *doc;
    time_t fetched; /* when doc arrived (wall clock) */
    int stop;
    int running; /* the refresh thread was started */
    pthread_t thread;
} pl_attestation;

/* Fetches the first document (failing when the NSM cannot give one), then
 * starts the refresh thread. */
int pl_attestation_start(pl_attestation *a, const char *device,
                         const uint8_t public_key[32], int refresh_s,
                         pl_error *err);
/* Asks the NSM for a new document now; the old one stays on failure. */
int pl_attestation_refresh(pl_attestation *a, pl_error *err);
/* The current document with a reference taken; give it back with
 * pl_attestation_put. */
pl_attest_doc *pl_attestation_get(pl_attestation *a);
void pl_attestation_put(pl_attestation *a, pl_attest_doc *d);
/* Stops the refresh thread and drops the document. */
void pl_attestation_stop(pl_attestation *a);

#endif
