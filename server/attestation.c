#include "attestation.h"

#include "log.h"
#include "nsm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void unref(pl_attest_doc *d)
{
    if (d && --d->refs == 0)
        free(d);
}

int pl_attestation_refresh(pl_attestation *a, pl_error *err)
{
    uint8_t *raw;
    size_t n;
    if (pl_nsm_attest(a->device, a->public_key, sizeof a->public_key, &raw, &n,
                      err))
        return -1;
    pl_attest_doc *d = malloc(sizeof *d + n);
    if (!d) {
        free(raw);
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    }
    d->refs = 1;
    d->len = n;
    memcpy(d->data, raw, n);
    free(raw);
    pthread_mutex_lock(&a->lock);
    pl_attest_doc *old = a->doc;
    a->doc = d;
    a->fetched = time(NULL);
    unref(old);
    pthread_mutex_unlock(&a->lock);
    return 0;
}

/* Sleeps until the next refresh is due (or stop), then refreshes. */
static void *refresh_thread(void *p)
{
    pl_attestation *a = p;
    int wait_s = a->refresh_s;
    pthread_mutex_lock(&a->lock);
    while (!a->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait_s;
        int rc = 0;
        while (!a->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&a->wake, &a->lock, &until);
        if (a->stop)
            break;
        pthread_mutex_unlock(&a->lock);
        pl_error err;
        if (pl_attestation_refresh(a, &err) == 0) {
            pl_log("attestation: document refreshed from %s", a->device);
            wait_s = a->refresh_s;
        } else {
            /* Clients keep getting the previous document, which stays valid
             * for hours; try again soon. */
            wait_s = a->refresh_s < PL_ATTEST_RETRY_S ? a->refresh_s
                                                      : PL_ATTEST_RETRY_S;
            pl_log("attestation: refresh failed, keeping the previous "
                   "document, retrying in %d s: %s",
                   wait_s, err.msg);
        }
        pthread_mutex_lock(&a->lock);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

int pl_attestation_start(pl_attestation *a, const char *device,
                         const uint8_t public_key[32], int refresh_s,
                         pl_error *err)
{
    memset(a, 0, sizeof *a);
    snprintf(a->device, sizeof a->device, "%s", device);
    memcpy(a->public_key, public_key, 32);
    a->refresh_s = refresh_s > 0 ? refresh_s : PL_ATTEST_REFRESH_S;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->wake, NULL);
    if (pl_attestation_refresh(a, err))
        return -1;
    if (pthread_create(&a->thread, NULL, refresh_thread, a) != 0)
        return pl_fail(err, PL_ERR_INTERNAL,
                       "cannot start the attestation refresh thread");
    a->running = 1;
    return 0;
}

pl_attest_doc *pl_attestation_get(pl_attestation *a)
{
    pthread_mutex_lock(&a->lock);
    pl_attest_doc *d = a->doc;
    if (d)
        d->refs++;
    pthread_mutex_unlock(&a->lock);
    return d;
}

void pl_attestation_put(pl_attestation *a, pl_attest_doc *d)
{
    pthread_mutex_lock(&a->lock);
    unref(d);
    pthread_mutex_unlock(&a->lock);
}

void pl_attestation_stop(pl_attestation *a)
{
    pthread_mutex_lock(&a->lock);
    a->stop = 1;
    pthread_cond_broadcast(&a->wake);
    pthread_mutex_unlock(&a->lock);
    if (a->running)
        pthread_join(a->thread, NULL);
    a->running = 0;
    unref(a->doc);
    a->doc = NULL;
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->wake);
}
