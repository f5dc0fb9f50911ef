/* The calls in progress, so a server that stops can say in its log which
 * ones it cut short. */
#ifndef PIPELINE_ACTIVE_H
#define PIPELINE_ACTIVE_H

#include "channel.h"

typedef struct pl_active {
    struct pl_active *next, *prev;
    char peer[128];
    char what[360]; /* "put-file /x", "exec ls" */
    double t0;
} pl_active;

/* Records req (not yet consumed by its handler) as running for peer. */
void pl_active_begin(pl_active *a, const char *peer, const pl_frame *req);
void pl_active_end(pl_active *a);
/* Logs "stopping: aborted ..." for each call still running. */
void pl_active_log_aborted(void);

#endif
